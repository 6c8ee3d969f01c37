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
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/h1"
)

// serve serves h with an h1.Server (changed by opts) on a loopback listener, closed when
// the test ends, and returns the server and its address.
func serve(t *testing.T, h http.Handler, opts ...func(*h1.Server)) (*h1.Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, l, h, opts...), l.Addr().String()
}

// serveOn is serve on l.
func serveOn(t *testing.T, l net.Listener, h http.Handler, opts ...func(*h1.Server)) *h1.Server {
	srv := &h1.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	for _, o := range opts {
		o(srv)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return srv
}

// client is a raw TCP client: it writes bytes and reads responses as they come.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatal(err)
	}
}

// answer is what a test looks at of a response, once read.
type answer struct {
	StatusCode       int
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Close            bool
}

// read reads one response to a request of method, with its body.
func (c *client) read(method string) (answer, string) {
	c.t.Helper()
	res, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("reading a response: %v", err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("reading a body: %v", err)
	}
	return answer{res.StatusCode, res.Header, res.ContentLength, res.TransferEncoding, res.Close}, string(b)
}

// head reads a response's status line and header, as they are on the wire.
func (c *client) head() string {
	c.t.Helper()
	var sb strings.Builder
	for {
		line, err := c.br.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			c.t.Fatalf("reading a header: %v (after %q)", err, sb.String())
		}
		if line == "\r\n" {
			return sb.String()
		}
	}
}

// rest reads until the server closes the connection (or 10 s pass).
func (c *client) rest() string {
	c.t.Helper()
	b, _ := io.ReadAll(c.br)
	return string(b)
}

// closed reports whether the server closed the connection within d.
func (c *client) closed(d time.Duration) bool {
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	defer func() { _ = c.c.SetReadDeadline(time.Now().Add(10 * time.Second)) }()
	_, err := c.br.Peek(1)
	return err == io.EOF
}

// ok answers "ok".
var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
