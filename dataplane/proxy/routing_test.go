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
	"math/rand/v2"
	"strings"
	"testing"
)

func TestRouting(t *testing.T) {
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil,
		mockRoute("root", "/", "GET", "root"),
		mockRoute("list", "/pets", "GET", "list"),
		mockRoute("mine", "/pets/mine", "GET", "mine"),
		mockRoute("one", "/pets/{petId}", "GET", "one"),
		mockRoute("rest", "/pets/{proxy+}", "GET", "rest"),
		mockRoute("any", "/things", "ANY", "any"),
		mockRoute("get-things", "/things", "GET", "get-things"),
		mockRoute("create", "/pets", "POST", "create"),
	)))
	cases := []struct{ method, path, body string }{
		{"GET", "/prod", "root"},
		{"GET", "/prod/", "root"},
		{"GET", "/prod/pets", "list"},
		{"GET", "/prod/pets/", "list"},
		{"POST", "/prod/pets", "create"},
		{"GET", "/prod/pets/mine", "mine"},
		{"GET", "/prod/pets/7", "one"},
		{"GET", "/prod/pets/7/toys", "rest"},
		{"DELETE", "/prod/things", "any"},
		{"PROPFIND", "/prod/things", "any"},
		{"GET", "/prod/things", "get-things"},
		{"HEAD", "/prod/things", ""}, // ANY before the GET fallback; no body either way
		{"GET", "/prod/pets/7?x=1", "one"},
	}
	for _, c := range cases {
		w := f.do(c.method, c.path, nil)
		if w.Code != 200 || w.Body.String() != c.body {
			t.Errorf("%s %s: %d %q, want %q", c.method, c.path, w.Code, w.Body, c.body)
		}
		if !isRequestID(w.Header().Get("X-Request-Id")) {
			t.Errorf("%s %s: request id %q", c.method, c.path, w.Header().Get("X-Request-Id"))
		}
	}
	// HEAD falls back to GET routes: headers, no body.
	w := f.do("HEAD", "/prod/pets/7", nil)
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "3" {
		t.Errorf("HEAD: %d %q %v", w.Code, w.Body, w.Header())
	}
}

func TestRequestIDs(t *testing.T) {
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, mockRoute("r", "/", "GET", "x"))))
	seen := map[string]bool{}
	for range 100 {
		id := f.do("GET", "/prod", nil, "X-Request-Id", "client-chosen").Header().Get("X-Request-Id")
		if !isRequestID(id) || seen[id] {
			t.Fatalf("request id %q (repeat: %v)", id, seen[id])
		}
		seen[id] = true
	}
}

func TestHosts(t *testing.T) {
	f := newFixture(t, Options{})
	f.apply(t,
		stageOf("exact", "prod", apiOf([]string{"pets.example.com", "Other.Example.org"}, mockRoute("r", "/", "GET", "exact"))),
		stageOf("wild", "prod", apiOf([]string{"*.example.com"}, mockRoute("r", "/", "GET", "wild"))),
		stageOf("deeper", "prod", apiOf([]string{"*.b.example.com"}, mockRoute("r", "/", "GET", "deeper"))),
		stageOf("any", "prod", apiOf(nil, mockRoute("r", "/", "GET", "any"))),
		stageOf("dev", "dev", apiOf(nil, mockRoute("r", "/", "GET", "dev-any"))),
	)
	cases := []struct{ host, path, body string }{
		{"pets.example.com", "/prod", "exact"},
		{"pets.example.com:8443", "/prod", "exact"},
		{"PETS.Example.COM.", "/prod", "exact"},
		{"other.example.org", "/prod", "exact"},
		{"x.example.com", "/prod", "wild"},
		{"x.y.example.com:80", "/prod", "wild"},
		{"y.b.example.com", "/prod", "deeper"},
		{"b.example.com", "/prod", "wild"},
		{"example.com", "/prod", "any"},
		{"elsewhere.org", "/prod", "any"},
		{"[::1]:8080", "/prod", "any"},
		{"10.0.0.1", "/prod", "any"},
		// A host claim without the stage falls through to the APIs serving every host.
		{"pets.example.com", "/dev", "dev-any"},
	}
	for _, c := range cases {
		w := f.do("GET", c.path, nil, "Host", c.host)
		if w.Code != 200 || w.Body.String() != c.body {
			t.Errorf("%s%s: %d %q, want %q", c.host, c.path, w.Code, w.Body, c.body)
		}
	}
}

func TestNotFound(t *testing.T) {
	f := newFixture(t, Options{})
	if f.Ready() {
		t.Fatal("ready before a configuration")
	}
	wantGatewayError(t, f.do("GET", "/prod/pets", nil), 404, "RESOURCE_NOT_FOUND", "Not Found")

	f.apply(t, stageOf("prod", "prod", apiOf([]string{"pets.example.com"},
		mockRoute("list", "/pets", "GET", "list"),
		mockRoute("one", "/pets/{petId}", "GET,DELETE", "one"),
	)))
	if !f.Ready() {
		t.Fatal("not ready after Apply")
	}
	for _, c := range []struct {
		method, host, path string
		status             int
		typ, message       string
	}{
		{"GET", "pets.example.com", "/", 404, "RESOURCE_NOT_FOUND", "Not Found"},
		{"GET", "pets.example.com", "/dev/pets", 404, "RESOURCE_NOT_FOUND", "Not Found"},
		{"GET", "other.example.com", "/prod/pets", 404, "RESOURCE_NOT_FOUND", "Not Found"},
		{"GET", "pets.example.com", "/prod/nope", 404, "RESOURCE_NOT_FOUND", "Not Found"},
		{"GET", "pets.example.com", "/prod/pets/1/2", 404, "RESOURCE_NOT_FOUND", "Not Found"},
		{"GET", "pets.example.com", "/prod/pets/..", 404, "RESOURCE_NOT_FOUND", "Not Found"},
		{"POST", "pets.example.com", "/prod/pets", 403, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"},
		{"PUT", "pets.example.com", "/prod/pets/7", 403, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"},
	} {
		t.Run(c.method+c.path, func(t *testing.T) {
			wantGatewayError(t, f.do(c.method, c.path, nil, "Host", c.host), c.status, c.typ, c.message)
		})
	}
}

func TestRequestTooLargeByContentLength(t *testing.T) {
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, mockRoute("r", "/", "POST", "ok"))))
	w := f.do("POST", "/prod", strings.NewReader(strings.Repeat("a", 10<<20+1)))
	wantGatewayError(t, w, 413, "REQUEST_TOO_LARGE", "Request Too Long (10 MB limit)")
	if w := f.do("POST", "/prod", strings.NewReader(strings.Repeat("a", 10<<20))); w.Code != 200 {
		t.Errorf("10 MB exactly: %d", w.Code)
	}
}

// formatUUID writes what fmt writes of the same bytes, in UUID form.
func TestFormatUUID(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		var u [16]byte
		for i := range u {
			u[i] = byte(rng.IntN(256))
		}
		var s [36]byte
		formatUUID(&s, &u)
		want := fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
		if string(s[:]) != want {
			t.Fatalf("%q, want %q", s[:], want)
		}
	}
}
