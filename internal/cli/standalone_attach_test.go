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

package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

// A `portico proxy` attaches to standalone's xDS server and serves the same APIs, as the
// benchmark runs it and as several proxies on one machine would.
func TestProxyAttachesToStandalone(t *testing.T) {
	dir := copyDir(t, filepath.Join("..", "..", "config", "samples"))
	xdsLis := listenLoopback(t)
	xdsAddr := xdsLis.Addr().String()
	_ = xdsLis.Close() // free the port for standalone, which must bind it from the flag
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 2)
	opts := standaloneOptions{files: []string{dir}, httpAddr: "127.0.0.1:0", reload: time.Second, xdsAddr: xdsAddr,
		drain: time.Second, log: logOptions{level: "error", format: "json"}}
	go func() {
		done <- runStandalone(ctx, opts, &standaloneHooks{httpListener: listenLoopback(t), adminListener: listenLoopback(t), ready: ready})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("standalone stopped: %v", err)
	}

	httpLis, adminLis := listenLoopback(t), listenLoopback(t)
	proxyReady := make(chan struct{})
	go func() {
		done <- runDataPlane(ctx, dataPlaneOptions{xdsServer: xdsAddr, nodeID: "attached", httpListener: httpLis,
			adminListener: adminLis, drain: time.Second, log: logr.Discard(), ready: proxyReady})
	}()
	<-proxyReady
	base := "http://" + httpLis.Addr().String()
	until(t, "the attached proxy serves the samples", func() bool {
		r := get(t, "GET", base+"/prod/pets")
		return r.status == 200 && strings.Contains(r.body, `"Rex"`)
	})
}

func TestStandaloneXDSIsLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:18000": true, "[::1]:18000": true, "127.0.0.1:0": true,
		"0.0.0.0:18000": false, ":18000": false, "10.0.0.1:18000": false, "localhost:18000": false, "nonsense": false,
	} {
		if err := loopbackOnly(addr); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
	err := runStandalone(context.Background(), standaloneOptions{files: []string{t.TempDir()}, xdsAddr: ":18000",
		log: logOptions{level: "error", format: "json"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "--xds-addr") {
		t.Fatalf("standalone with a public xDS address: %v, want a --xds-addr error", err)
	}
}
