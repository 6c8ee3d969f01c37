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
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// The tests below decode the events Portico sends into aws-lambda-go's own types, what a
// Go function running under lambda.Start receives, and check them field by field.

// rawFunction keeps the raw events it gets and the path it was called on.
type rawFunction struct {
	*httptest.Server
	events   chan []byte
	paths    chan string
	response string
	header   http.Header
}

func newRawFunction(t *testing.T, response string) *rawFunction {
	fn := &rawFunction{events: make(chan []byte, 1), paths: make(chan string, 1), response: response, header: http.Header{}}
	fn.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fn.events <- b
		fn.paths <- r.URL.Path
		for k, v := range fn.header {
			w.Header()[k] = v
		}
		_, _ = io.WriteString(w, fn.response)
	}))
	t.Cleanup(fn.Close)
	return fn
}

func (fn *rawFunction) event(t *testing.T, into any) {
	t.Helper()
	b := <-fn.events
	<-fn.paths
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("event %s: %v", b, err)
	}
}

func want500(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != 500 || w.Body.String() != `{"message":"Internal Server Error"}` || w.Header().Get("X-Request-Id") == "" {
		t.Errorf("got %d %q %v, want 500 Internal Server Error", w.Code, w.Body, w.Header())
	}
}

const rieInvocations = "/2015-03-31/functions/function/invocations"

func TestLambdaV1Fidelity(t *testing.T) {
	fn := newRawFunction(t, `{"statusCode":200,"headers":{"X-A":"one"},"multiValueHeaders":{"X-A":["two"]},"body":"ok"}`)
	f := newFixture(t, Options{})
	// No payloadFormatVersion: the compiler's default is 1.0; here the backend is a cluster
	// whose invocation path is the emulator's.
	route := lambdaRoute("fn", "/pets/{proxy+}", "", "1.0")
	route.Integration.Uri = ""
	route.Integration.Backend = &xdsv1alpha1.Backend{Cluster: "default/fn:8080", Path: rieInvocations}
	opts := lambdaRoute("cors", "/pets/{proxy+}", fn.URL, "1.0")
	opts.Methods = []string{"OPTIONS"}
	f.applyWith(t, endpointsOf("default/fn:8080", strings.TrimPrefix(fn.URL, "http://")),
		stageOf("prod", "prod", apiOf(nil, route, opts)))

	w := f.do("DELETE", "/prod/pets/a/b?q=1&q=2", nil, "HeaderAuth1", "headerValue1", "X-Multi", "a", "X-Multi", "b")
	if w.Code != 200 || w.Body.String() != "ok" || strings.Join(w.Header().Values("X-A"), ",") != "two,one" {
		t.Errorf("response %d %q %v", w.Code, w.Body, w.Header())
	}
	if p := <-fn.paths; p != rieInvocations {
		t.Errorf("called on %q, want %q", p, rieInvocations)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(<-fn.events, &ev); err != nil {
		t.Fatal(err)
	}
	rc := ev.RequestContext
	checks := map[string][2]any{
		"httpMethod":        {ev.HTTPMethod, "DELETE"},
		"resource":          {ev.Resource, "/pets/{proxy+}"},
		"path":              {ev.Path, "/pets/a/b"},
		"pathParameters":    {ev.PathParameters["proxy"], "a/b"},
		"query":             {ev.QueryStringParameters["q"], "2"},
		"multiQuery":        {strings.Join(ev.MultiValueQueryStringParameters["q"], ","), "1,2"},
		"multiHeaders":      {strings.Join(ev.MultiValueHeaders["X-Multi"], ","), "a,b"},
		"xff":               {ev.Headers["X-Forwarded-For"], "192.0.2.1"},
		"xfproto":           {ev.Headers["X-Forwarded-Proto"], "http"},
		"accountId":         {rc.AccountID, "default"},
		"apiId":             {rc.APIID, "pets"},
		"resourceId":        {rc.ResourceID, "fn"},
		"resourcePath":      {rc.ResourcePath, "/pets/{proxy+}"},
		"extendedRequestId": {rc.ExtendedRequestID, w.Header().Get("X-Request-Id")},
		"requestId":         {rc.RequestID, w.Header().Get("X-Request-Id")},
		"domainName":        {rc.DomainName, "example.com"},
		"domainPrefix":      {rc.DomainPrefix, "example"},
		"stage":             {rc.Stage, "prod"},
		"sourceIp":          {rc.Identity.SourceIP, "192.0.2.1"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if ev.Headers["X-Forwarded-Port"] == "" {
		t.Errorf("no X-Forwarded-Port in %v", ev.Headers)
	}

	// The specific method beside ANY wins.
	w = f.do("OPTIONS", "/prod/pets/a", nil)
	if w.Code != 200 {
		t.Errorf("OPTIONS: %d", w.Code)
	}
	fn.event(t, &ev)
	if ev.RequestContext.ResourceID != "cors" {
		t.Errorf("OPTIONS went to %s", ev.RequestContext.ResourceID)
	}

	// A function's error object is a 502 whose body says nothing of it.
	fn.response = `{"errorMessage":"secret database password in trace","errorType":"errorString"}`
	w = f.do("GET", "/prod/pets/a", nil)
	fn.event(t, &ev)
	wantGatewayError(t, w, 502, "INTEGRATION_FAILURE", "Internal server error")
	if strings.Contains(w.Body.String(), "secret") {
		t.Errorf("the function's error leaked: %q", w.Body)
	}
}

func TestLambdaV2Fidelity(t *testing.T) {
	fn := newRawFunction(t, `{"statusCode":200,"body":"ok"}`)
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, lambdaRoute("fn", "/pets/{proxy+}", fn.URL+rieInvocations, "2.0"))))

	w := f.do("PATCH", "/prod/pets/7?a=1", strings.NewReader("{}"), "HeaderAuth1", "v", "X-Forwarded-For", "198.51.100.7")
	if w.Code != 200 {
		t.Fatalf("response %d %q", w.Code, w.Body)
	}
	var ev events.APIGatewayV2HTTPRequest
	fn.event(t, &ev)
	rc := ev.RequestContext
	checks := map[string][2]any{
		"routeKey":         {ev.RouteKey, "ANY /pets/{proxy+}"},
		"context.routeKey": {rc.RouteKey, "ANY /pets/{proxy+}"},
		"rawPath":          {ev.RawPath, "/prod/pets/7"},
		"header":           {ev.Headers["headerauth1"], "v"},
		"xff":              {ev.Headers["x-forwarded-for"], "198.51.100.7, 192.0.2.1"},
		"method":           {rc.HTTP.Method, "PATCH"},
		"accountId":        {rc.AccountID, "default"},
		"apiId":            {rc.APIID, "pets"},
		"domainPrefix":     {rc.DomainPrefix, "example"},
		"proxy":            {ev.PathParameters["proxy"], "7"},
		"body":             {ev.Body, "{}"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}

	// Errors, by error object or by the runtime's X-Amz-Function-Error, are 500s with
	// nothing of the function's text.
	fn.response = `{"errorMessage":"secret","errorType":"Error"}`
	want500(t, f.do("GET", "/prod/pets/7", nil))
	fn.event(t, &ev)
	fn.response = `"secret"`
	fn.header.Set("X-Amz-Function-Error", "Unhandled")
	want500(t, f.do("GET", "/prod/pets/7", nil))
	fn.event(t, &ev)
}

// A function's failure is the INTEGRATION_FAILURE gateway response for both payload
// versions: 500 "Internal Server Error" by default for 2.0, 502 for 1.0, and an override of
// INTEGRATION_FAILURE or DEFAULT_5XX applies to both, never with the function's text.
func TestLambdaFunctionErrorsAreGatewayResponses(t *testing.T) {
	fn := newRawFunction(t, `{"errorMessage":"secret stack","errorType":"Error"}`)
	f := newFixture(t, Options{})
	api := apiOf(nil, lambdaRoute("v2", "/v2", fn.URL, "2.0"), lambdaRoute("v1", "/v1", fn.URL, "1.0"))
	f.apply(t, stageOf("prod", "prod", api))

	w := f.do("GET", "/prod/v2", nil)
	fn.event(t, &map[string]any{})
	wantGatewayError(t, w, 500, "INTEGRATION_FAILURE", "Internal Server Error")
	w = f.do("GET", "/prod/v1", nil)
	fn.event(t, &map[string]any{})
	wantGatewayError(t, w, 502, "INTEGRATION_FAILURE", "Internal server error")

	// DEFAULT_5XX's body and headers apply; its status is not set, so each keeps its own.
	api.GatewayResponses = map[string]*xdsv1alpha1.GatewayResponse{"DEFAULT_5XX": {
		Headers: map[string]string{"X-Custom": "yes"},
		Body:    proto.String(`{"error":"$context.error.message","type":"$context.error.responseType"}`),
	}}
	f.apply(t, stageOf("prod", "prod", api))
	for path, status := range map[string]int{"/prod/v2": 500, "/prod/v1": 502} {
		w = f.do("GET", path, nil)
		fn.event(t, &map[string]any{})
		if w.Code != status || w.Header().Get("X-Custom") != "yes" || strings.Contains(w.Body.String(), "secret") ||
			!strings.Contains(w.Body.String(), `"type":"INTEGRATION_FAILURE"`) {
			t.Errorf("%s: %d %v %q", path, w.Code, w.Header(), w.Body)
		}
	}

	// INTEGRATION_FAILURE with a status: it wins for both.
	api.GatewayResponses = map[string]*xdsv1alpha1.GatewayResponse{"INTEGRATION_FAILURE": {StatusCode: 503, Body: proto.String(`{"down":true}`)}}
	f.apply(t, stageOf("prod", "prod", api))
	for _, path := range []string{"/prod/v2", "/prod/v1"} {
		w = f.do("GET", path, nil)
		fn.event(t, &map[string]any{})
		if w.Code != 503 || w.Body.String() != `{"down":true}` || w.Header().Get("X-Portico-Error-Type") != "INTEGRATION_FAILURE" {
			t.Errorf("%s: %d %v %q", path, w.Code, w.Header(), w.Body)
		}
	}

	// The runtime's error status without an error object is the same failure.
	fn.response = `"secret"`
	fn.header.Set("X-Amz-Function-Error", "Unhandled")
	w = f.do("GET", "/prod/v2", nil)
	fn.event(t, &map[string]any{})
	if w.Code != 503 || strings.Contains(w.Body.String(), "secret") {
		t.Errorf("X-Amz-Function-Error: %d %q", w.Code, w.Body)
	}
}
