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

package h1_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/h1"
)

type ctxKey struct{}

// Each request's handler finds its head as the client sent it, names in the client's
// spelling, from the server's context and from one derived from it (as the proxy's); and
// whether it had both lengths. A head longer than the connection's buffer is read by
// net/http's parser, and recorded as it is read. Requests follow each other on one
// connection, each with its own head.
func TestRequestHead(t *testing.T) {
	type seen struct {
		head, derived string
		both          bool
	}
	got := make(chan seen, 1)
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		head, both, ok := h1.RequestHead(r.Context())
		derived, _, dok := h1.RequestHead(context.WithValue(r.Context(), ctxKey{}, 1))
		if !ok || !dok {
			t.Error("no head")
		}
		got <- seen{head, derived, both}
	}))
	long := "X-Pad: " + strings.Repeat("p", 6000) + "\r\n"
	c := dial(t, addr)
	for _, tc := range []struct {
		name, head, body string
		both             bool
	}{
		{"short", "GET /a HTTP/1.1\r\nHost: x\r\nHeaderAuth1: v\r\nx-lower: 1\r\n\r\n", "", false},
		{"both lengths", "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\ntransfer-encoding: chunked\r\n\r\n", "0\r\n\r\n", true},
		{"long", "GET /c HTTP/1.1\r\nHost: x\r\n" + long + "HeaderAuth1: v\r\n\r\n", "", false},
		{"long, both lengths", "POST /d HTTP/1.1\r\nHost: x\r\n" + long + "CONTENT-LENGTH: 9\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n\r\n", true},
		{"HTTP/1.0 with a Transfer-Encoding: faulty", "POST /e HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", "", true},
		{"long, HTTP/1.0", "POST /f HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n" + long + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", "", true},
		{"HTTP/1.0 with a length", "POST /g HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", "", false},
	} {
		c.send(tc.head + tc.body)
		s := <-got
		if s.head != tc.head || s.derived != tc.head {
			t.Errorf("%s: head %.80q (derived context: %.80q), want %.80q", tc.name, s.head, s.derived, tc.head)
		}
		if s.both != tc.both {
			t.Errorf("%s: both lengths %v, want %v", tc.name, s.both, tc.both)
		}
		if a, _ := c.read(http.MethodGet); a.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", tc.name, a.StatusCode)
		}
	}
	if _, _, ok := h1.RequestHead(context.Background()); ok {
		t.Error("a head for a context of no request")
	}
}

// A connection reuses a request's memory for its next request (the *http.Request itself),
// unless the handler kept it (KeepRequest): then the kept request stays as it was served.
// The connection's first request is read by the fast path too, which alone fills that
// memory: the HTTP/2 preface check reads only the first bytes, and the fast path waits for
// the rest of the request line rather than hand the head to http.ReadRequest.
func TestKeepRequest(t *testing.T) {
	got := make(chan *http.Request, 1)
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("keep") != "" {
			h1.KeepRequest(context.WithValue(r.Context(), ctxKey{}, 1))
		}
		got <- r
	}))
	c := dial(t, addr)
	serveOne := func(target string) *http.Request {
		t.Helper()
		c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nX-Target: " + target + "\r\n\r\n")
		r := <-got
		if a, _ := c.read(http.MethodGet); a.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", target, a.StatusCode)
		}
		return r
	}
	one := serveOne("/one")
	kept := serveOne("/two?keep=1")
	if kept != one {
		t.Error("a request did not reuse the memory of the one before it")
	}
	if three := serveOne("/three"); three == kept {
		t.Fatal("a kept request's memory was reused")
	}
	if kept.URL.Path != "/two" || kept.RequestURI != "/two?keep=1" || kept.Header.Get("X-Target") != "/two?keep=1" {
		t.Errorf("the kept request changed: %s %s %v", kept.URL.Path, kept.RequestURI, kept.Header)
	}
}

// A HEAD answer that declares a length keeps its connection, as net/http's does: whether
// the connection may carry another request is decided before the request's memory is
// cleared for the next one (the method among it).
func TestHeadKeepsConnectionWithReusedRequest(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
	}))
	c := dial(t, addr)
	for i := range 3 {
		c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
		if a, _ := c.read(http.MethodHead); a.StatusCode != http.StatusOK || a.Close {
			t.Fatalf("HEAD %d: status %d, close %v", i, a.StatusCode, a.Close)
		}
	}
}

// Received is when a request's first byte came: for a connection's first request too, not
// when the connection came (a client may connect well before it sends).
func TestReceived(t *testing.T) {
	type seen struct {
		at, handled time.Time
		ok          bool
	}
	got := make(chan seen, 1)
	accepted := make(chan struct{}, 1)
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, ok := h1.Received(context.WithValue(r.Context(), ctxKey{}, 1))
		got <- seen{at, time.Now(), ok}
	}), func(s *h1.Server) {
		s.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				accepted <- struct{}{}
			}
		}
	})
	c := dial(t, addr)
	<-accepted
	// Not a wait for a state (the connection is accepted): a gap between the connection's
	// coming and its first request's, which a clock read at the connection's start misses.
	time.Sleep(20 * time.Millisecond)
	for _, target := range []string{"/first", "/second"} {
		before := time.Now()
		c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")
		s := <-got
		if !s.ok || s.at.Before(before) || s.at.After(s.handled) {
			t.Errorf("%s: received at %v (ok %v), want between %v and %v", target, s.at, s.ok, before, s.handled)
		}
		if a, _ := c.read(http.MethodGet); a.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", target, a.StatusCode)
		}
	}
	if _, ok := h1.Received(context.Background()); ok {
		t.Error("a time for a context of no request")
	}
}

// A request's context serves the connection's next request too, unless something may still
// hold it: a handler that asked for its Done channel (as one does to hand it on), or that
// kept the request (KeepRequest). Such a context stays ended, whatever comes after it.
func TestRequestContextReused(t *testing.T) {
	type seen struct {
		ctx context.Context
		err error // during its request
	}
	got := make(chan seen, 1)
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		switch {
		case r.URL.Query().Get("done") != "":
			_ = ctx.Done()
		case r.URL.Query().Get("keep") != "":
			h1.KeepRequest(ctx)
		}
		got <- seen{ctx, ctx.Err()}
	}))
	c := dial(t, addr)
	serveOne := func(target string) context.Context {
		t.Helper()
		c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")
		s := <-got
		if a, _ := c.read(http.MethodGet); a.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", target, a.StatusCode)
		}
		if s.err != nil {
			t.Fatalf("%s: its context had ended during the request: %v", target, s.err)
		}
		return s.ctx
	}
	ended := func(name string, ctx context.Context) {
		t.Helper()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("%s: context no longer ended: %v", name, ctx.Err())
		}
	}
	one := serveOne("/one")
	if two := serveOne("/two"); two != one {
		t.Error("a request's context was not reused by the next request")
	}
	asked := serveOne("/three?done=1")
	if four := serveOne("/four"); four == asked {
		t.Fatal("a context whose Done channel was asked for was reused")
	}
	ended("Done asked for", asked)
	select {
	case <-asked.Done():
	default:
		t.Error("Done asked for: the channel is not closed")
	}
	kept := serveOne("/five?keep=1")
	if six := serveOne("/six"); six == kept {
		t.Fatal("a kept request's context was reused")
	}
	ended("kept", kept)
}
