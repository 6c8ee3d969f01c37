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

package tracing_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/tracing"
)

// receiver is an OTLP/HTTP trace receiver: what a collector does with an export request,
// down to decoding its protobuf.
type receiver struct {
	mu    sync.Mutex
	spans map[string]string // span name -> trace id
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				rc.spans[s.GetName()] = trace.TraceID(s.GetTraceId()).String()
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(b)
}

func TestFromEnvExportsOTLP(t *testing.T) {
	rc := &receiver{spans: map[string]string{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	p, err := tracing.FromEnv(context.Background(), "test")
	if err != nil || p == nil {
		t.Fatalf("FromEnv: %v, %v", p, err)
	}
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	parent := trace.ContextWithRemoteSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true}))
	// Ratio 0: only the sampled parent makes the span recorded.
	ctx, span := p.Tracer(0).Start(parent, "GET /pets")
	_, child := tracing.Start(ctx, "cache lookup", trace.SpanKindInternal)
	if child == nil {
		t.Fatal("no child span of a recorded span")
	}
	child.End()
	span.End()
	if _, none := tracing.Start(context.Background(), "x", trace.SpanKindInternal); none != nil {
		t.Error("a child span without a traced parent")
	}
	// Shutdown flushes the batch: the export has been answered when it returns.
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, name := range []string{"GET /pets", "cache lookup"} {
		if rc.spans[name] != tid.String() {
			t.Errorf("span %q: trace %q received, want %s (all: %v)", name, rc.spans[name], tid, rc.spans)
		}
	}
}

func TestFromEnvDisabled(t *testing.T) {
	t.Setenv("OTEL_SDK_DISABLED", "true")
	p, err := tracing.FromEnv(context.Background(), "test")
	if err != nil || p != nil || p.Tracer(1) != nil {
		t.Fatalf("disabled SDK: %v, %v", p, err)
	}
}

// A request through a traced stage of a real proxy, with the client's traceparent: the
// server and integration spans reach an OTLP receiver, through the SDK's OTLP exporter as
// the OTEL_* variables configure it, in the client's trace.
func TestProxySpansReachOTLPReceiver(t *testing.T) {
	rc := &receiver{spans: map[string]string{}}
	collector := httptest.NewServer(rc)
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	provider, err := tracing.FromEnv(context.Background(), "portico-test")
	if err != nil || provider == nil {
		t.Fatalf("FromEnv: %v, %v", provider, err)
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("traceparent"))
	}))
	t.Cleanup(backend.Close)

	p := proxy.New(proxy.Options{Tracing: provider, AccessLog: io.Discard, Registerer: prometheus.NewRegistry()})
	st := &xdsv1alpha1.StageSnapshot{Key: "default/prod", Namespace: "default", StageName: "prod", RestApi: "pets", Tracing: true,
		Api: &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{{Name: "get-pet", Path: "/pets/{petId}", Methods: []string{"GET"},
			Integration: &xdsv1alpha1.Integration{Type: "HTTP_PROXY", TimeoutMillis: 29000, Uri: backend.URL + "/pets/{petId}"}}}}}
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{st.Key: st}}); err != nil {
		t.Fatal(err)
	}
	const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req := httptest.NewRequest("GET", "http://gateway/prod/pets/7", nil)
	req.Header.Set("traceparent", "00-"+clientTrace+"-00f067aa0ba902b7-01")
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), clientTrace) {
		t.Fatalf("status %d, the backend saw traceparent %q", w.Code, w.Body.String())
	}
	// Shutdown flushes the batch: the receiver has answered the export when it returns.
	if err := provider.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, name := range []string{"GET /pets/{petId}", "integration"} {
		if rc.spans[name] != clientTrace {
			t.Errorf("span %q: trace %q received, want the client's %s (all: %v)", name, rc.spans[name], clientTrace, rc.spans)
		}
	}
}
