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
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

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
