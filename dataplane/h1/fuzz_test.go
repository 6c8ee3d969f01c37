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
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/h1"
	"github.com/portico-dev/portico/dataplane/h1/h1test"
	"github.com/portico-dev/portico/internal/testkit"
)

// FuzzConn sends arbitrary bytes as a client's whole connection. What h1 reads itself (the
// HTTP/2 preface, the CRLF a POST may leave, Connection, Expect and Trailer values) and how
// it frames answers must hold for any input: the server never panics, and what it writes
// is a sequence of well-formed responses, one per request the handler saw (after any 1xx),
// then at most one refusal that closes the connection.
func FuzzConn(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
		"HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /?trailer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /?big HTTP/1.0\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nExpect: x\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var mu sync.Mutex
		var methods []string
		var logs testkit.Buffer
		srv := &h1.Server{ErrorLog: log.New(&logs, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			methods = append(methods, r.Method)
			mu.Unlock()
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Length", strconv.Itoa(len(b)))
			if r.URL.RawQuery == "trailer" {
				w.Header().Set("Trailer", "X-Sum")
				w.Header().Set("X-Sum", "1")
			}
			if r.URL.RawQuery == "big" {
				_, _ = w.Write(bytes.Repeat([]byte("x"), 3000))
			}
			_, _ = w.Write(b)
		})}
		c := newMemConn(in)
		go func() { _ = srv.Serve(h1test.NewListener(c)) }()
		select {
		case <-c.closed:
		case <-time.After(10 * time.Second):
			t.Fatal("the server never closed the connection")
		}
		_ = srv.Close()
		if strings.Contains(logs.String(), "panic") {
			t.Fatalf("the server panicked: %s", logs.String())
		}
		mu.Lock()
		defer mu.Unlock()
		out := bufio.NewReader(bytes.NewReader(c.out()))
		for i, m := range methods {
			res, ok := readFinal(t, out, m)
			if !ok {
				// The client left (the input ended) before the answer could be written.
				return
			}
			if res.StatusCode == http.StatusOK && i < len(methods)-1 && res.Close {
				t.Fatalf("answer %d closes the connection, but %d requests followed", i, len(methods)-1-i)
			}
		}
		if _, err := out.Peek(1); err == nil {
			res, ok := readFinal(t, out, http.MethodGet)
			if !ok || res.StatusCode < 400 || !res.Close {
				t.Fatalf("after the handler's answers: %v", res)
			}
			if rest, _ := io.ReadAll(out); len(rest) > 0 {
				t.Fatalf("%q after the refusal", rest)
			}
		}
	})
}

// readFinal reads a response to method after any 1xx; false if the output ended first.
func readFinal(t *testing.T, out *bufio.Reader, method string) (answer, bool) {
	t.Helper()
	for {
		if _, err := out.Peek(1); err != nil {
			return answer{}, false
		}
		res, err := http.ReadResponse(out, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("a malformed response: %v", err)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			t.Fatalf("a malformed response body: %v", err)
		}
		_ = res.Body.Close()
		if res.StatusCode >= 200 || res.StatusCode == http.StatusSwitchingProtocols {
			return answer{StatusCode: res.StatusCode, Header: res.Header, Close: res.Close}, true
		}
	}
}

// memConn is a connection whose client sent in and then stopped writing.
type memConn struct {
	in     *bytes.Reader
	mu     sync.Mutex
	buf    bytes.Buffer
	once   sync.Once
	closed chan struct{}
}

func newMemConn(in []byte) *memConn {
	return &memConn{in: bytes.NewReader(in), closed: make(chan struct{})}
}

func (c *memConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.in.Read(p)
}

func (c *memConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *memConn) out() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Bytes()
}

func (c *memConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
