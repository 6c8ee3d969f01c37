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

package xds

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico/controllers/xds/xdstest"
)

// Test helpers: a real server on a loopback listener and a small delta ADS client, the way
// Portico's proxy talks to it.

type testServer struct {
	*Server
	addr string
	reg  *prometheus.Registry
	// stop cancels Start's context and waits for it to return; the test's cleanup calls it.
	stop func()
}

// startServer serves s on 127.0.0.1:0 until the test ends, then checks that it stopped
// gracefully.
func startServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	if opts.Logger.GetSink() == nil {
		opts.Logger = testr.NewWithOptions(t, testr.Options{Verbosity: 1})
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx, lis) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Start: %v", err)
			}
		case <-time.After(xdstest.WaitTimeout):
			t.Error("server did not stop")
		}
	})
	t.Cleanup(stop)
	return &testServer{Server: s, addr: lis.Addr().String(), reg: reg, stop: stop}
}
