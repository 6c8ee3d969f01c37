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

package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testkit"
)

// rawUpstream is a backend that records every byte it receives and answers each request it
// can parse with resp, the way a backend with a lenient parser would.
type rawUpstream struct {
	l    net.Listener
	resp string
	mu   sync.Mutex
	got  bytes.Buffer
	wg   sync.WaitGroup
}

func newRawUpstream(t *testing.T, resp string) *rawUpstream {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rawUpstream{l: l, resp: resp}
	var conns []net.Conn
	var cmu sync.Mutex
	t.Cleanup(func() {
		_ = l.Close()
		cmu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		cmu.Unlock()
		u.wg.Wait()
	})
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			cmu.Lock()
			conns = append(conns, c)
			cmu.Unlock()
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				defer func() { _ = c.Close() }()
				br := bufio.NewReader(io.TeeReader(c, u))
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if _, err := io.WriteString(c, u.resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return u
}

func (u *rawUpstream) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.got.Write(p)
}

func (u *rawUpstream) received() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.got.String()
}

// serveProxy serves f on a real listener, with the proxy's server, and returns its address.
// The listener is a plain one, as `portico proxy`'s is: the HTTP/1.x server tells a request
// with both lengths itself.
func serveProxy(t *testing.T, f *fixture) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ServerOptions{Handler: f})
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// rawExchange sends raw to addr and returns what came back before the connection closed
// or went quiet.
func rawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, _ := io.ReadAll(c)
	return string(b)
}

// TestRequestSmugglingNeverReachesBackend sends the classic request smuggling shapes to the
// proxy's server, each hiding a second request in the first one's body, and checks that the
// backend, reached through the lean upstream client, never sees the hidden request as one.
func TestRequestSmugglingNeverReachesBackend(t *testing.T) {
	up := newRawUpstream(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "GET,POST", "http://"+up.l.Addr().String()+"/p"))))
	addr := serveProxy(t, f)
	const hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	for name, raw := range map[string]string{
		"CL and TE": "POST /prod/p HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden,
		"TE and CL": "POST /prod/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" +
			"3\r\nabc\r\n0\r\n\r\n" + hidden,
		"two Content-Lengths": "POST /prod/p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 35\r\n\r\n" + hidden,
		"obfuscated TE":       "POST /prod/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + hidden,
		"TE list":             "POST /prod/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + hidden,
		"TE with tab":         "POST /prod/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + hidden,
		"chunk size overflow": "POST /prod/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"10000000000000005\r\nhello\r\n0\r\n\r\n" + hidden,
		"header line folding": "POST /prod/p HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + hidden,
	} {
		t.Run(name, func(t *testing.T) {
			_ = rawExchange(t, addr, raw)
			if got := up.received(); strings.Contains(got, "/smuggled") {
				t.Fatalf("the backend received the hidden request:\n%s", got)
			}
		})
	}
	// A plain request still goes through, as one request with one length.
	up = newRawUpstream(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "GET,POST", "http://"+up.l.Addr().String()+"/p"))))
	got := rawExchange(t, addr, "POST /prod/p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
	if !strings.HasPrefix(got, "HTTP/1.1 200 ") {
		t.Fatalf("plain POST: %q", got)
	}
	if r := up.received(); strings.Count(r, "Content-Length: 3\r\n") != 1 || strings.Contains(r, "Transfer-Encoding") {
		t.Errorf("backend received:\n%s", r)
	}
}

// TestResponseSmugglingRefused has the backend answer with the framings a response is
// smuggled with: the proxy, on the lean upstream client, answers 502 and drops the
// connection rather than pass on or reuse what it cannot frame for sure.
func TestResponseSmugglingRefused(t *testing.T) {
	for name, resp := range map[string]string{
		"CL and TE":           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"two Content-Lengths": "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\nok",
		"obfuscated TE":       "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"TE list":             "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"negative length":     "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok",
	} {
		t.Run(name, func(t *testing.T) {
			up := newRawUpstream(t, resp)
			f := newFixture(t, Options{})
			f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "GET", "http://"+up.l.Addr().String()+"/p"))))
			w := f.do("GET", "/prod/p", nil)
			if w.Code != http.StatusBadGateway {
				t.Errorf("status %d, body %q: want 502", w.Code, w.Body.String())
			}
		})
	}
	t.Run("chunk size overflow", func(t *testing.T) {
		up := newRawUpstream(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000002\r\nok\r\n0\r\n\r\n")
		f := newFixture(t, Options{})
		f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "GET", "http://"+up.l.Addr().String()+"/p"))))
		got := rawExchange(t, serveProxy(t, f), "GET /prod/p HTTP/1.1\r\nHost: x\r\n\r\n")
		// The headers may have gone out; the body never completes as a valid chunked body.
		if strings.HasSuffix(got, "0\r\n\r\n") {
			t.Errorf("the client got a complete answer:\n%q", got)
		}
	})
}

// A request with both Content-Length and Transfer-Encoding is answered 400 and its connection
// closed, as nginx answers it (RFC 9112 says to close): what follows it on the connection,
// whichever framing a balancer in front went by, is never served. A chunked request, or one
// with a length, is served as before on a kept-alive connection.
func TestBothLengthsRefusedAndClosed(t *testing.T) {
	up := newRawUpstream(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "GET,POST", "http://"+up.l.Addr().String()+"/p"))))
	addr := serveProxy(t, f)
	const next = "GET /prod/p HTTP/1.1\r\nHost: x\r\n\r\n"
	for name, raw := range map[string]string{
		"CL and TE":   "POST /prod/p HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + next,
		"TE and CL":   "POST /prod/p HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + next,
		"TE with tab": "POST /prod/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + next,
		// Longer than the server's buffer: read by net/http's parser, which keeps no trace of
		// the length.
		"CL and TE after a long header": "POST /prod/p HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 6000) +
			"\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + next,
		// HTTP/1.0 has no chunked coding: a Transfer-Encoding is faulty framing (RFC 9112,
		// 6.1), with a length or without, kept alive or not.
		"HTTP/1.0 TE and CL": "POST /prod/p HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + next,
		"HTTP/1.0 TE alone":  "POST /prod/p HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + next,
		"HTTP/1.0 TE after a long header": "POST /prod/p HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nX-Pad: " + strings.Repeat("p", 6000) +
			"\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + next,
	} {
		t.Run(name, func(t *testing.T) {
			before := strings.Count(up.received(), "POST /p")
			got := rawExchange(t, addr, raw)
			if len(got) < 13 || got[8:13] != " 400 " || strings.Count(got, "HTTP/1.") != 1 || !strings.Contains(got, "Connection: close") {
				t.Fatalf("answer:\n%s", got)
			}
			if strings.Count(up.received(), "POST /p") != before {
				t.Error("the backend received the refused request")
			}
		})
	}
	// A chunked request and a request with a length, one after the other on one connection.
	got := rawExchange(t, addr, "POST /prod/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"+
		"POST /prod/p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
	if strings.Count(got, "HTTP/1.1 200 OK") != 2 {
		t.Fatalf("chunked, then with a length:\n%s", got)
	}
}

// A request body that breaks while it is read (a chunk size that is not hex or overflows, a
// client that stops before its declared length) is the client's fault: 400 BAD_REQUEST_BODY
// and a closed connection, on HTTP_PROXY (which streams the body to the backend, where the
// failure used to count as the backend's, 502) as on a MOCK route with a template (which reads
// it whole) and on a plain MOCK route (which reads it before answering, as AWS receives a
// request whole before it runs it). A body that reads to its end is served on the same routes.
func TestBrokenClientBodyIs400(t *testing.T) {
	up := newRawUpstream(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	mock := mockRoute("m", "/m", "POST", `{"got": $input.json('$')}`)
	mock.Integration.RequestTemplates = map[string]string{"application/json": `{"statusCode": 200}`}
	plain := mockRoute("plain", "/plain", "POST", `{"ok":true}`)
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "POST", "http://"+up.l.Addr().String()+"/p"), mock, plain)))
	addr := serveProxy(t, f)
	const head = "POST /prod/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	for _, path := range []string{"p", "m", "plain"} {
		for name, raw := range map[string]string{
			"chunk size not hex":  fmt.Sprintf(head, path) + "Transfer-Encoding: chunked\r\n\r\n2g\r\n{}\r\n0\r\n\r\n",
			"chunk size overflow": fmt.Sprintf(head, path) + "Transfer-Encoding: chunked\r\n\r\n10000000000000002\r\n{}\r\n0\r\n\r\n",
			"chunk without CRLF":  fmt.Sprintf(head, path) + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
		} {
			t.Run(path+"/"+name, func(t *testing.T) {
				got := rawExchange(t, addr, raw)
				if !strings.HasPrefix(got, "HTTP/1.1 400 ") || !strings.Contains(got, "X-Portico-Error-Type: BAD_REQUEST_BODY") ||
					!strings.Contains(got, "Connection: close") || strings.Count(got, "HTTP/1.1 ") != 1 {
					t.Fatalf("answer:\n%s", got)
				}
			})
		}
		t.Run(path+"/stopped before its length", func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.Close() }()
			if _, err := io.WriteString(c, fmt.Sprintf(head, path)+"Content-Length: 10\r\n\r\n{}"); err != nil {
				t.Fatal(err)
			}
			_ = c.(*net.TCPConn).CloseWrite()
			_ = c.SetReadDeadline(time.Now().Add(testkit.WaitTimeout))
			b, _ := io.ReadAll(c)
			if got := string(b); !strings.HasPrefix(got, "HTTP/1.1 400 ") || !strings.Contains(got, "X-Portico-Error-Type: BAD_REQUEST_BODY") {
				t.Fatalf("answer:\n%s", got)
			}
		})
		t.Run(path+"/whole", func(t *testing.T) {
			got := rawExchange(t, addr, fmt.Sprintf(head, path)+"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
			if !strings.HasPrefix(got, "HTTP/1.1 200 ") {
				t.Fatalf("answer:\n%s", got)
			}
		})
	}
}
