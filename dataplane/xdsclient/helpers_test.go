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

package xdsclient

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/internal/testkit"
)

// waitTimeout bounds every wait for something that must happen.
const waitTimeout = testkit.WaitTimeout

// fastBackoff keeps reconnection tests quick: a restarted server is reached within
// milliseconds.
var fastBackoff = Backoff{Initial: time.Millisecond, Max: 20 * time.Millisecond}

// eventually polls cond until it holds, failing the test after waitTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// fakeApplier records the configurations it is given, and fails them when told to.
type fakeApplier struct {
	mu      sync.Mutex
	configs []*config.Config
	err     error
	panics  bool
}

func (a *fakeApplier) Apply(c *config.Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.panics {
		panic("applier bug")
	}
	if a.err != nil {
		return a.err
	}
	a.configs = append(a.configs, c)
	return nil
}

func (a *fakeApplier) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.err = err
}

// applied is the number of configurations applied so far.
func (a *fakeApplier) applied() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.configs)
}

// last is the last configuration applied, nil before the first.
func (a *fakeApplier) last() *config.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.configs) == 0 {
		return nil
	}
	return a.configs[len(a.configs)-1]
}

type testServer struct {
	*xds.Server
	addr string
	// stop cancels Start's context and waits for it to return.
	stop func()
}

// startServer serves a controller xDS server on addr ("127.0.0.1:0" for any port) until stop
// or the end of the test.
func startServer(t *testing.T, addr string, opts xds.Options) *testServer {
	t.Helper()
	return startServerWith(t, addr, opts, nil, nil)
}

// startServerWith is startServer with stages and endpoints served from the first moment: a
// client already retrying must not find the new server empty.
func startServerWith(t *testing.T, addr string, opts xds.Options, stages []ir.Stage, eps []ir.Endpoints) *testServer {
	t.Helper()
	if opts.Logger.GetSink() == nil {
		opts.Logger = testr.NewWithOptions(t, testr.Options{LogTimestamp: true}).WithName("server")
	}
	s, err := xds.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Update(stages, eps)
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: s, addr: lis.Addr().String(), stop: serve(t, func(ctx context.Context) error { return s.Start(ctx, lis) })}
}

// serve runs start in the background; the returned stop cancels it and waits for it, and
// runs at the end of the test too.
func serve(t *testing.T, start func(context.Context) error) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- start(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serving: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("did not stop")
		}
	})
	t.Cleanup(stop)
	return stop
}

type testClient struct {
	*Client
	applier *fakeApplier
	reg     *prometheus.Registry
	stop    func()
}

// startClient runs a client of addr until the end of the test. opts may set TLS and such;
// the address, applier, registry, logger and backoff are filled in.
func startClient(t *testing.T, addr string, opts Options) *testClient {
	t.Helper()
	c := newTestClient(t, addr, opts)
	c.stop = serve(t, c.Run)
	return c
}

func newTestClient(t *testing.T, addr string, opts Options) *testClient {
	t.Helper()
	a := &fakeApplier{}
	reg := prometheus.NewRegistry()
	opts.Server = addr
	if opts.NodeID == "" {
		opts.NodeID = "proxy-1"
	}
	opts.Applier = a
	opts.Registerer = reg
	opts.Logger = testr.NewWithOptions(t, testr.Options{Verbosity: 1, LogTimestamp: true}).WithName("client")
	if opts.Backoff.Initial == 0 {
		opts.Backoff = fastBackoff
	}
	return &testClient{Client: New(opts), applier: a, reg: reg}
}

const (
	stageType = "type.googleapis.com/portico.xds.v1alpha1.StageSnapshot"
	edsType   = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	// keyHash is the SHA-256 of an API key, as the control plane sends it.
	keyHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// testStage is a stage whose route goes to the cluster pets/pets:8080.
func testStage(key string, generation int64) ir.Stage {
	return ir.Stage{
		Key: key, Namespace: "pets", StageName: "prod", RestApi: "petstore",
		Generation: generation, Revision: 1,
		API: &ir.API{Protocol: "REST", APIKeySource: "HEADER", Routes: []ir.Route{{
			Name: "pets", Path: "/pets", Methods: []string{"GET"},
			Integration: ir.Integration{Type: "HTTP_PROXY", TimeoutMillis: 29000, Backend: &ir.Backend{Cluster: "pets/pets:8080"}},
		}}},
		UsagePlans: []ir.UsagePlan{{Name: "basic", Keys: []ir.APIKey{{ID: "alice", SHA256: keyHash}}}},
	}
}

func testEndpoints(addrs ...string) ir.Endpoints {
	return ir.Endpoints{Cluster: "pets/pets:8080", Addresses: addrs}
}

var errBoom = errors.New("stage pets/prod: route /pets: unsupported integration")
