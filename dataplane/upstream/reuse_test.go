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
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A response that arrives while its connection sits idle in the pool (a late second answer,
// or a 408 a backend sends before closing an idle keep-alive) is not taken as the answer to
// the next request sent on it: that request gets a connection of its own.
func TestUnsolicitedBytesRetireIdleConn(t *testing.T) {
	idle, late := make(chan struct{}), make(chan struct{})
	var once sync.Once
	url, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			once.Do(func() {
				<-idle // the first exchange is over: the connection is in the pool
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
				close(late) // on loopback, written is received
			})
		}
	})
	tr, _ := newTransport(t, Options{})
	if _, body, err := get(t, tr, url); err != nil || body != "ok" {
		t.Fatalf("first: %v %q", err, body)
	}
	close(idle)
	<-late
	if _, body, err := get(t, tr, url); err != nil || body != "ok" {
		t.Fatalf("second: %v %q (an unsolicited response was taken as this request's answer)", err, body)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the one written to unasked is not reused)", n)
	}
}

// A backend that closes an idle connection (a keep-alive timeout shorter than ours) does not
// make the next request fail, idempotent or not: the closed connection is noticed when it is
// taken from the pool, as net/http's Transport notices it while idle.
func TestClosedIdleConnNotUsed(t *testing.T) {
	closed := make(chan struct{}, 2)
	url, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		_ = c.Close()
		closed <- struct{}{}
	})
	tr, _ := newTransport(t, Options{})
	if _, _, err := get(t, tr, url); err != nil {
		t.Fatal(err)
	}
	<-closed // on loopback, the FIN is received once Close returns
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("abc"))
	if err := roundTripErr(tr, req); err != nil {
		t.Errorf("POST after the backend closed an idle connection: %v", err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
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
