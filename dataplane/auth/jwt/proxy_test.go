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

package jwt

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// mockIntegration answers "pets".
func mockIntegration() *xdsv1alpha1.Integration {
	return &xdsv1alpha1.Integration{
		Type: "MOCK", TimeoutMillis: 29000,
		Mock: &xdsv1alpha1.Mock{StatusCode: 200, Headers: map[string]string{"content-type": "text/plain"}, Body: "pets"},
	}
}

// gateway is a proxy serving one stage, "prod", with a route /pets to in: protected by the
// authorizer az when it is set, open otherwise.
func gateway(t testing.TB, steps []proxy.Step, in *xdsv1alpha1.Integration, az *xdsv1alpha1.Authorizer, scopes ...string) *proxy.Proxy {
	t.Helper()
	return gatewayWith(t, steps, in, az, nil, scopes...)
}

// gatewayWith is gateway, with the API's gateway responses.
func gatewayWith(t testing.TB, steps []proxy.Step, in *xdsv1alpha1.Integration, az *xdsv1alpha1.Authorizer,
	responses map[string]*xdsv1alpha1.GatewayResponse, scopes ...string) *proxy.Proxy {
	t.Helper()
	route := &xdsv1alpha1.Route{Name: "pets", Path: "/pets", Methods: []string{"GET"}, Integration: in}
	api := &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{route}, GatewayResponses: responses}
	if az != nil {
		api.Authorizers = []*xdsv1alpha1.Authorizer{az}
		route.Authorization = &xdsv1alpha1.Authorization{Authorizer: az.GetName(), Scopes: scopes}
	}
	p := proxy.New(proxy.Options{Steps: steps, AccessLog: io.Discard})
	stage := &xdsv1alpha1.StageSnapshot{Key: "default/prod", Namespace: "default", StageName: "prod", RestApi: "pets", Api: api}
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{stage.GetKey(): stage}}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestThroughTheProxy: the step protects a route of an applied configuration, and the proxy
// serves the route once the step marked the request authorized.
func TestThroughTheProxy(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	c, p := newClock(), newIDP(t, k)
	step := NewStep(Options{Now: c.Now, HTTPClient: p.Client()})
	gw := gateway(t, []proxy.Step{step}, mockIntegration(), jwtAuthorizer(p.URL), "pets:read")

	get := func(headers ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/prod/pets", nil)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		return w
	}
	if w := get("Authorization", sign(t, k, claimsAt(c.Now(), "scope", "pets:read"))); w.Code != 200 || w.Body.String() != "pets" {
		t.Errorf("valid token: %d %s", w.Code, w.Body)
	}
	for _, tc := range []struct {
		headers []string
		status  int
		typ     string
	}{
		{nil, 401, "UNAUTHORIZED"},
		{[]string{"Authorization", "Bearer nope"}, 401, "UNAUTHORIZED"},
		{[]string{"Authorization", sign(t, k, claimsAt(c.Now()))}, 403, "ACCESS_DENIED"},
	} {
		w := get(tc.headers...)
		if w.Code != tc.status || w.Header().Get("X-Portico-Error-Type") != tc.typ || w.Header().Get("X-Request-Id") == "" {
			t.Errorf("%v: %d %v %s", tc.headers, w.Code, w.Header(), w.Body)
		}
	}

	// A configuration whose route names an undefined authorizer fails to apply.
	bad := jwtAuthorizer(p.URL)
	api := &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{{Name: "x", Path: "/x", Methods: []string{"GET"},
		Authorization: &xdsv1alpha1.Authorization{Authorizer: "missing"},
		Integration:   &xdsv1alpha1.Integration{Type: "MOCK", TimeoutMillis: 29000, Mock: &xdsv1alpha1.Mock{StatusCode: 200}}}},
		Authorizers: []*xdsv1alpha1.Authorizer{bad}}
	stage := &xdsv1alpha1.StageSnapshot{Key: "default/prod", Namespace: "default", StageName: "prod", RestApi: "pets", Api: api}
	if err := gw.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{stage.GetKey(): stage}}); err == nil {
		t.Error("undefined authorizer applied")
	}
}

// TestExpiredTokenGatewayResponse: an expired token is answered with the EXPIRED_TOKEN gateway
// response, 401 Unauthorized by default, and the API's override of it when it has one, while
// other refusals keep UNAUTHORIZED's.
func TestExpiredTokenGatewayResponse(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	c, p := newClock(), newIDP(t, k)
	step := NewStep(Options{Now: c.Now, HTTPClient: p.Client()})
	expired := sign(t, k, claimsAt(c.Now(), "exp", c.Now().Add(-time.Hour).Unix()))
	get := func(gw *proxy.Proxy, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/prod/pets", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		return w
	}

	gw := gateway(t, []proxy.Step{step}, mockIntegration(), jwtAuthorizer(p.URL))
	if w := get(gw, expired); w.Code != 401 || w.Header().Get("X-Portico-Error-Type") != "EXPIRED_TOKEN" || w.Body.String() != `{"message":"Unauthorized"}` {
		t.Errorf("expired token: %d %v %s", w.Code, w.Header(), w.Body)
	}

	body := `{"error":"token expired, refresh it"}`
	overrides := map[string]*xdsv1alpha1.GatewayResponse{
		"EXPIRED_TOKEN": {Headers: map[string]string{"WWW-Authenticate": `Bearer error="invalid_token"`}, Body: &body},
	}
	gw = gatewayWith(t, []proxy.Step{step}, mockIntegration(), jwtAuthorizer(p.URL), overrides)
	w := get(gw, expired)
	if w.Code != 401 || w.Body.String() != body || w.Header().Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Errorf("expired token with an EXPIRED_TOKEN override: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := get(gw, "nope"); w.Code != 401 || w.Header().Get("X-Portico-Error-Type") != "UNAUTHORIZED" || w.Body.String() == body {
		t.Errorf("invalid token with an EXPIRED_TOKEN override: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

// benchWriter is a ResponseWriter that keeps nothing.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.status = code }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkJWTCachedVerification serves a route through the proxy without an authorizer
// ("none") and with the JWT step and a token it verified before ("jwt"): the ratio of their
// times is what a cached verification costs a request. A MOCK route is the proxy's cheapest
// path, where the cost shows most; an HTTP_PROXY route to a local backend is a realistic one.
func BenchmarkJWTCachedVerification(b *testing.B) {
	k := rsaKey(b, 0, "k1", jose.RS256)
	c, p := newClock(), newIDP(b, k)
	tok := "Bearer " + sign(b, k, claimsAt(c.Now(), "scope", "pets:read", "email", "alice@example.com"))
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("pets")) }))
	b.Cleanup(backend.Close)
	httpProxy := &xdsv1alpha1.Integration{Type: "HTTP_PROXY", TimeoutMillis: 29000, Uri: backend.URL + "/pets"}
	step := NewStep(Options{Now: c.Now, HTTPClient: p.Client()})
	for _, tc := range []struct {
		name     string
		gw       *proxy.Proxy
		parallel bool
	}{
		{"mock/none", gateway(b, nil, mockIntegration(), nil), true},
		{"mock/jwt", gateway(b, []proxy.Step{step}, mockIntegration(), jwtAuthorizer(p.URL), "pets:read"), true},
		{"http/none", gateway(b, nil, httpProxy, nil), false},
		{"http/jwt", gateway(b, []proxy.Step{step}, httpProxy, jwtAuthorizer(p.URL), "pets:read"), false},
	} {
		serve := func(r *http.Request, w *benchWriter) bool {
			clear(w.h)
			w.status = 0
			tc.gw.ServeHTTP(w, r)
			return w.status == http.StatusOK
		}
		newRequest := func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/prod/pets", nil)
			r.Header.Set("Authorization", tok)
			return r
		}
		b.Run(tc.name, func(b *testing.B) {
			r, w := newRequest(), &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				if !serve(r, w) {
					b.Fatalf("status %d", w.status)
				}
			}
		})
		if !tc.parallel {
			continue
		}
		b.Run(tc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r, w := newRequest(), &benchWriter{h: http.Header{}}
				for pb.Next() {
					if !serve(r, w) {
						b.Errorf("status %d", w.status)
						return
					}
				}
			})
		})
	}
}

// FuzzToken sends arbitrary identity values through the step: whatever a client sends, the
// step answers without panicking, and only a token it verified reaches the route.
func FuzzToken(f *testing.F) {
	k := rsaKey(f, 0, "k1", jose.RS256)
	e := newEnv(f, []signingKey{k}, nil)
	valid := sign(f, k, claimsAt(e.clock.Now()))
	for _, s := range []string{
		"", "Bearer ", "bearer " + valid, valid, valid + "x", "a.b.c", "..", "....", "Bearer a.b",
		b64(`{"alg":"none"}`) + "." + b64(`{}`) + ".",
		b64(`{"alg":"RS256","kid":"k1"}`) + "." + b64(`{"exp":"x","aud":7,"scp":[1,{}]}`) + ".AAAA",
		b64(`{"alg":"RS256","crit":["x"]}`) + "." + b64(`null`) + ".",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		e.t = t
		w := e.do("/pets", "Authorization", token)
		if w.Code != 200 && w.Code != 401 {
			t.Fatalf("status %d", w.Code)
		}
		if (w.Code == 200) != (e.last != nil) {
			t.Fatalf("status %d, next called: %v", w.Code, e.last != nil)
		}
		if _, err := parseIdentitySource([]string{token}); err == nil && token == "" {
			t.Fatal("empty identity source accepted")
		}
	})
}
