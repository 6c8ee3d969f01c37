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

package upstream

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"reflect"
	"testing"
)

// A released response's memory serves later responses, but the values its caller took from
// its header stay as they were: a caller copies the value slices into its own map (the
// integration into the client's answer), which may outlive the request (a cache entry).
func TestReleasedResponseKeepsValues(t *testing.T) {
	n := 0
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			n++
			_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-N: %d\r\nX-Same: a\r\nContent-Length: 2\r\n\r\nok", n)
		}
	})
	tr, _ := newTransport(t, Options{})
	// roundTrip reads an answer and returns its header and what releases it.
	roundTrip := func() (http.Header, func()) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		res, err := tr.RoundTrip(req) //nolint:bodyclose // closed below; the linter loses it in the closure that releases it
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if b, err := io.ReadAll(res.Body); err != nil || string(b) != "ok" {
			t.Fatalf("body %q, %v", b, err)
		}
		return res.Header, func() { Release(res) }
	}
	first, release := roundTrip()
	held := first["X-N"]
	release()
	for range 20 {
		h, release := roundTrip()
		if h.Get("X-Same") != "a" || len(h) != 3 {
			t.Fatalf("header %v", h)
		}
		release()
	}
	if len(held) != 1 || held[0] != "1" {
		t.Errorf("a value taken from a released response changed: %q", held)
	}
}

// A response whose body is still open is not released: its connection is still reading it.
// Nor is one that is not the lean path's.
func TestReleaseLeavesOpenAndForeignResponses(t *testing.T) {
	url, _ := rawBackend(t, answerEach("HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok"))
	tr, _ := newTransport(t, Options{})
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	Release(res)
	if res.Header.Get("X-A") != "1" || res.Body.(*body).owner == nil {
		t.Error("a response with its body open was released")
	}
	if b, err := io.ReadAll(res.Body); err != nil || string(b) != "ok" {
		t.Errorf("body after a refused release %q, %v", b, err)
	}
	_ = res.Body.Close()

	foreign := &http.Response{Header: http.Header{"X-A": {"1"}}, Body: http.NoBody}
	Release(foreign)
	if foreign.Header.Get("X-A") != "1" {
		t.Error("a response of another transport was touched")
	}
}

// CanonicalNames vouches for the names of the lean path's answers, however the backend
// spelled them, and for no other response.
func TestCanonicalNames(t *testing.T) {
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nx-lower: 1\r\nCONTENT-type: text/plain\r\nwWw-Authenticate: x\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	tr, _ := newTransport(t, Options{})
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if !CanonicalNames(res) {
		t.Error("a lean answer's names are not vouched for")
	}
	for k := range res.Header {
		if k != textproto.CanonicalMIMEHeaderKey(k) {
			t.Errorf("name %q is not canonical", k)
		}
	}
	if CanonicalNames(&http.Response{Header: http.Header{"x-lower": {"1"}}, Body: http.NoBody}) {
		t.Error("a response of unknown origin is vouched for")
	}
}

// A caller that reads the header through Header gets the map built then, as it would have
// been at once; until then res.Header is empty.
func TestLazyHeader(t *testing.T) {
	url, _ := rawBackend(t, answerEach("HTTP/1.1 200 OK\r\nServer: nginx\r\nVary: A\r\nvary: B\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"))
	tr, _ := newTransport(t, Options{})
	for _, lazy := range []bool{false, true} {
		ctx := context.WithValue(context.Background(), HintsKey{}, &Hints{LazyHeader: lazy})
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Header); lazy != (got == 0) {
			t.Errorf("lazy %v: %d fields in the map before Header", lazy, got)
		}
		if got := Values(res, "Content-Length"); !reflect.DeepEqual(got, []string{"2"}) {
			t.Errorf("lazy %v: Content-Length %q", lazy, got)
		}
		want := http.Header{"Server": {"nginx"}, "Vary": {"A", "B"}, "Content-Length": {"2"}, "Connection": {"keep-alive"}}
		if got := Header(res); !reflect.DeepEqual(got, want) {
			t.Errorf("lazy %v: header %v, want %v", lazy, got, want)
		}
		if b, err := io.ReadAll(res.Body); err != nil || string(b) != "ok" {
			t.Errorf("lazy %v: body %q, %v", lazy, b, err)
		}
		_ = res.Body.Close()
		Release(res)
	}
}
