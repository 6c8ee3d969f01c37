/*
Copyright 2026 The Portico Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

	http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/
package websocket

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-logr/logr"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// upgradeRequest is a client's WebSocket handshake.
func upgradeRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	return r
}

// waitReturns fails the test when Wait does not return: a connection added to the wait
// group and never done.
func waitReturns(t *testing.T, s *Server) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Wait did not return")
	}
}

// Once Run's shutdown began, an upgrade is refused before it registers a connection: one
// taken then would be missed by CloseAll and added to the wait group while Run waits on it.
// An upgrade that fails leaves nothing to wait for either.
func TestNoUpgradeAfterShutdown(t *testing.T) {
	s := New(Options{Log: logr.Discard(), SweepInterval: time.Hour})
	st := &proxy.WSStage{Stage: &xdsv1alpha1.StageSnapshot{Key: "default/chat"}, Variant: "stable"}

	// A recorder cannot be hijacked: the upgrader refuses, and the connection goes.
	w := httptest.NewRecorder()
	s.Upgrade(w, upgradeRequest(), st)
	if w.Code == http.StatusSwitchingProtocols || len(s.snapshot()) != 0 {
		t.Fatalf("failed upgrade: status %d, %d connections kept", w.Code, len(s.snapshot()))
	}
	waitReturns(t, s)

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	cancel()
	select {
	case <-ran:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return once its context ended")
	}
	w = httptest.NewRecorder()
	s.Upgrade(w, upgradeRequest(), st)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("upgrade after shutdown: status %d, want 503", w.Code)
	}
	if n := len(s.snapshot()); n != 0 {
		t.Errorf("%d connections registered after shutdown", n)
	}
	waitReturns(t, s)
}
