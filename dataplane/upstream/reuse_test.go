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
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testkit"
)

// A response that arrives while its connection sits idle in the pool (a late second answer,
// or a 408 a backend sends before closing an idle keep-alive) is not taken as the answer to
// the next request sent on it: that request gets a connection of its own. So for a request
// that cannot be sent again, however soon it comes, and for any request while none other is
// in flight. A replayable one under load reuses a connection idle for less than freshIdle
// unchecked (the window nginx has under load), and one idle that long checked.
func TestUnsolicitedBytesRetireIdleConn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		load   bool // another request in flight
		idle   time.Duration
	}{
		{"GET at once, none in flight", http.MethodGet, false, 0},
		{"GET under load after freshIdle", http.MethodGet, true, freshIdle},
		{"POST under load at once", http.MethodPost, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idle, late := make(chan struct{}), make(chan struct{})
			url, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
				for {
					req, _, err := readRequest(br)
					if err != nil {
						return
					}
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
					if req.URL.Path == "/evil" {
						<-idle // the exchange is over: the connection is in the pool
						_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
						close(late) // on loopback, written is received
					}
				}
			})
			clock := testkit.NewClock(time.Unix(1000, 0)) // moves only when told: idle times are exact
			tr, _ := newTransport(t, Options{Now: clock.Now})
			want := int32(2)
			if tc.load {
				inFlight := open(t, tr, url+"/hold")
				defer func() { _ = inFlight.Close() }()
				want++
			}
			if _, body, err := get(t, tr, url+"/evil"); err != nil || body != "ok" {
				t.Fatalf("first: %v %q", err, body)
			}
			close(idle)
			<-late
			clock.Advance(tc.idle)
			req, _ := http.NewRequest(tc.method, url, strings.NewReader("abc"))
			res, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("second: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if string(body) != "ok" {
				t.Fatalf("second: %q (an unsolicited response was taken as this request's answer)", body)
			}
			if n := conns.Load(); n != want {
				t.Errorf("%d connections, want %d (the one written to unasked is not reused)", n, want)
			}
		})
	}
}

// A backend that closes an idle connection (a keep-alive timeout shorter than ours, or a
// shutdown) does not make the next request fail, idempotent or not. A request that cannot be
// sent again finds the connection closed when it is taken from the pool, as net/http's
// Transport notices it while idle; so does any request while none other is in flight. A
// replayable one under load, taken within freshIdle, goes unchecked, fails before any
// answer, and is sent again on a new connection, checking any it takes from the pool from
// then on.
func TestClosedIdleConnNotUsed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		body   string
		load   bool
		idle   time.Duration
	}{
		{"POST under load at once", http.MethodPost, "abc", true, 0},
		{"GET under load at once", http.MethodGet, "", true, 0},
		{"GET at once, none in flight", http.MethodGet, "", false, 0},
		{"GET under load after freshIdle", http.MethodGet, "", true, freshIdle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			closed := make(chan struct{}, 4)
			var sent atomic.Int32
			url, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
				if _, _, err := readRequest(br); err != nil {
					return
				}
				sent.Add(1)
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				_ = c.Close()
				closed <- struct{}{}
			})
			clock := testkit.NewClock(time.Unix(1000, 0)) // moves only when told: idle times are exact
			tr, _ := newTransport(t, Options{Now: clock.Now})
			want := int32(3)
			if tc.load {
				inFlight := open(t, tr, url)
				defer func() { _ = inFlight.Close() }()
				<-closed
				want++
			}
			// Two connections in the pool, both closed by the backend once idle: the second
			// request is sent while the first answer's body is unread.
			first := open(t, tr, url)
			second := open(t, tr, url)
			for _, body := range []io.ReadCloser{first, second} {
				_, _ = io.ReadAll(body)
				_ = body.Close()
			}
			<-closed // on loopback, the FIN is received once Close returns
			<-closed
			sent.Store(0)
			clock.Advance(tc.idle)
			req, _ := http.NewRequest(tc.method, url, strings.NewReader(tc.body))
			if tc.body == "" {
				req.Body = http.NoBody
			}
			if err := roundTripErr(tr, req); err != nil {
				t.Fatalf("%s after the backend closed its idle connections: %v", tc.method, err)
			}
			if n := sent.Load(); n != 1 {
				t.Errorf("the backend answered %d requests, want 1", n)
			}
			if n := conns.Load(); n != want {
				t.Errorf("%d connections, want %d (two closed, one new)", n, want)
			}
		})
	}
}

// open sends a GET and returns its answer's body, unread.
func open(t *testing.T, tr http.RoundTripper, url string) io.ReadCloser {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	return res.Body
}

// A response header timeout on a reused connection is not a closed connection: the backend
// has the request, so it is not sent again.
func TestHeaderTimeoutNotRetried(t *testing.T) {
	var calls atomic.Int32
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			if calls.Add(1) > 1 {
				_, _ = io.Copy(io.Discard, br) // never answers
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	tr, _ := newTransport(t, Options{ResponseHeaderTimeout: 100 * time.Millisecond})
	if _, _, err := get(t, tr, url); err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(t, tr, url); err == nil {
		t.Fatal("no error from a backend that never answered")
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("the backend got the second request %d times, want once", n-1)
	}
}

// Informational responses share the headers' budget: a backend streaming 103s is cut off at
// MaxResponseHeaderBytes, not left to run until the request's deadline.
func TestEndless1xxBounded(t *testing.T) {
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		for {
			if _, err := io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"); err != nil {
				return
			}
		}
	})
	tr, _ := newTransport(t, Options{MaxResponseHeaderBytes: 4096})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	err := roundTripErr(tr, req)
	if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "exceeded 4096 bytes") {
		t.Errorf("endless 1xx: %v, want the header limit", err)
	}
}

// A connection counts as carrying a request (pool.inUse, which tells load for freshIdle)
// from the moment it is taken or dialed until its answer is read, closed early, or failed:
// a count left behind would skip the check for every later request.
func TestInUseCounted(t *testing.T) {
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, _, err := readRequest(br)
			if err != nil {
				return
			}
			switch req.URL.Path {
			case "/fail":
				return // closes without an answer
			case "/head":
				_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
			default:
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		}
	})
	tr, _ := newTransport(t, Options{})
	inUse := func() int32 {
		v, ok := tr.pools.Load(strings.TrimPrefix(url, "http://"))
		if !ok {
			t.Fatal("no pool")
		}
		return v.inUse.Load()
	}
	a, b := open(t, tr, url), open(t, tr, url)
	if n := inUse(); n != 2 {
		t.Fatalf("%d in use with two answers unread, want 2", n)
	}
	_, _ = io.ReadAll(a)
	_ = a.Close()
	_ = b.Close() // early: the connection is closed
	if _, _, err := get(t, tr, url+"/head"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/fail", strings.NewReader("x"))
	if err := roundTripErr(tr, req); err == nil {
		t.Fatal("no error from a backend that closed without answering")
	}
	if n := inUse(); n != 0 {
		t.Errorf("%d in use after every answer ended, want 0", n)
	}
}
