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

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

func lambdaRoute(name, path, uri, version string) *xdsv1alpha1.Route {
	return &xdsv1alpha1.Route{Name: name, Path: path, Methods: []string{"ANY"}, Integration: &xdsv1alpha1.Integration{
		Type: "LAMBDA_PROXY", TimeoutMillis: 29000, Uri: uri, PayloadFormatVersion: version,
	}}
}

// function is a Lambda-style function over HTTP: it keeps the event it got and answers with
// the response the test sets.
type function struct {
	*httptest.Server
	events   chan map[string]any
	response string
	status   int
}

func newFunction(t *testing.T, response string) *function {
	fn := &function{events: make(chan map[string]any, 1), response: response, status: 200}
	fn.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("function called with %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("event: %v", err)
		}
		fn.events <- ev
		w.WriteHeader(fn.status)
		_, _ = io.WriteString(w, fn.response)
	}))
	t.Cleanup(fn.Close)
	return fn
}

func get(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func TestLambdaV2(t *testing.T) {
	fn := newFunction(t, `{"statusCode":201,"headers":{"content-type":"text/plain","x-a":"1"},"cookies":["s=1"],"body":"created"}`)
	f := newFixture(t, Options{})
	st := stageOf("prod", "prod", apiOf(nil, lambdaRoute("fn", "/pets/{petId}", fn.URL+"/invoke", "2.0")))
	st.Variables = map[string]string{"v": "1"}
	f.apply(t, st)
	w := f.do("POST", "/prod/pets/7?a=1&a=2&b=x", strings.NewReader(`{"name":"Rex"}`), "Cookie", "c1=1; c2=2", "X-Multi", "a", "X-Multi", "b")
	if w.Code != 201 || w.Body.String() != "created" || w.Header().Get("X-A") != "1" || w.Header().Get("Set-Cookie") != "s=1" {
		t.Errorf("response %d %q %v", w.Code, w.Body, w.Header())
	}
	ev := <-fn.events
	for path, want := range map[string]any{
		"version": "2.0", "routeKey": "ANY /pets/{petId}", "rawPath": "/prod/pets/7", "rawQueryString": "a=1&a=2&b=x",
		"body": `{"name":"Rex"}`, "isBase64Encoded": false, "headers.x-multi": "a,b", "queryStringParameters.a": "1,2",
		"pathParameters.petId": "7", "stageVariables.v": "1", "requestContext.stage": "prod",
		"requestContext.http.method": "POST", "requestContext.http.sourceIp": "192.0.2.1", "requestContext.apiId": "pets", "requestContext.accountId": "default",
		"requestContext.requestId": w.Header().Get("X-Request-Id"),
	} {
		if got := get(ev, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if c, _ := ev["cookies"].([]any); len(c) != 2 || c[0] != "c1=1" {
		t.Errorf("cookies %v", ev["cookies"])
	}

	// A JSON answer without statusCode is a 200 application/json body.
	fn.response = `{"hello":"world"}`
	w = f.do("GET", "/prod/pets/7", nil)
	<-fn.events
	if w.Code != 200 || w.Body.String() != `{"hello":"world"}` || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("inferred response %d %q %v", w.Code, w.Body, w.Header())
	}

	// A failing function or an unusable answer is a 500, as HTTP APIs answer for 2.0.
	fn.status = 500
	want500(t, f.do("GET", "/prod/pets/7", nil))
	<-fn.events
	fn.status, fn.response = 200, `not json`
	want500(t, f.do("GET", "/prod/pets/7", nil))
	<-fn.events
}

func TestLambdaV1(t *testing.T) {
	fn := newFunction(t, `{"statusCode":200,"multiValueHeaders":{"x-m":["1","2"]},"body":"aGk=","isBase64Encoded":true}`)
	f := newFixture(t, Options{})
	api := apiOf(nil, lambdaRoute("fn", "/files/{proxy+}", fn.URL+"/", "1.0"))
	api.BinaryMediaTypes = []string{"image/png"}
	f.apply(t, stageOf("prod", "prod", api))
	w := f.do("PUT", "/prod/files/a/b.png?x=1&x=2", strings.NewReader("\x89PNG"), "Content-Type", "image/png")
	if w.Code != 200 || w.Body.String() != "hi" || len(w.Header().Values("X-M")) != 2 {
		t.Errorf("response %d %q %v", w.Code, w.Body, w.Header())
	}
	ev := <-fn.events
	for path, want := range map[string]any{
		"version": "1.0", "resource": "/files/{proxy+}", "path": "/files/a/b.png", "httpMethod": "PUT",
		"pathParameters.proxy": "a/b.png", "queryStringParameters.x": "2", "headers.Content-Type": "image/png",
		"requestContext.path": "/prod/files/a/b.png", "requestContext.resourcePath": "/files/{proxy+}",
		"requestContext.identity.sourceIp": "192.0.2.1", "isBase64Encoded": true, "body": "iVBORw==",
		"stageVariables": nil,
	} {
		if got := get(ev, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if mv, _ := get(ev, "multiValueQueryStringParameters.x").([]any); len(mv) != 2 {
		t.Errorf("multiValueQueryStringParameters %v", ev["multiValueQueryStringParameters"])
	}
	fn.response = `{"body":"no status"}`
	wantGatewayError(t, f.do("GET", "/prod/files/x", nil), 502, "INTEGRATION_FAILURE", "Internal server error")
	<-fn.events
}

// A function that cannot be reached fails as its format answers failures: 502 for 1.0 (REST
// APIs), 500 "Internal Server Error" for 2.0 (HTTP APIs).
func TestLambdaUnreachableByFormat(t *testing.T) {
	f := newFixture(t, Options{})
	uri := "http://" + closedAddr(t) + "/2015-03-31/functions/function/invocations"
	f.apply(t, stageOf("prod", "prod", apiOf(nil, lambdaRoute("v1", "/v1", uri, "1.0"), lambdaRoute("v2", "/v2", uri, "2.0"))))
	wantGatewayError(t, f.do("GET", "/prod/v1", nil), 502, "INTEGRATION_FAILURE", "Internal server error")
	wantGatewayError(t, f.do("GET", "/prod/v2", nil), 500, "INTEGRATION_FAILURE", "Internal Server Error")
}
