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
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// headerCases are what a handler may set, by name (the request's ?case=).
var headerCases = map[string]func(w http.ResponseWriter){
	"plain": func(w http.ResponseWriter) { _, _ = io.WriteString(w, "hello") },
	"typed": func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello")
	},
	"html":   func(w http.ResponseWriter) { _, _ = io.WriteString(w, "<html><body>hi") },
	"empty":  func(http.ResponseWriter) {},
	"length": func(w http.ResponseWriter) { w.Header().Set("Content-Length", "5"); _, _ = io.WriteString(w, "hello") },
	"close":  func(w http.ResponseWriter) { w.Header().Set("Connection", "close"); _, _ = io.WriteString(w, "hello") },
	"keep-alive": func(w http.ResponseWriter) {
		w.Header().Set("Connection", "keep-alive")
		w.Header().Set("Content-Length", "2")
		_, _ = io.WriteString(w, "hi")
	},
	"chunked": func(w http.ResponseWriter) {
		w.Header().Set("Transfer-Encoding", "chunked")
		_, _ = io.WriteString(w, "hello")
	},
	"identity": func(w http.ResponseWriter) {
		w.Header().Set("Transfer-Encoding", "identity")
		_, _ = io.WriteString(w, "hello")
	},
	"encoded": func(w http.ResponseWriter) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = io.WriteString(w, "hello")
	},
	"dated": func(w http.ResponseWriter) { w.Header().Set("Date", "yesterday"); _, _ = io.WriteString(w, "hello") },
	"trailer": func(w http.ResponseWriter) {
		w.Header().Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, "hello")
		w.Header().Set("X-Sum", "1")
	},
	"trailer-prefix": func(w http.ResponseWriter) {
		_, _ = io.WriteString(w, "hello")
		w.Header().Set(http.TrailerPrefix+"X-Late", "2")
	},
	"204": func(w http.ResponseWriter) { w.Header().Set("Content-Type", "text/plain"); w.WriteHeader(204) },
	"304": func(w http.ResponseWriter) { w.Header().Set("Content-Type", "text/plain"); w.WriteHeader(304) },
	"many": func(w http.ResponseWriter) {
		w.Header()["X-B"] = []string{"1", "2"}
		w.Header().Set("X-A", " spaced ")
		_, _ = io.WriteString(w, "x")
	},
	"big": func(w http.ResponseWriter) { _, _ = io.WriteString(w, strings.Repeat("x", 5000)) },
	"nobody": func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(200)
	},
}

// The heads h1 writes are net/http's server's, byte for byte but for the Date's value: each
// header case above, for GET and HEAD, HTTP/1.1 and 1.0 (with and without keep-alive), and
// a request that asks to close.
func TestHeadsAsNetHTTP(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { headerCases[r.URL.Query().Get("case")](w) })
	_, mine := serve(t, h)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	std := &http.Server{Handler: h}
	go func() { _ = std.Serve(l) }()
	t.Cleanup(func() { _ = std.Close() })

	date := regexp.MustCompile(`(?m)^Date: [A-Z][a-z]{2}, .* GMT\r$`)
	// The head as sent, and the body as read (chunks may be cut elsewhere).
	wire := func(addr, req string) string {
		c := dial(t, addr)
		c.send(req)
		_ = c.c.(*net.TCPConn).CloseWrite()
		head := date.ReplaceAllString(c.head(), "Date: (now)\r")
		res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(head+c.rest())), &http.Request{Method: strings.Fields(req)[0]})
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		body, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		return head + fmt.Sprintf("(%d bytes of body: %.40q)", len(body), body)
	}
	for name := range headerCases {
		for _, req := range []string{
			"GET /?case=%s HTTP/1.1\r\nHost: x\r\n\r\n",
			"HEAD /?case=%s HTTP/1.1\r\nHost: x\r\n\r\n",
			"GET /?case=%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			"GET /?case=%s HTTP/1.0\r\n\r\n",
			"GET /?case=%s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		} {
			req = strings.Replace(req, "%s", name, 1)
			got, want := wire(mine, req), wire(l.Addr().String(), req)
			if got != want {
				t.Errorf("%s: got\n%s\nwant\n%s", strconv.Quote(req), strconv.Quote(got), strconv.Quote(want))
			}
		}
	}
}
