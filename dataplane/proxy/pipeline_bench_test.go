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

package proxy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/pipeline"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// The pipeline benchmarks serve the routes of hack/bench-proxy.sh through a Proxy built as
// `portico standalone` builds it (pipeline.Guards and pipeline.Steps with an in-memory limits
// store, a Prometheus registry, no access log), so that their profiles show what a request
// costs the proxy itself, without the network and net/http's server around it.

const benchKey = "bench-key-0123456789012345678901234"

// nopWriter is a ResponseWriter that keeps nothing but the status.
type nopWriter struct {
	h      http.Header
	status int
}

func (w *nopWriter) Header() http.Header { return w.h }
func (w *nopWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *nopWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}

func benchPipeline(b *testing.B) *proxy.Proxy {
	b.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	}))
	b.Cleanup(backend.Close)
	mock := func(name, path string) *xdsv1alpha1.Route {
		return &xdsv1alpha1.Route{Name: name, Path: path, Methods: []string{"GET"}, Integration: &xdsv1alpha1.Integration{
			Type: "MOCK", TimeoutMillis: 29000, Mock: &xdsv1alpha1.Mock{StatusCode: 200, Body: "ok\n"},
		}}
	}
	keyed := mock("keyed", "/keyed")
	keyed.Authorization = &xdsv1alpha1.Authorization{ApiKeyRequired: true}
	cached := &xdsv1alpha1.Route{Name: "cached", Path: "/cached", Methods: []string{"GET"}, Integration: &xdsv1alpha1.Integration{
		Type: "HTTP_PROXY", TimeoutMillis: 29000, Uri: backend.URL + "/",
	}}
	off := &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(false)}
	ttl := int32(3600)
	sum := sha256.Sum256([]byte(benchKey))
	st := &xdsv1alpha1.StageSnapshot{
		Key: "default/bench", Namespace: "default", StageName: "bench", RestApi: "bench",
		Api: &xdsv1alpha1.Api{Protocol: "REST", Routes: []*xdsv1alpha1.Route{mock("mock", "/mock"), keyed, cached}},
		// Limits no run reaches: a MOCK request takes well under a microsecond here, and the
		// sub-benchmarks share the stage's bucket.
		Throttle: &xdsv1alpha1.Throttle{RateLimit: 1e9, BurstLimit: 1e9},
		Cache:    &xdsv1alpha1.Cache{Enabled: true, CapacityBytes: 64 << 20, TtlSeconds: 3600},
		MethodSettings: []*xdsv1alpha1.MethodSetting{
			{Path: "/cached", Method: "GET", Caching: &xdsv1alpha1.MethodCaching{Enabled: proto.Bool(true), TtlSeconds: &ttl}},
			{Path: "/keyed", Method: "GET", Caching: off},
			{Path: "/mock", Method: "GET", Caching: off},
		},
		UsagePlans: []*xdsv1alpha1.UsagePlan{{
			Name:     "default/bench",
			Throttle: &xdsv1alpha1.Throttle{RateLimit: 1e9, BurstLimit: 1e9},
			Quota:    &xdsv1alpha1.Quota{Limit: 1e9, Period: "DAY"},
			Keys:     []*xdsv1alpha1.ApiKey{{Id: "default/bench", Sha256: hex.EncodeToString(sum[:])}},
		}},
	}
	reg := prometheus.NewRegistry()
	store := limits.NewMemory(limits.MemoryOptions{})
	p := proxy.New(proxy.Options{
		Log: logr.Discard(), Registerer: reg, AccessLog: io.Discard,
		Guards: pipeline.Guards(),
		Steps:  pipeline.Steps(pipeline.Options{Log: logr.Discard(), Store: store, Registerer: reg}),
	})
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{st.Key: st}}); err != nil {
		b.Fatal(err)
	}
	return p
}

func runPipeline(b *testing.B, p *proxy.Proxy, target string, header ...string) {
	b.Helper()
	req := httptest.NewRequest("GET", target, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := &nopWriter{h: http.Header{}}
	p.ServeHTTP(w, req) // fills the cache for the cached route
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		p.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
		// On a cached route, a hit must be what is measured, not the backend.
		if c := w.h.Get("X-Cache"); c != "" && c != "Hit" {
			b.Fatalf("x-cache %q", c)
		}
	}
}

// BenchmarkPipeline is the request path of each route of hack/bench-proxy.sh but the plain
// HTTP_PROXY one, whose cost is the upstream round trip (BenchmarkProxyHTTP).
func BenchmarkPipeline(b *testing.B) {
	p := benchPipeline(b)
	b.Run("route=mock", func(b *testing.B) { runPipeline(b, p, "/bench/mock") })
	b.Run("route=keyed", func(b *testing.B) { runPipeline(b, p, "/bench/keyed", "X-Api-Key", benchKey) })
	b.Run("route=cached", func(b *testing.B) { runPipeline(b, p, "/bench/cached") })
}
