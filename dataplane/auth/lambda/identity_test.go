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
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/mapping"
)

func TestParseSource(t *testing.T) {
	for in, want := range map[string]source{
		"$request.header.authorization":      {Kind: mapping.Header, Name: "Authorization"},
		"method.request.header.X-Api-Token":  {Kind: mapping.Header, Name: "X-Api-Token"},
		"$request.querystring.token":         {Kind: mapping.QueryString, Name: "token"},
		"method.request.querystring.a.b":     {Kind: mapping.QueryString, Name: "a.b"},
		"$stageVariables.tenant":             {Kind: mapping.StageVariable, Name: "tenant"},
		"stageVariables.tenant":              {Kind: mapping.StageVariable, Name: "tenant"},
		"$context.identity.sourceIp":         {Kind: mapping.Context, Name: "identity.sourceIp", Var: mapping.ContextSourceIP},
		"$context.requestId":                 {Kind: mapping.Context, Name: "requestId", Var: mapping.ContextRequestID},
		"context.httpMethod":                 {Kind: mapping.Context, Name: "httpMethod", Var: mapping.ContextHTTPMethod},
		"$context.stage":                     {Kind: mapping.Context, Name: "stage", Var: mapping.ContextStage},
		"$request.header.X-Forwarded-Client": {Kind: mapping.Header, Name: "X-Forwarded-Client"},
	} {
		got, err := parseSource(in)
		if err != nil || got != want {
			t.Errorf("parseSource(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "$request.header.", "$request.body.x", "$request.header.a b", "$stageVariables.",
		"$context.authorizer.principalId", "$context.", "header.Authorization", "$request.path.id",
	} {
		if _, err := parseSource(in); err == nil {
			t.Errorf("parseSource(%q) parsed", in)
		}
	}
}

func TestSourceValues(t *testing.T) {
	r := httptest.NewRequest("PUT", "http://h/prod/x?q=1&q=2", nil)
	r.Header.Add("x-token", "a")
	r.Header.Add("X-Token", "b")
	rc := &reqctx.Request{ID: "id-1", SourceIP: "192.0.2.1", Stage: "prod", API: "shop/pets", Variables: map[string]string{"v": "w"}}
	var query url.Values
	for in, want := range map[string]string{
		"$request.header.X-TOKEN":    "a,b",
		"$request.querystring.q":     "1,2",
		"$request.querystring.none":  "",
		"$stageVariables.v":          "w",
		"$context.requestId":         "id-1",
		"$context.identity.sourceIp": "192.0.2.1",
		"$context.httpMethod":        "PUT",
		"$context.stage":             "prod",
		"$context.apiId":             "pets",
		"$context.accountId":         "shop",
	} {
		src, err := parseSource(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := sourceValue(src, r, rc, &query); got != want {
			t.Errorf("%s = %q, want %q", in, got, want)
		}
	}
}

// A request that repeats an identity source (two Authorization headers, ?token=a&token=b) is
// refused with 400 before the function is called: the function would judge one value and the
// backend might read the other.
func TestRepeatedIdentitySource(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", "*")))
	token := newEnv(t, routeFor(tokenAuthorizer(a.URL, 0)), Options{})
	expectStatus(t, token.do("GET", "/pets/7", "Authorization", "good", "Authorization", "evil"), http.StatusBadRequest, "BAD_REQUEST_PARAMETERS")
	expectCalls(t, a, 0)
	expectStatus(t, token.do("GET", "/pets/7", "Authorization", "good"), http.StatusOK, "")
	expectCalls(t, a, 1)

	az := tokenAuthorizer(a.URL, 0)
	az.Type = "REQUEST"
	az.IdentitySources = []string{"$request.header.X-User", "$request.querystring.tenant"}
	req := newEnv(t, routeFor(az), Options{})
	w := req.do("GET", "/pets/7?tenant=a&tenant=b", "X-User", "u")
	expectStatus(t, w, http.StatusBadRequest, "BAD_REQUEST_PARAMETERS")
	if want := `{"message":"Invalid request parameters: identity source tenant sent more than once"}`; w.Body.String() != want {
		t.Errorf("body %s, want %s", w.Body, want)
	}
	expectStatus(t, req.do("GET", "/pets/7?tenant=a", "X-User", "u", "x-user", "v"), http.StatusBadRequest, "BAD_REQUEST_PARAMETERS")
	expectCalls(t, a, 1)
	// Other headers and parameters may repeat.
	expectStatus(t, req.do("GET", "/pets/7?tenant=a&x=1&x=2", "X-User", "u", "X-Trace", "1", "X-Trace", "2"), http.StatusOK, "")
	expectCalls(t, a, 2)
}
