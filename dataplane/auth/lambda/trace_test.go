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

package lambda

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/tracing"
)

// TestTracedAuthorizerCall: on a traced stage the function authorizer's call is a child span
// of the request's, and the function receives its traceparent, in the client's trace.
func TestTracedAuthorizerCall(t *testing.T) {
	var mu sync.Mutex
	var seen string
	a := newAuthz(t, func(w http.ResponseWriter, r *http.Request, ev map[string]any) {
		mu.Lock()
		seen = r.Header.Get("Traceparent")
		mu.Unlock()
		answerJSON(policyAnswer("Allow", "*"))(w, r, ev)
	})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(backend.Close)

	az := tokenAuthorizer(a.URL, 0)
	route := &xdsv1alpha1.Route{
		Name: "pet", Path: "/pets", Methods: []string{"GET"},
		Authorization: &xdsv1alpha1.Authorization{Authorizer: az.GetName()},
		Integration:   &xdsv1alpha1.Integration{Type: "HTTP_PROXY", TimeoutMillis: 29000, Uri: backend.URL + "/pets"},
	}
	api := &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{route}, Authorizers: []*xdsv1alpha1.Authorizer{az}}
	stage := &xdsv1alpha1.StageSnapshot{Key: "shop/prod", Namespace: "shop", StageName: "prod", RestApi: "pets", Api: api, Tracing: true}
	exp := tracetest.NewInMemoryExporter()
	gw := proxy.New(proxy.Options{
		Steps: []proxy.Step{NewStep(Options{})}, AccessLog: io.Discard,
		Tracing: tracing.New(sdktrace.NewSimpleSpanProcessor(exp), nil),
	})
	if err := gw.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{stage.GetKey(): stage}}); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/prod/pets", nil)
	r.Header.Set("Authorization", "alice")
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	w := httptest.NewRecorder()
	gw.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		byName[s.Name] = s
	}
	server, call := byName["GET /pets"], byName["authorizer"]
	if call.Parent.SpanID() != server.SpanContext.SpanID() || !server.SpanContext.IsValid() {
		t.Fatalf("authorizer span not a child of the server span: %v", exp.GetSpans())
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + call.SpanContext.SpanID().String() + "-01"; seen != want {
		t.Errorf("function got traceparent %q, want %q", seen, want)
	}
	if _, ok := byName["integration"]; !ok {
		t.Errorf("no integration span: %v", byName)
	}
}
