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

package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestXRayParent(t *testing.T) {
	sc, ok := XRayParent("Root=1-5759e988-bd862e3fe1be46a994272793; Parent=53995c3f42cd8ad8; Sampled=1")
	if !ok || sc.TraceID().String() != "5759e988bd862e3fe1be46a994272793" || sc.SpanID().String() != "53995c3f42cd8ad8" || !sc.IsSampled() || !sc.IsRemote() {
		t.Fatalf("parsed %v %v", sc, ok)
	}
	if got := XRayHeader(sc); got != "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" {
		t.Errorf("written back as %q", got)
	}
	for _, bad := range []string{
		"", "Root=1-5759e988-bd862e3fe1be46a994272793", // no Parent: a balancer's
		"Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8",
		"Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
		"Root=1-5759e988-bd862e3fe1be46a99427279x;Parent=53995c3f42cd8ad8",
		"Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000",
	} {
		if _, ok := XRayParent(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestXRayRoot(t *testing.T) {
	for _, v := range []string{"Root=1-5759e988-bd862e3fe1be46a994272793", "Self=1-a-b;Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?"} {
		if id, ok := XRayRoot(v); !ok || id.String() != "5759e988bd862e3fe1be46a994272793" {
			t.Errorf("XRayRoot(%q) = %v, %v", v, id, ok)
		}
	}
	for _, bad := range []string{"", "Root=1-00000000-000000000000000000000000", "Root=1-5759e988-bd862e3fe1be46a99427279", "Parent=53995c3f42cd8ad8"} {
		if _, ok := XRayRoot(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	// The ID generator gives a root span the trace WithTraceID names, and a random one
	// otherwise.
	id, _ := XRayRoot("Root=1-5759e988-bd862e3fe1be46a994272793")
	if got, span := (idGenerator{}).NewIDs(WithTraceID(context.Background(), id)); got != id || !span.IsValid() {
		t.Errorf("NewIDs = %v %v", got, span)
	}
	a, _ := idGenerator{}.NewIDs(context.Background())
	b, _ := idGenerator{}.NewIDs(context.Background())
	if !a.IsValid() || a == b || a == id {
		t.Errorf("random ids %v %v", a, b)
	}
}

func FuzzXRayParent(f *testing.F) {
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	f.Fuzz(func(t *testing.T, v string) {
		if sc, ok := XRayParent(v); ok {
			if back, ok2 := XRayParent(XRayHeader(sc)); !ok2 || back.TraceID() != sc.TraceID() || back.SpanID() != sc.SpanID() {
				t.Fatalf("%q does not read back", v)
			}
		}
	})
}

// Every call the gateway makes for a traced request carries X-Amzn-Trace-Id beside its
// traceparent: an authorizer function's, a non-proxy HTTP integration's.
func TestTransportAddsXRayHeader(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	t.Cleanup(srv.Close)
	sc, _ := XRayParent("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	res, err := (&http.Client{Transport: Transport(nil, "authorizer")}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if x := got.Get(HeaderXRay); x != "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0" || !strings.HasPrefix(got.Get("Traceparent"), "00-5759e988") {
		t.Errorf("X-Amzn-Trace-Id %q, traceparent %q", x, got.Get("Traceparent"))
	}
}
