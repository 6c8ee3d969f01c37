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
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/h1"
	"github.com/portico-dev/portico/internal/testkit"
)

// serveCounting is serve, with the deadlines set on the server's connections counted.
func serveCounting(t *testing.T, h http.Handler, opts ...func(*h1.Server)) (*testkit.DeadlineCounts, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl, n := testkit.CountDeadlines(l)
	serveOn(t, cl, h, opts...)
	return n, l.Addr().String()
}

// A kept-alive connection's read deadline (idle, then header) is left set from one request
// to the next while it still serves, rather than set three times per request; so is the
// write deadline a response leaves.
func TestDeadlinesLeftSet(t *testing.T) {
	timeouts := func(s *h1.Server) {
		s.ReadHeaderTimeout = 10 * time.Second
		s.IdleTimeout = time.Minute
	}
	var wrote atomic.Int64
	n, addr := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// As edge's writer does: a deadline a minute ahead, set only when less is left.
		now := time.Now()
		if wd := w.(interface{ WriteDeadline() time.Time }).WriteDeadline(); now.Add(time.Minute).After(wd) {
			wrote.Add(1)
			_ = http.NewResponseController(w).SetWriteDeadline(now.Add(75 * time.Second))
		}
		_, _ = io.WriteString(w, "ok")
	}), timeouts)
	c := dial(t, addr)
	const requests = 50
	for range requests {
		c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, body := c.read("GET"); body != "ok" {
			t.Fatalf("body %q", body)
		}
	}
	// The first request's header deadline, the first idle wait's, and one spare.
	if r := n.Read.Load(); r > 3 {
		t.Errorf("%d read deadlines set for %d requests", r, requests)
	}
	if w, set := n.Write.Load(), wrote.Load(); w > 2 || set > 2 {
		t.Errorf("%d write deadlines set (%d by the handler) for %d requests", w, set, requests)
	}
}

// What a deadline left set must not cut: a request that runs longer than the idle timeout
// (the client watch reads meanwhile), a body sent later than the idle deadline left for the
// header, a 100 Continue sent after the write deadline the last response left, and a header
// that arrives in pieces, which still gets the header timeout only.
func TestDeadlinesLeftSetCutNothing(t *testing.T) {
	const idle = 150 * time.Millisecond
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/long":
			select {
			case <-r.Context().Done():
				t.Error("a request longer than the idle timeout was cancelled")
			case <-time.After(4 * idle): // a backend slower than the idle timeout
			}
		case "/body":
			b, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("the body: %v", err)
			}
			_, _ = w.Write(b)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}), func(s *h1.Server) {
		s.ReadHeaderTimeout = 200 * time.Millisecond
		s.IdleTimeout = idle
	})

	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.read("GET")
	c.send("GET /long HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body := c.read("GET"); body != "ok" {
		t.Fatalf("/long: %q", body)
	}

	c = dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.read("GET")
	c.send("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
	time.Sleep(3 * idle) // a slow client: its body comes after the deadline left for the header
	c.send("hello")
	if _, body := c.read("POST"); body != "hello" {
		t.Fatalf("/body: %q", body)
	}

	// A write deadline left in the future, by a handler as edge's writer does, ends before
	// the next request reads its body: the 100 Continue that read sends is not cut by it.
	_, addr = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/first" {
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(2 * idle))
			return
		}
		time.Sleep(4 * idle) // a handler slow to read the body
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	c = dial(t, addr)
	c.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
	c.read("GET")
	c.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
	if head := c.head(); !strings.HasPrefix(head, "HTTP/1.1 100 Continue") {
		t.Fatalf("no 100 Continue: %q", head)
	}
	c.send("hi")
	if _, body := c.read("POST"); body != "hi" {
		t.Fatalf("upload: %q", body)
	}

	_, addr = serve(t, ok, func(s *h1.Server) {
		s.ReadHeaderTimeout = 200 * time.Millisecond
		s.IdleTimeout = time.Minute
	})
	c = dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.read("GET")
	c.send("GET / HTTP/1.1\r\nHost: x\r\n") // never ends
	start := time.Now()
	if !c.closed(5 * time.Second) {
		t.Fatal("a header that never ends holds the connection")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closed after %v", d)
	}
}

// A request's header deadline that passes while its handler runs (slower than the header
// timeout, quicker than the client watch, which would clear it) ends nothing: the read that
// waits for the next request gets the idle timeout, and the next request is served.
func TestHeaderDeadlinePassedDuringHandler(t *testing.T) {
	const header = 20 * time.Millisecond
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(3 * header) // the subject: a handler that outlasts the header deadline
		}
		_, _ = io.WriteString(w, "ok")
	}), func(s *h1.Server) {
		s.ReadHeaderTimeout = header
		s.IdleTimeout = time.Minute
	})
	c := dial(t, addr)
	for _, path := range []string{"/slow", "/", "/slow", "/"} {
		c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, body := c.read("GET"); body != "ok" {
			t.Fatalf("%s: %q", path, body)
		}
	}
}
