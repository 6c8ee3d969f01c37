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
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Exchanges are reused, but a request id outlives its request (a response header map the
// server writes after the handler, a log line, a span): it must not change when the next
// requests run.
func TestRequestIDOutlivesExchange(t *testing.T) {
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, mockRoute("one", "/pets", "GET", "ok"))))
	first := f.do("GET", "/prod/pets", nil)
	held := first.Header()[http.CanonicalHeaderKey("x-request-id")]
	if len(held) != 1 || !isRequestID(held[0]) {
		t.Fatalf("x-request-id %q", held)
	}
	want := strings.Clone(held[0])
	seen := map[string]bool{want: true}
	for range 20 {
		id := f.do("GET", "/prod/pets", nil).Header().Get("x-request-id")
		if seen[id] {
			t.Fatalf("request id %s twice", id)
		}
		seen[id] = true
	}
	if held[0] != want {
		t.Errorf("the first response's request id changed to %s after later requests, was %s", held[0], want)
	}
}

// A released exchange is cleared for the next request; one whose request was retained, or a
// WebSocket upgrade's, is left as it is to whatever still holds it.
func TestExchangeRelease(t *testing.T) {
	used := func() *exchange {
		ex := newExchange()
		ex.setRequestID(httptest.NewRecorder())
		ex.rw.status = http.StatusTeapot
		return ex
	}
	ex := used()
	ex.release()
	if ex.rc().ID != "" || ex.rw.status != 0 {
		t.Errorf("released exchange not cleared: id %q, status %d", ex.rc().ID, ex.rw.status)
	}

	ex = used()
	ex.rc().Retain()
	ex.release()
	if ex.rc().ID == "" || ex.rw.status != http.StatusTeapot {
		t.Error("a retained request's exchange was cleared for reuse")
	}

	ex = used()
	ex.ws = true
	ex.release()
	if ex.rc().ID == "" || ex.rw.status != http.StatusTeapot {
		t.Error("a WebSocket upgrade's exchange was cleared for reuse")
	}
}

// Requests served at once, each on state another request used before, see only their own:
// the backend gets each one's path, query, body and request id, and each client its answer.
func TestConcurrentRequestsKeepTheirOwnState(t *testing.T) {
	be := echoServer(t, "be")
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil,
		uriRoute("one", "/items/{id}", "GET,POST", be.URL+"/items/{id}"),
		uriRoute("fixed", "/fixed", "GET,POST", be.URL+"/fixed"))))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				method, body := "GET", ""
				if i%2 == 1 {
					method, body = "POST", strings.Repeat("b", g*40+i)
				}
				// The templated route's URL is built for each request, the fixed one's
				// copied into its state.
				path, query := fmt.Sprintf("/items/%d-%d", g, i), fmt.Sprintf("q=%d-%d", g, i)
				if i%4 >= 2 {
					path = "/fixed"
				}
				w := f.do(method, "/prod"+path+"?"+query, strings.NewReader(body))
				var e echoed
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
					t.Errorf("%s %s: status %d, body %q", method, path, w.Code, w.Body)
					return
				}
				id := w.Header().Get("X-Request-Id")
				switch {
				case e.Method != method || e.Path != path || e.Query != query || e.BodyLen != len(body):
					t.Errorf("%s %s: the backend saw %s %s?%s with %d bytes", method, path, e.Method, e.Path, e.Query, e.BodyLen)
				case e.Header.Get("X-Request-Id") != id || !isRequestID(id):
					t.Errorf("%s %s: request id %q to the backend, %q to the client", method, path, e.Header.Get("X-Request-Id"), id)
				}
			}
		}()
	}
	wg.Wait()
}
