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

// Package e2e tests the whole path in one process: manifests compiled by the controller's
// compiler, served by the controller's xDS server over real gRPC on loopback, applied by the
// proxy's xDS client, and served by the proxy over real HTTP to real backends.
package e2e

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/manifest"
	"github.com/portico-dev/portico/controllers/schema"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/dataplane/pipeline"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/xdsclient"
	"github.com/portico-dev/portico/internal/testkit"
)

// gateway is a control plane and a proxy, connected over gRPC on loopback.
type gateway struct {
	t         *testing.T
	xdsAddr   string
	server    *xds.Server
	stopXDS   func()
	client    *xdsclient.Client
	proxy     *proxy.Proxy
	url       string
	revisions []compile.Revision
	validator *schema.Validator
}

// startGateway starts both planes; rnd drives the canary choice.
func startGateway(t *testing.T, rnd func() float64) *gateway {
	t.Helper()
	return startGatewayWith(t, rnd, pipeline.Options{Region: "eu-west-1", Log: logr.Discard()})
}

// startGatewayWith starts both planes with the given pipeline options (a store, a clock).
func startGatewayWith(t *testing.T, rnd func() float64, po pipeline.Options) *gateway {
	t.Helper()
	v, err := schema.New()
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{t: t, validator: v}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.xdsAddr = lis.Addr().String()
	g.startXDS(lis)
	g.proxy = proxy.New(proxy.Options{
		Rand: rnd, Log: logr.Discard(), AccessLog: io.Discard,
		Guards: pipeline.Guards(), Steps: pipeline.Steps(po),
	})
	g.client = xdsclient.New(xdsclient.Options{
		Server: g.xdsAddr, NodeID: "e2e", Applier: g.proxy, Logger: logr.Discard(),
		Backoff: xdsclient.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = g.client.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	g.url = serveProxy(t, g.proxy)
	return g
}

// serveProxy serves p as `portico proxy` serves its plain listener (proxy.NewServer, on a
// listener that follows each connection's framing and keeps header names when p wants
// them), on loopback until the test ends, and returns its URL.
func serveProxy(t *testing.T, p *proxy.Proxy) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := proxy.NewServer(proxy.ServerOptions{Handler: p})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis) // as `portico proxy`: the HTTP/1.x server keeps header names itself
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return "http://" + lis.Addr().String()
}

func (g *gateway) startXDS(lis net.Listener) {
	s, err := xds.New(xds.Options{Logger: logr.Discard()})
	if err != nil {
		g.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Start(ctx, lis) }()
	g.server = s
	var once sync.Once
	g.stopXDS = func() { once.Do(func() { cancel(); <-done }) }
	g.t.Cleanup(g.stopXDS)
}

// deploy compiles manifests (validated and defaulted like the API server would) and serves
// them, as the controller does on a change. It returns the compile's output.
func (g *gateway) deploy(manifests string) compile.Output {
	g.t.Helper()
	docs, err := manifest.DecodeValidated([]byte(manifests), g.t.Name(), g.validator)
	if err != nil {
		g.t.Fatal(err)
	}
	for _, d := range docs {
		if o, ok := d.Object.(interface{ SetGeneration(int64) }); ok {
			o.SetGeneration(1)
		}
	}
	in := compile.Inputs{Revisions: g.revisions}
	manifest.AddTo(&in, docs, "default")
	out := compile.Compile(in)
	g.revisions = append(g.revisions, out.NewRevisions...)
	g.server.Update(out.Stages, out.Endpoints)
	return out
}

// publish serves stages as they are, bypassing the compiler: to send what it would never make.
func (g *gateway) publish(stages []ir.Stage, endpoints []ir.Endpoints) {
	g.server.Update(stages, endpoints)
}

// programmed waits until the proxy acknowledged the current version of stage key.
func (g *gateway) programmed(key string) {
	g.t.Helper()
	eventually(g.t, key+" programmed", func() bool { return g.server.Programmed(key).Programmed })
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (g *gateway) do(method, path string, body io.Reader, header ...string) reply {
	g.t.Helper()
	req, err := http.NewRequest(method, g.url+path, body)
	if err != nil {
		g.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, what, cond)
}

// seeded returns a deterministic source for the canary choice.
func seeded(seed uint64) func() float64 {
	r := rand.New(rand.NewPCG(seed, seed))
	var mu sync.Mutex
	return func() float64 { mu.Lock(); defer mu.Unlock(); return r.Float64() }
}

// backend answers with its name and what it saw.
func backend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-backend", name)
		_, _ = io.WriteString(w, name+" "+r.Method+" "+r.URL.RequestURI())
	}))
	t.Cleanup(s.Close)
	return s
}

func hostPort(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }
