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

package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico-dev/portico/dataplane/tracing"
	"github.com/portico-dev/portico/internal/race"
	"github.com/portico-dev/portico/internal/testkit"
)

const clientTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func tracedFixture(t *testing.T) (*fixture, *tracetest.InMemoryExporter, *testkit.Buffer) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	log := &testkit.Buffer{}
	f := newFixture(t, Options{Tracing: tracing.New(sdktrace.NewSimpleSpanProcessor(exp), nil), AccessLog: log})
	return f, exp, log
}

func spanAttr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.String()
		}
	}
	return ""
}

func TestTracingServerAndIntegrationSpans(t *testing.T) {
	backend := echoServer(t, "b")
	f, exp, log := tracedFixture(t)
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("one", "/pets/{petId}", "GET", backend.URL+"/pets/{petId}")))
	st.Tracing = true
	st.Revision = 7
	st.AccessLogFormat = `$context.traceId $context.xrayTraceId`
	f.apply(t, st)

	w := f.do("GET", "/prod/pets/7", nil, "traceparent", clientTraceparent, "X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want server and integration", len(spans))
	}
	client, server := spans[0], spans[1]
	if server.SpanKind != trace.SpanKindServer || client.SpanKind != trace.SpanKindClient {
		t.Fatalf("kinds %v, %v", server.SpanKind, client.SpanKind)
	}
	if got := server.SpanContext.TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id %s, want the client's", got)
	}
	if server.Parent.SpanID().String() != "00f067aa0ba902b7" || !server.Parent.IsRemote() {
		t.Errorf("server parent %v, want the client's span", server.Parent)
	}
	if client.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Errorf("integration span's parent is not the server span")
	}
	if server.Name != "GET /pets/{petId}" {
		t.Errorf("server span name %q", server.Name)
	}
	for k, want := range map[string]string{
		"http.request.method": "GET", "http.route": "/pets/{petId}", "http.response.status_code": "200",
		"url.path": "/prod/pets/7", "portico.api": "default/pets", "portico.stage": "prod",
		"portico.route": "one", "portico.variant": "stable", "portico.revision": "7",
	} {
		if got := spanAttr(server, k); got != want {
			t.Errorf("server %s = %q, want %q", k, got, want)
		}
	}
	if got := spanAttr(client, "http.response.status_code"); got != "200" {
		t.Errorf("integration status %q", got)
	}

	// The backend received the integration span as its parent, and X-Ray's header for
	// the same trace, not the client's.
	e := decodeEcho(t, w)
	wantTP := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + client.SpanContext.SpanID().String() + "-01"
	if got := e.Header.Get("Traceparent"); got != wantTP {
		t.Errorf("backend traceparent %q, want %q", got, wantTP)
	}
	if got := e.Header.Get("X-Amzn-Trace-Id"); !strings.HasPrefix(got, "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=") || !strings.HasSuffix(got, ";Sampled=1") {
		t.Errorf("backend X-Amzn-Trace-Id %q", got)
	}
	lines := log.Lines()
	if len(lines) != 1 || lines[0] != "4bf92f3577b34da6a3ce929d0e0e4736 1-4bf92f35-77b34da6a3ce929d0e0e4736" {
		t.Errorf("access log %q", lines)
	}

	// Through a server, as clients come (forwarding's lean path writes the client's fields as
	// a list): the backend gets the gateway's traceparent alone, and the trace's tracestate
	// once (W3C Trace Context carries the client's entries on, in the gateway's header).
	srv := httptest.NewServer(f)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/prod/pets/7", nil)
	req.Header.Set("Traceparent", clientTraceparent)
	req.Header.Set("Tracestate", "client=1")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	_, _ = io.Copy(rec.Body, res.Body)
	_ = res.Body.Close()
	e = decodeEcho(t, rec)
	if tp := e.Header.Values("Traceparent"); len(tp) != 1 || tp[0] == clientTraceparent || fmt.Sprint(e.Header.Values("Tracestate")) != "[client=1]" {
		t.Errorf("through a server, the backend got traceparent %q, tracestate %q", tp, e.Header.Values("Tracestate"))
	}
}

func TestTracingSampling(t *testing.T) {
	backend := echoServer(t, "b")
	f, exp, _ := tracedFixture(t)
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("one", "/pets", "GET", backend.URL+"/pets")))
	st.Tracing = true
	zero := 0.0
	st.TracingSamplingRatio = &zero
	f.apply(t, st)

	// Ratio 0 and no traceparent: nothing recorded, but the backend still gets a
	// traceparent that says "not sampled", so that it does not start its own sampled trace.
	e := decodeEcho(t, f.do("GET", "/prod/pets", nil))
	if n := len(exp.GetSpans()); n != 0 {
		t.Fatalf("%d spans at ratio 0", n)
	}
	if tp := e.Header.Get("Traceparent"); !strings.HasSuffix(tp, "-00") {
		t.Errorf("backend traceparent %q, want unsampled", tp)
	}
	// Parent-based: a sampled client trace is recorded whatever the ratio.
	f.do("GET", "/prod/pets", nil, "traceparent", clientTraceparent)
	if n := len(exp.GetSpans()); n != 2 {
		t.Fatalf("%d spans for a sampled parent, want 2", n)
	}
	// So is a sampled X-Ray client's: its trace goes on, and the backend's X-Amzn-Trace-Id
	// names the same Root.
	exp.Reset()
	const root = "Root=1-5759e988-bd862e3fe1be46a994272793"
	e = decodeEcho(t, f.do("GET", "/prod/pets", nil, "X-Amzn-Trace-Id", root+";Parent=53995c3f42cd8ad8;Sampled=1"))
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[0].SpanContext.TraceID().String() != "5759e988bd862e3fe1be46a994272793" {
		t.Fatalf("spans for an X-Ray parent: %v", spans)
	}
	if got := e.Header.Get("X-Amzn-Trace-Id"); !strings.HasPrefix(got, root+";Parent=") || !strings.HasSuffix(got, ";Sampled=1") {
		t.Errorf("backend X-Amzn-Trace-Id %q, want the client's Root", got)
	}
}

// A balancer's X-Amzn-Trace-Id names a Root and no Parent: the request's span is the first
// span of that trace, not of one of its own, and the backend's header names the same Root.
func TestTracingContinuesARootOnlyXRayHeader(t *testing.T) {
	backend := echoServer(t, "b")
	f, exp, _ := tracedFixture(t)
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("one", "/pets", "GET", backend.URL+"/pets")))
	st.Tracing = true
	f.apply(t, st)
	const root = "Root=1-5759e988-bd862e3fe1be46a994272793"
	e := decodeEcho(t, f.do("GET", "/prod/pets", nil, "X-Amzn-Trace-Id", root))
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want server and integration", len(spans))
	}
	for _, s := range spans {
		if got := s.SpanContext.TraceID().String(); got != "5759e988bd862e3fe1be46a994272793" {
			t.Errorf("%s span in trace %s, want the balancer's Root", s.Name, got)
		}
	}
	if server := spans[1]; server.Parent.IsValid() {
		t.Errorf("server span has parent %v, want none", server.Parent)
	}
	if got := e.Header.Get("X-Amzn-Trace-Id"); !strings.HasPrefix(got, root+";Parent=") || !strings.HasSuffix(got, ";Sampled=1") {
		t.Errorf("backend X-Amzn-Trace-Id %q, want the balancer's Root", got)
	}
	// Without a Root (or with one that is not X-Ray's), a trace of its own.
	exp.Reset()
	f.do("GET", "/prod/pets", nil, "X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a99427279x")
	if spans := exp.GetSpans(); len(spans) != 2 || spans[0].SpanContext.TraceID().String() == "5759e988bd862e3fe1be46a994272793" || !spans[0].SpanContext.TraceID().IsValid() {
		t.Errorf("spans %v", spans)
	}
}

func TestTracingOffPassesHeadersThrough(t *testing.T) {
	backend := echoServer(t, "b")
	f, exp, log := tracedFixture(t)
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("one", "/pets", "GET", backend.URL+"/pets")))
	st.AccessLogFormat = `$context.traceId $context.xrayTraceId`
	f.apply(t, st)
	e := decodeEcho(t, f.do("GET", "/prod/pets", nil, "traceparent", clientTraceparent))
	if n := len(exp.GetSpans()); n != 0 {
		t.Fatalf("%d spans for an untraced stage", n)
	}
	if got := e.Header.Get("Traceparent"); got != clientTraceparent {
		t.Errorf("backend traceparent %q, want the client's as sent", got)
	}
	if e.Header.Get("X-Amzn-Trace-Id") != "" {
		t.Errorf("X-Amzn-Trace-Id added for an untraced stage")
	}
	if lines := log.Lines(); len(lines) != 1 || lines[0] != "- -" {
		t.Errorf("access log %q", lines)
	}
}

// tracingBenchFixture serves a MOCK route on a stage traced or not, through a proxy that
// exports spans nowhere (a processor that drops them) either way.
func tracingBenchFixture(tb testing.TB, traced bool, ratio float64) *fixture {
	f := newFixture(tb, Options{AccessLog: io.Discard, Tracing: tracing.New(tracetest.NewSpanRecorder(), nil)})
	st := stageOf("prod", "prod", apiOf(nil, mockRoute("one", "/pets/{petId}", "GET", `{"id":7}`)))
	st.AccessLogFormat = benchLogFormat
	st.Tracing = traced
	st.TracingSamplingRatio = &ratio
	f.apply(tb, st)
	return f
}

// A stage with tracing off costs what it cost before tracing existed, in allocations: the
// proxy having an exporter changes nothing for it.
func TestTracingOffAllocatesNothing(t *testing.T) {
	if race.Enabled {
		// The race detector has sync.Pool drop items at random: a request then allocates
		// its exchange and a block of request ids, a different number of times for each
		// fixture. make test runs this package without it too.
		t.Skip("allocation counts are measured without the race detector")
	}
	plain := newFixture(t, Options{AccessLog: io.Discard})
	st := stageOf("prod", "prod", apiOf(nil, mockRoute("one", "/pets/{petId}", "GET", `{"id":7}`)))
	st.AccessLogFormat = benchLogFormat
	plain.apply(t, st)
	off := tracingBenchFixture(t, false, 1)
	allocs := func(f *fixture) float64 {
		req := httptest.NewRequest("GET", "/prod/pets/7", nil)
		w := &benchWriter{h: http.Header{}}
		return testing.AllocsPerRun(200, func() {
			clear(w.h)
			f.ServeHTTP(w, req)
		})
	}
	if a, b := allocs(plain), allocs(off); b > a {
		t.Errorf("tracing off: %v allocations per request, without tracing %v", b, a)
	}
}

// BenchmarkProxyTracing compares a stage with tracing off, on but not sampled, and on.
func BenchmarkProxyTracing(b *testing.B) {
	for _, c := range []struct {
		name   string
		traced bool
		ratio  float64
	}{{"off", false, 1}, {"unsampled", true, 0}, {"sampled", true, 1}} {
		b.Run(c.name, func(b *testing.B) {
			runProxyBench(b, tracingBenchFixture(b, c.traced, c.ratio), "/prod/pets/7", 200)
		})
	}
}

// A sampled request's trace id is its latency buckets' exemplar, in an OpenMetrics scrape.
func TestTracingExemplars(t *testing.T) {
	backend := echoServer(t, "b")
	f, _, _ := tracedFixture(t)
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("one", "/pets/{petId}", "GET", backend.URL+"/pets/{petId}")))
	st.Tracing = true
	f.apply(t, st)
	if w := f.do("GET", "/prod/pets/7", nil, "traceparent", clientTraceparent); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	srv := httptest.NewServer(promhttp.HandlerFor(f.reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	want := `# {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"}`
	for _, name := range []string{"portico_request_duration_seconds_bucket", "portico_integration_duration_seconds_bucket"} {
		found := false
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, name+"{") && strings.Contains(line, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s line with exemplar %s in:\n%s", name, want, body)
		}
	}
}
