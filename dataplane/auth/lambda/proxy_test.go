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
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// TestThroughTheProxy: the step guards a route of an applied configuration, with the
// request state the proxy really builds (stage path, path parameters), and the authorizer's
// principal and context reach the integration as $context.authorizer.*.
func TestThroughTheProxy(t *testing.T) {
	a := newAuthz(t, blueprintHandler)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-User")+" "+r.Header.Get("X-Key"))
	}))
	t.Cleanup(backend.Close)

	az := tokenAuthorizer(a.URL, 300)
	route := &xdsv1alpha1.Route{
		Name: "pet", Path: "/pets/{petId}", Methods: []string{"ANY"},
		Authorization: &xdsv1alpha1.Authorization{Authorizer: az.GetName()},
		Integration: &xdsv1alpha1.Integration{
			Type: "HTTP_PROXY", TimeoutMillis: 29000, Uri: backend.URL + "/pets/{petId}",
			RequestParameters: map[string]string{
				"header.x-user": "$context.authorizer.principalId",
				"header.x-key":  "$context.authorizer.key",
			},
		},
	}
	api := &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{route}, Authorizers: []*xdsv1alpha1.Authorizer{az}}
	stage := &xdsv1alpha1.StageSnapshot{Key: "shop/prod", Namespace: "shop", StageName: "prod", RestApi: "pets", Api: api}
	gw := proxy.New(proxy.Options{Steps: []proxy.Step{NewStep(Options{})}, AccessLog: io.Discard})
	if err := gw.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{stage.GetKey(): stage}}); err != nil {
		t.Fatal(err)
	}
	send := func(method, path, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		if token != "" {
			r.Header.Set("Authorization", token)
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		return w
	}

	w := send("GET", "/prod/pets/7", "alice")
	if w.Code != http.StatusOK || w.Body.String() != "user|alice value" {
		t.Fatalf("allowed request: %d %q", w.Code, w.Body)
	}
	if arn := a.Last()["methodArn"]; arn != arnPrefix+"GET/pets/7" {
		t.Fatalf("methodArn %v", arn)
	}
	expectStatus(t, send("DELETE", "/prod/pets/7", "alice"), http.StatusForbidden, "ACCESS_DENIED")
	expectStatus(t, send("GET", "/prod/pets/7", ""), http.StatusUnauthorized, "UNAUTHORIZED")
	expectStatus(t, send("GET", "/prod/pets/7", "deny"), http.StatusForbidden, "ACCESS_DENIED")
	expectCalls(t, a, 2)
}
