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

package cors

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy"
)

func compile(t *testing.T, c *xdsv1alpha1.Cors) *Policy {
	t.Helper()
	p, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func preflight(origin, method string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, "/prod/pets", nil)
	if origin != "" {
		r.Header.Set(HeaderOrigin, origin)
	}
	if method != "" {
		r.Header.Set(HeaderRequestMethod, method)
	}
	if len(headers) > 0 {
		r.Header.Set(HeaderRequestHeaders, strings.Join(headers, ","))
	}
	return r
}

// want checks h for exactly the CORS headers of want ("" meaning absent) and Vary.
func want(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	for _, k := range []string{HeaderAllowOrigin, HeaderAllowCredentials, HeaderAllowMethods, HeaderAllowHeaders, HeaderExposeHeaders, HeaderMaxAge, "Vary"} {
		if got := strings.Join(h.Values(k), ", "); got != want[k] {
			t.Errorf("%s: got %q, want %q", k, got, want[k])
		}
	}
}

var app = &xdsv1alpha1.Cors{
	AllowOrigins:  []string{"https://app.example.com", "https://*.pets.example.com", "http://localhost:3000"},
	AllowMethods:  []string{"GET", "POST"},
	AllowHeaders:  []string{"authorization", "content-type"},
	ExposeHeaders: []string{"x-request-id"},
	MaxAgeSeconds: proto.Int32(600),
}

func TestPreflight(t *testing.T) {
	p := compile(t, app)
	allowed := map[string]string{
		HeaderAllowMethods: "GET, POST",
		HeaderAllowHeaders: "authorization, content-type",
		HeaderMaxAge:       "600",
		"Vary":             "Origin",
	}
	for _, origin := range []string{"https://app.example.com", "HTTPS://App.Example.com", "https://shop.pets.example.com", "https://a.b.pets.example.com", "http://localhost:3000"} {
		t.Run(origin, func(t *testing.T) {
			w := httptest.NewRecorder()
			if !p.Preflight(w, preflight(origin, "POST", "content-type")) {
				t.Fatal("not answered")
			}
			if w.Code != http.StatusNoContent {
				t.Fatalf("status %d", w.Code)
			}
			allowed[HeaderAllowOrigin] = origin
			want(t, w.Header(), allowed)
		})
	}
	for _, origin := range []string{"https://evil.example.com", "http://app.example.com", "https://pets.example.com", "https://.pets.example.com", "https://a..pets.example.com",
		"https://x.pets.example.com:8443", "https://x.pets.example.com.evil.com", "https://evil.com/.pets.example.com", "https://user@x.pets.example.com", "http://localhost:3001", "null"} {
		t.Run(origin, func(t *testing.T) {
			w := httptest.NewRecorder()
			if !p.Preflight(w, preflight(origin, "GET")) {
				t.Fatal("a preflight from a refused origin was not answered")
			}
			if w.Code != http.StatusNoContent {
				t.Fatalf("status %d", w.Code)
			}
			want(t, w.Header(), map[string]string{"Vary": "Origin"})
		})
	}
}

func TestNotPreflight(t *testing.T) {
	p := compile(t, app)
	for name, r := range map[string]*http.Request{
		"no origin":         preflight("", "GET"),
		"no request method": preflight("https://app.example.com", ""),
		"GET":               httptest.NewRequest(http.MethodGet, "/", nil),
	} {
		w := httptest.NewRecorder()
		if p.Preflight(w, r) || len(w.Header()) != 0 || w.Body.Len() != 0 {
			t.Errorf("%s: answered", name)
		}
	}
}

func TestWildcardPort(t *testing.T) {
	p := compile(t, &xdsv1alpha1.Cors{AllowOrigins: []string{"https://*.example.com:8443"}})
	for origin, ok := range map[string]bool{
		"https://a.example.com:8443": true, "https://a.example.com": false, "https://a.example.com:84430": false, "https://example.com:8443": false,
	} {
		if p.Match(origin) != ok {
			t.Errorf("%s: got %v", origin, !ok)
		}
	}
}

func TestCredentials(t *testing.T) {
	p := compile(t, &xdsv1alpha1.Cors{
		AllowOrigins:     []string{"https://app.example.com", "*"},
		AllowMethods:     []string{"*"},
		AllowHeaders:     []string{"*"},
		ExposeHeaders:    []string{"*", "x-request-id"},
		AllowCredentials: true,
	})
	// A listed origin gets credentials, and the method and headers it asked for, never "*".
	w := httptest.NewRecorder()
	p.Preflight(w, preflight("https://app.example.com", "DELETE", "Authorization", "X-Trace"))
	want(t, w.Header(), map[string]string{
		HeaderAllowOrigin:      "https://app.example.com",
		HeaderAllowCredentials: "true",
		HeaderAllowMethods:     "DELETE",
		HeaderAllowHeaders:     "authorization, x-trace",
		"Vary":                 "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
	})
	// Requested headers that are not tokens are not echoed.
	w = httptest.NewRecorder()
	p.Preflight(w, preflight("https://app.example.com", "GET", "x-a\r\nSet-Cookie: a=b"))
	if v := w.Header().Get(HeaderAllowHeaders); v != "" {
		t.Errorf("echoed %q", v)
	}
	// Any other origin is allowed by "*", but without credentials.
	w = httptest.NewRecorder()
	p.Preflight(w, preflight("https://other.example", "PUT", "x-trace"))
	want(t, w.Header(), map[string]string{
		HeaderAllowOrigin:  "*",
		HeaderAllowMethods: "*",
		HeaderAllowHeaders: "*, Authorization",
		"Vary":             "Origin",
	})
	h := http.Header{}
	p.Decorate(h, "https://app.example.com")
	want(t, h, map[string]string{HeaderAllowOrigin: "https://app.example.com", HeaderAllowCredentials: "true", HeaderExposeHeaders: "x-request-id", "Vary": "Origin"})
}

func TestAnyOrigin(t *testing.T) {
	p := compile(t, &xdsv1alpha1.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"GET"}, ExposeHeaders: []string{"*"}})
	w := httptest.NewRecorder()
	p.Preflight(w, preflight("https://anyone.example", "GET"))
	want(t, w.Header(), map[string]string{HeaderAllowOrigin: "*", HeaderAllowMethods: "GET"})
	h := http.Header{}
	p.Decorate(h, "null")
	want(t, h, map[string]string{HeaderAllowOrigin: "*", HeaderExposeHeaders: "*"})
	// Without Origin too: the answer is the same for every request, so nothing varies (a
	// cache may hand one fetched without Origin to a browser's request).
	h = http.Header{}
	p.Decorate(h, "")
	want(t, h, map[string]string{HeaderAllowOrigin: "*", HeaderExposeHeaders: "*"})
	if h.Get("Vary") != "" {
		t.Errorf("Vary %q", h.Get("Vary"))
	}
}

func TestStep(t *testing.T) {
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/refused":
			gatewayresponse.Write(w, r, gatewayresponse.InvalidAPIKey, nil, "req-1")
		default:
			// A backend's own CORS headers are replaced by the API's.
			w.Header().Set(HeaderAllowOrigin, "*")
			w.Header().Set(HeaderAllowCredentials, "true")
			w.Header().Set("Vary", "Accept-Encoding")
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("ok"))
		}
	})
	h, err := NewStep()(&proxy.Route{API: &xdsv1alpha1.Api{Cors: proto.CloneOf(app)}, Route: &xdsv1alpha1.Route{Methods: []string{"ANY"}}}, backend)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	r := httptest.NewRequest(http.MethodGet, "/pets", nil)
	r.Header.Set(HeaderOrigin, "https://app.example.com")
	w := serve(r)
	want(t, w.Header(), map[string]string{HeaderAllowOrigin: "https://app.example.com", HeaderExposeHeaders: "x-request-id", "Vary": "Accept-Encoding, Origin"})
	if w.Body.String() != "ok" {
		t.Fatalf("body %q", w.Body)
	}

	r = httptest.NewRequest(http.MethodGet, "/pets", nil)
	r.Header.Set(HeaderOrigin, "https://evil.example")
	w = serve(r)
	want(t, w.Header(), map[string]string{"Vary": "Accept-Encoding, Origin"})

	// An OPTIONS request that is not a preflight reaches the route.
	r = httptest.NewRequest(http.MethodOptions, "/pets", nil)
	r.Header.Set(HeaderOrigin, "https://app.example.com")
	if w = serve(r); w.Body.String() != "ok" {
		t.Fatalf("OPTIONS without Access-Control-Request-Method: %d %q", w.Code, w.Body)
	}

	// A later step's refusal carries the headers, so the page can read it.
	r = httptest.NewRequest(http.MethodGet, "/refused", nil)
	r.Header.Set(HeaderOrigin, "https://x.pets.example.com")
	w = serve(r)
	if w.Code != http.StatusForbidden || w.Header().Get(HeaderAllowOrigin) != "https://x.pets.example.com" {
		t.Fatalf("refusal: %d %v", w.Code, w.Header())
	}
}

func TestStepFlushAndUnwrap(t *testing.T) {
	h, err := NewStep()(&proxy.Route{API: &xdsv1alpha1.Api{Cors: app}, Route: &xdsv1alpha1.Route{}}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Error(err)
		}
		if _, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok {
			t.Error("no Unwrap")
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/pets", nil)
	r.Header.Set(HeaderOrigin, "https://app.example.com")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if !w.Flushed || w.Header().Get(HeaderAllowOrigin) != "https://app.example.com" {
		t.Fatalf("flushed %v, headers %v", w.Flushed, w.Header())
	}
}

func TestStepNotApplicable(t *testing.T) {
	next := http.NotFoundHandler()
	for name, api := range map[string]*xdsv1alpha1.Api{
		"no cors":   {},
		"websocket": {Protocol: "WEBSOCKET", Cors: app},
	} {
		h, err := NewStep()(&proxy.Route{API: api, Route: &xdsv1alpha1.Route{}}, next)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, preflight("https://app.example.com", "GET"))
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: the step wrapped the route", name)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []*xdsv1alpha1.Cors{
		nil,
		{AllowOrigins: []string{"app.example.com"}},
		{AllowOrigins: []string{"https://app.example.com/path"}},
		{AllowOrigins: []string{"https://*"}},
		{AllowOrigins: []string{"https://*example.com"}},
		{AllowOrigins: []string{"https://a.*.example.com"}},
		{AllowOrigins: []string{"https://*.*.example.com"}},
		{AllowOrigins: []string{"*://app.example.com"}},
		{AllowMethods: []string{"GET POST"}},
		{AllowHeaders: []string{"x-a\r\nx-b"}},
		{ExposeHeaders: []string{""}},
		{MaxAgeSeconds: proto.Int32(-1)},
	} {
		if _, err := Compile(c); err == nil {
			t.Errorf("%v: no error", c)
		}
		if _, err := NewStep()(&proxy.Route{API: &xdsv1alpha1.Api{Cors: c}, Route: &xdsv1alpha1.Route{}}, http.NotFoundHandler()); c != nil && err == nil {
			t.Errorf("%v: the step built", c)
		}
	}
}

func TestGuard(t *testing.T) {
	g, err := Guard(&xdsv1alpha1.Api{Cors: app}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if !g(w, preflight("https://app.example.com", "GET")) || w.Code != http.StatusNoContent {
		t.Fatal("preflight not answered")
	}
	if g(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/pets", nil)) {
		t.Fatal("a request that is no preflight was answered")
	}
	if g, err := Guard(&xdsv1alpha1.Api{}, nil); g != nil || err != nil {
		t.Fatal("a guard without a policy")
	}
	if _, err := Guard(&xdsv1alpha1.Api{Cors: &xdsv1alpha1.Cors{AllowOrigins: []string{"bad"}}}, nil); err == nil {
		t.Fatal("an invalid policy built a guard")
	}
}

func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"https://*.example.com", "https://app.example.com", "*", "http://*.a:1", "https://*."} {
		f.Add(s, "https://a.example.com")
	}
	f.Fuzz(func(t *testing.T, pattern, origin string) {
		p, err := Compile(&xdsv1alpha1.Cors{AllowOrigins: []string{pattern}, AllowHeaders: []string{"*"}, AllowCredentials: true})
		if err != nil {
			return
		}
		ok := p.Match(origin)
		if ok && pattern != "*" && !strings.HasPrefix(strings.ToLower(origin), strings.ToLower(pattern[:strings.Index(pattern, "://")+3])) {
			t.Fatalf("%q matched %q of another scheme", pattern, origin)
		}
		// Lowering may change the length (invalid UTF-8 becomes U+FFFD): slice what matched.
		lower := strings.ToLower(origin)
		for _, w := range p.wildcards {
			if w.match(lower) && strings.ContainsAny(lower[len(w.prefix):len(lower)-len(w.suffix)], ":/@?#") {
				t.Fatalf("%q matched %q with more than a host", pattern, origin)
			}
		}
		r := preflight(origin, "GET", origin)
		rec := httptest.NewRecorder()
		p.Preflight(rec, r)
		p.Decorate(http.Header{}, origin)
	})
}

func BenchmarkDecorate(b *testing.B) {
	p, err := Compile(app)
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		clear(h)
		p.Decorate(h, "https://shop.pets.example.com")
	}
}
