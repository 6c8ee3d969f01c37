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
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/h1"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

func TestPipelinedRequestsAnsweredInOrder(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path)
	}))
	c := dial(t, addr)
	c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, want := range []string{"/a", "/b", "/c"} {
		res, body := c.read("GET")
		if res.StatusCode != 200 || body != want || res.ContentLength != int64(len(want)) {
			t.Fatalf("%d %q (length %d), want 200 %q", res.StatusCode, body, res.ContentLength, want)
		}
	}
}

func TestKeepAliveAndConnectionClose(t *testing.T) {
	_, addr := serve(t, ok)
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if res, body := c.read("GET"); res.Close || body != "ok" {
		t.Fatalf("close %v, body %q", res.Close, body)
	}
	c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if res, _ := c.read("GET"); !res.Close {
		t.Error("no Connection: close in the answer to a request that asked for it")
	}
	if !c.closed(2 * time.Second) {
		t.Error("the connection stays open after Connection: close")
	}
}

func TestHTTP10(t *testing.T) {
	_, addr := serve(t, ok)
	t.Run("closes by default", func(t *testing.T) {
		c := dial(t, addr)
		c.send("GET / HTTP/1.0\r\n\r\n")
		head := c.head()
		if !strings.HasPrefix(head, "HTTP/1.0 200 OK\r\n") || strings.Contains(head, "Connection:") {
			t.Errorf("%q", head)
		}
		if body := c.rest(); body != "ok" {
			t.Errorf("body %q", body)
		}
	})
	t.Run("keep-alive", func(t *testing.T) {
		c := dial(t, addr)
		for range 2 {
			c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
			res, body := c.read("GET")
			if res.Header.Get("Connection") != "keep-alive" || res.ContentLength != 2 || body != "ok" {
				t.Fatalf("%v %q", res.Header, body)
			}
		}
	})
	t.Run("long answer ends with the connection", func(t *testing.T) {
		_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, strings.Repeat("x", 5000))
		}))
		c := dial(t, addr)
		c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		head := c.head()
		if strings.Contains(head, "Transfer-Encoding") || strings.Contains(head, "Content-Length") {
			t.Errorf("%q", head)
		}
		if body := c.rest(); len(body) != 5000 {
			t.Errorf("%d bytes", len(body))
		}
	})
}

func TestBodilessAnswers(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(code)
		_, err := io.WriteString(w, "hello")
		if (code == 204 || code == 304) != errors.Is(err, http.ErrBodyNotAllowed) {
			t.Errorf("%d: Write: %v", code, err)
		}
	}))
	c := dial(t, addr)
	c.send("HEAD /?code=200 HTTP/1.1\r\nHost: x\r\n\r\n")
	if head := c.head(); !strings.Contains(head, "Content-Length: 5\r\n") {
		t.Errorf("HEAD: %q", head)
	}
	c.send("GET /?code=204 HTTP/1.1\r\nHost: x\r\n\r\n")
	if head := c.head(); strings.Contains(head, "Content-Length") || strings.Contains(head, "Transfer-Encoding") {
		t.Errorf("204: %q", head)
	}
	c.send("GET /?code=304 HTTP/1.1\r\nHost: x\r\n\r\n")
	if head := c.head(); strings.Contains(head, "Content-Length") || strings.Contains(head, "Content-Type") {
		t.Errorf("304: %q", head)
	}
	// Nothing was sent after any of the headers: the next answer follows at once.
	c.send("GET /?code=200 HTTP/1.1\r\nHost: x\r\n\r\n")
	if res, body := c.read("GET"); res.StatusCode != 200 || body != "hello" {
		t.Errorf("%d %q", res.StatusCode, body)
	}
}

func TestLengthOrChunked(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		_, _ = io.WriteString(w, strings.Repeat("x", n))
	}))
	c := dial(t, addr)
	for _, n := range []int{0, 10, 2048, 2049, 100000} {
		c.send("GET /?n=" + strconv.Itoa(n) + " HTTP/1.1\r\nHost: x\r\n\r\n")
		res, body := c.read("GET")
		chunked := len(res.TransferEncoding) > 0
		if len(body) != n || chunked != (n > 2048) || (!chunked && res.ContentLength != int64(n)) {
			t.Errorf("%d bytes: got %d, chunked %v, length %d", n, len(body), chunked, res.ContentLength)
		}
	}
}

func TestWritingMoreThanDeclared(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		if _, err := io.WriteString(w, "hello"); !errors.Is(err, http.ErrContentLength) {
			t.Errorf("Write: %v", err)
		}
	}))
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if head := c.head(); !strings.Contains(head, "Content-Length: 3\r\n") {
		t.Errorf("%q", head)
	}
	if !c.closed(2 * time.Second) {
		t.Error("the connection stays open after an answer shorter than declared")
	}
}

func TestUnreadRequestBody(t *testing.T) {
	_, addr := serve(t, ok)
	t.Run("short: read and dropped", func(t *testing.T) {
		c := dial(t, addr)
		c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: x\r\n\r\n")
		for range 2 {
			if res, body := c.read("GET"); res.StatusCode != 200 || res.Close || body != "ok" {
				t.Fatalf("%d close %v %q", res.StatusCode, res.Close, body)
			}
		}
	})
	t.Run("long: the connection closes", func(t *testing.T) {
		c := dial(t, addr)
		c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + strings.Repeat("x", 300000))
		res, body := c.read("POST")
		if res.StatusCode != 200 || !res.Close || body != "ok" {
			t.Fatalf("%d close %v %q", res.StatusCode, res.Close, body)
		}
		if !c.closed(3 * time.Second) {
			t.Error("the connection stays open")
		}
	})
	t.Run("chunked, short", func(t *testing.T) {
		c := dial(t, addr)
		c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
		for range 2 {
			if res, _ := c.read("GET"); res.StatusCode != 200 || res.Close {
				t.Fatalf("%d close %v", res.StatusCode, res.Close)
			}
		}
	})
}

func TestExpectContinue(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/read" {
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(b)
		}
	}))
	t.Run("sent when the body is read", func(t *testing.T) {
		c := dial(t, addr)
		c.send("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
		if head := c.head(); head != "HTTP/1.1 100 Continue\r\n\r\n" {
			t.Fatalf("%q", head)
		}
		c.send("hello")
		if res, body := c.read("POST"); res.StatusCode != 200 || body != "hello" || res.Close {
			t.Fatalf("%d %q close %v", res.StatusCode, body, res.Close)
		}
	})
	t.Run("not sent when it is not", func(t *testing.T) {
		c := dial(t, addr)
		c.send("POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
		res, _ := c.read("POST")
		if res.StatusCode != 200 || !res.Close {
			t.Fatalf("%d close %v", res.StatusCode, res.Close)
		}
	})
	t.Run("read by another goroutine while the handler answers", func(t *testing.T) {
		// As a transport sends a body to a backend that answers early: the 100 Continue
		// and the answer's header must not interleave (-race tells).
		_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = io.ReadAll(r.Body)
			}()
			_, _ = io.WriteString(w, "early")
			http.NewResponseController(w).Flush()
			<-done
		}))
		for range 20 {
			// A new connection each time: one whose body was not read when the
			// answer began closes after it.
			c := dial(t, addr)
			c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello")
			if res, ok := readFinal(t, c.br, "POST"); !ok || res.StatusCode != 200 {
				t.Fatalf("%v %v", res, ok)
			}
		}
	})
	t.Run("other expectations fail", func(t *testing.T) {
		c := dial(t, addr)
		c.send("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: something\r\n\r\nhello")
		if res, _ := c.read("POST"); res.StatusCode != http.StatusExpectationFailed || !res.Close {
			t.Fatalf("%d close %v", res.StatusCode, res.Close)
		}
	})
}

func TestRefusedRequests(t *testing.T) {
	_, addr := serve(t, ok, func(s *h1.Server) { s.MaxHeaderBytes = 1000 })
	for name, tc := range map[string]struct{ req, want string }{
		"oversized header": {"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 6000) + "\r\n\r\n",
			"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"},
		"malformed": {"GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n",
			"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"},
		"no Host": {"GET / HTTP/1.1\r\n\r\n",
			"HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing required Host header"},
		"space in a name": {"GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n",
			"HTTP/1.1 400 Bad Request: invalid header name\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: invalid header name"},
		"bad Host": {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
			"HTTP/1.1 400 Bad Request: malformed Host header\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: malformed Host header"},
		"unknown transfer coding": {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zip\r\n\r\n",
			"HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nUnsupported transfer encoding"},
		"HTTP/3": {"GET / HTTP/3.0\r\nHost: x\r\n\r\n",
			"HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n505 HTTP Version Not Supported: unsupported protocol version"},
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, addr)
			c.send(tc.req)
			if got := c.rest(); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	_, addr := serve(t, ok, func(s *h1.Server) {
		s.ReadHeaderTimeout = 200 * time.Millisecond
		s.IdleTimeout = 300 * time.Millisecond
	})
	t.Run("header", func(t *testing.T) {
		c := dial(t, addr)
		c.send("GET / HTTP/1.1\r\nHost: x\r\n")
		if !c.closed(2 * time.Second) {
			t.Error("a header that never ends holds the connection")
		}
	})
	t.Run("idle", func(t *testing.T) {
		c := dial(t, addr)
		c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.read("GET")
		start := time.Now()
		if !c.closed(2*time.Second) || time.Since(start) < 250*time.Millisecond {
			t.Errorf("an idle connection closed after %v", time.Since(start))
		}
	})
}

// Fields a handler forwards (httpsyntax.FieldForwarder) go out after its header's, but for
// those that frame the body, which the server takes from the header map, bar a forwarded
// Content-Length, which frames the body unless the map has one; the list is the response's
// own, and takes nothing once the header is written.
func TestForwardFields(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ff := w.(httpsyntax.FieldForwarder)
		if r.URL.Path != "/other" {
			l := ff.ForwardFields()
			for _, f := range [][2]string{{"X-B", "b"}, {"Content-Length", "4"}, {"Connection", "close"}, {"Transfer-Encoding", "chunked"}, {"Trailer", "X-T"}, {"X-A", "a"}, {"Date", "Mon, 01 Jan 2024 00:00:00 GMT"}} {
				*l = append(*l, httpsyntax.Field{Name: f[0], Values: []string{f[1]}})
			}
			w.Header().Set("X-Map", "m")
		}
		if r.URL.Path == "/map-length" {
			w.Header().Set("Content-Length", "2")
		}
		w.WriteHeader(http.StatusOK)
		if ff.ForwardFields() != nil {
			t.Error("fields to forward taken after WriteHeader")
		}
		switch r.URL.Path {
		case "/forward":
			_, _ = io.WriteString(w, "okok")
			// Beyond the length the answer declared: refused, as for a length in the map.
			if _, err := io.WriteString(w, "!"); !errors.Is(err, http.ErrContentLength) {
				t.Errorf("a write past the forwarded length: %v, want http.ErrContentLength", err)
			}
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	c := dial(t, addr)
	check := func(path, want string) {
		t.Helper()
		c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		res, body := c.read("GET")
		if body != want || res.ContentLength != int64(len(want)) || res.TransferEncoding != nil ||
			len(res.Header.Values("Content-Length")) != 1 ||
			res.Header.Get("X-A") != "a" || res.Header.Get("X-B") != "b" || res.Header.Get("X-Map") != "m" ||
			res.Header.Values("Date")[0] != "Mon, 01 Jan 2024 00:00:00 GMT" || len(res.Header.Values("Date")) != 1 {
			t.Fatalf("%s: %q, length %d, %v", path, body, res.ContentLength, res.Header)
		}
	}
	check("/map-length", "ok")
	// The next response on the connection forwards nothing.
	c.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
	res, body := c.read("GET")
	if body != "ok" || res.Header.Get("X-A") != "" || res.Header.Get("X-Map") != "" {
		t.Fatalf("next answer: %q %v", body, res.Header)
	}
	// Last: the write past the length leaves the connection to close, as net/http does.
	check("/forward", "okok")
}

// A field the handler gives the server (httpsyntax.IDSetter) goes out on every answer, a 103
// Early Hints too, once: a header map that names it wins, once the header is written it
// changes nothing, and a handler that hijacks the connection finds it in the header map.
func TestSetID(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !w.(httpsyntax.IDSetter).SetID("X-Request-Id", "id-1") {
			t.Error("SetID refused before the header")
		}
		switch r.URL.Path {
		case "/hijack":
			// The hijacker writes the answer from the header map, which has the field.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer func() { _ = conn.Close() }()
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nX-Request-Id: "+w.Header().Get("X-Request-Id")+"\r\nContent-Length: 2\r\n\r\nok")
			return
		case "/map":
			w.Header().Set("X-Request-Id", "from-map")
		case "/hints":
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
		}
		w.WriteHeader(http.StatusOK)
		if w.(httpsyntax.IDSetter).SetID("X-Request-Id", "too-late") {
			t.Error("SetID taken after the header")
		}
		_, _ = io.WriteString(w, "ok")
	}))
	c := dial(t, addr)
	for _, path := range []string{"/", "/map", "/hijack"} {
		want := "id-1"
		if path == "/map" {
			want = "from-map"
		}
		c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		res, body := c.read("GET")
		if got := res.Header.Values("X-Request-Id"); body != "ok" || len(got) != 1 || got[0] != want {
			t.Errorf("%s: x-request-id %q, want [%s]", path, got, want)
		}
	}
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(raw, "GET /hints HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	tr := textproto.NewReader(bufio.NewReader(raw))
	status, err := tr.ReadLine()
	if err != nil || status != "HTTP/1.1 103 Early Hints" {
		t.Fatalf("status line %q, %v", status, err)
	}
	hints, err := tr.ReadMIMEHeader()
	if err != nil || hints.Get("Link") == "" || len(hints.Values("X-Request-Id")) != 1 || hints.Get("X-Request-Id") != "id-1" {
		t.Errorf("103's header %v, %v", hints, err)
	}
}
