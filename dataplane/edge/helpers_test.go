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

package edge_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/edge"
	"github.com/portico-dev/portico/dataplane/h1"
)

// patience bounds every wait of these tests: generous, as a loaded machine must pass.
const patience = 10 * time.Second

// onH1 makes serve use the HTTP/1.x engine of package h1 (the plain listener's, see
// proxy.NewServer) in front of the net/http server (h2c), rather than net/http's alone (the
// TLS listener's). Set by TestLimitsOnH1 only, while the tests it runs run one at a time.
var onH1 bool

// serve runs h behind l on a loopback listener capped at l's MaxConnections, and returns
// its address.
func serve(t *testing.T, l edge.Limits, h http.Handler) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, lis, l, h)
}

// serveOn is serve on lis.
func serveOn(t *testing.T, lis net.Listener, l edge.Limits, h http.Handler) string {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: h, Protocols: &protocols}
	l.Apply(srv)
	var s interface {
		Serve(net.Listener) error
		Close() error
	} = srv
	if onH1 {
		s = &h1.Server{Handler: srv.Handler, ReadHeaderTimeout: srv.ReadHeaderTimeout, IdleTimeout: srv.IdleTimeout,
			MaxHeaderBytes: srv.MaxHeaderBytes, H2C: srv}
	}
	go func() { _ = s.Serve(edge.Listener(lis, l.MaxConnections)) }()
	t.Cleanup(func() { _ = s.Close() })
	return lis.Addr().String()
}

// limits are short limits for tests.
func limits() edge.Limits {
	l := edge.Defaults()
	l.ReadHeaderTimeout = 2 * time.Second
	l.BodyTimeout = 500 * time.Millisecond
	l.WriteTimeout = 500 * time.Millisecond
	l.MaxConnections = 100
	return l
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(patience))
	return c
}

// answer is a response read whole.
type answer struct {
	StatusCode int
	Header     http.Header
	Close      bool
}

// readResponse reads one response from c.
func readResponse(t *testing.T, c net.Conn) (answer, string) {
	t.Helper()
	return readFrom(t, bufio.NewReader(c))
}

// readFrom reads one response from br, a kept-alive connection's reader.
func readFrom(t *testing.T, br *bufio.Reader) (answer, string) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return answer{StatusCode: res.StatusCode, Header: res.Header, Close: res.Close}, string(b)
}

// waitClosed waits until the server closes c, failing after patience, and returns how long
// it took.
func waitClosed(t *testing.T, c net.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(patience))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %s", patience)
	}
	return time.Since(start)
}

// readAll is a handler that reads the body and answers its size, or, like the proxy when
// its client goes away, 499.
var readAll = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(499)
		return
	}
	_, _ = io.WriteString(w, strconv.Itoa(len(b)))
})
