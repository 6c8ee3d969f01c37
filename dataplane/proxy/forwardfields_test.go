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
	"io"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/internal/testkit"
)

// The backend answers of TestForwardedFields, by case number; each starts with the fields
// "Zeta: z" and "Alpha: a", in that order.
var forwardCases = []string{
	// nginx's answer.
	"HTTP/1.1 200 OK\r\nZeta: z\r\nAlpha: a\r\nServer: nginx\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n",
	// Hop-by-hop fields, one a Connection header names, and the backend's request id.
	"HTTP/1.1 200 OK\r\nZeta: z\r\nConnection: X-Private, keep-alive\r\nX-Private: p\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nX-Request-Id: backend\r\nAlpha: a\r\nContent-Length: 2\r\n\r\nok",
	// Chunked, a field on two lines, a value with spaces around it.
	"HTTP/1.1 200 OK\r\nZeta: z\r\nAlpha: a\r\nSet-Cookie: a=1\r\nTransfer-Encoding: chunked\r\nSet-Cookie: b=2\r\nX-Pad:   spaced value  \r\nContent-Type: text/html\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	// 304: its Content-Type is not written.
	"HTTP/1.1 304 Not Modified\r\nZeta: z\r\nAlpha: a\r\nETag: \"x\"\r\nContent-Type: text/plain\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n",
	// A coding and no type: none is sniffed.
	"HTTP/1.1 200 OK\r\nZeta: z\r\nAlpha: a\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nok",
	// Neither: the type is sniffed.
	"HTTP/1.1 200 OK\r\nZeta: z\r\nAlpha: a\r\nContent-Length: 6\r\n\r\n<html>",
	// Two equal lengths, and the connection closed after.
	"HTTP/1.1 201 Created\r\nZeta: z\r\nAlpha: a\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
	// Names not in canonical form: the list has them canonicalized, as the map.
	"HTTP/1.1 200 OK\r\nZeta: z\r\nAlpha: a\r\nx-lower: v\r\nETag: \"e\"\r\nCONTENT-TYPE: text/plain\r\nContent-Length: 2\r\n\r\nok",
	// Heads the list does not serve (upstream.Fields): both answers come from the map.
	"HTTP/1.1 200 OK\r\nZeta: z\r\nAlpha: a\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nZeta: z\r\nAlpha: a\r\nX-Fold: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nZeta: z\r\nAlpha: a\r\nX Name: v\r\nContent-Length: 2\r\n\r\nok",
}

// listed is how many of forwardCases' heads come first that the list serves.
const listed = 8

// rawBackend answers each request for /case/N with forwardCases[N] as it is, closing the
// connection after an answer that says so.
func rawBackend(t *testing.T) string {
	t.Helper()
	return testkit.ServeTCP(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/case/"))
			answer := forwardCases[n]
			if req.Method == http.MethodHead {
				answer, _, _ = strings.Cut(answer, "\r\n\r\n")
				answer += "\r\n\r\n"
			}
			if _, err := io.WriteString(c, answer); err != nil || strings.Contains(answer, "Connection: close") {
				return
			}
		}
	})
}

// servePortico serves f's proxy as `portico proxy` serves its plain listener (h1), on a
// loopback listener closed when the test ends, and returns its address.
func servePortico(t *testing.T, f *fixture) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ServerOptions{Handler: f.Proxy})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	return lis.Addr().String()
}

// prodAndTrace is a proxy with route on two stages: "prod", and "trace", whose execution log
// keeps each request's and answer's header (a data trace), served as servePortico does.
func prodAndTrace(t *testing.T, route *xdsv1alpha1.Route) string {
	t.Helper()
	f := newFixture(t, Options{ExecutionLog: io.Discard})
	trace := stageOf("trace", "trace", apiOf(nil, route))
	trace.MethodSettings = []*xdsv1alpha1.MethodSetting{{Path: "*", Method: "*", Logging: &xdsv1alpha1.MethodLogging{Level: "INFO", DataTrace: true}}}
	f.apply(t, stageOf("prod", "prod", apiOf(nil, route)), trace)
	return servePortico(t, f)
}

// seen is what a client sees of an answer, but its body.
type seen struct {
	StatusCode       int
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Close            bool
}

// TestForwardedFields: over `portico proxy`'s own HTTP/1.1 server, the lean path's answer's
// fields reach the client as they came (integration.forwardFields), where the stage "trace",
// whose execution log keeps the answer's header, copies them into the server's map as before.
// Both must give the client the same answer but for the fields' order: the backend's on
// "prod", by name on "trace" (which tells that each stage went the way it should).
func TestForwardedFields(t *testing.T) {
	addr := prodAndTrace(t, uriRoute("case", "/case/{n}", "ANY", "http://"+rawBackend(t)+"/case/{n}"))

	// One connection per stage, each answer read off it as sent.
	conns := map[string]net.Conn{}
	readers := map[string]*bufio.Reader{}
	for _, stage := range []string{"prod", "trace"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		conns[stage], readers[stage] = c, bufio.NewReader(c)
	}
	// The answer (its body read), and its head as sent.
	get := func(stage, method string, n int) (seen, []byte, string) {
		t.Helper()
		_ = conns[stage].SetDeadline(time.Now().Add(30 * time.Second))
		req, _ := http.NewRequest(method, "http://gw/"+stage+"/case/"+strconv.Itoa(n), nil)
		if err := req.Write(conns[stage]); err != nil {
			t.Fatal(err)
		}
		var head bytes.Buffer
		res, err := http.ReadResponse(bufio.NewReader(io.TeeReader(readers[stage], &head)), req)
		if err != nil {
			t.Fatalf("%s case %d: %v", stage, n, err)
		}
		body, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil {
			t.Fatalf("%s case %d: body: %v", stage, n, err)
		}
		h, _, _ := strings.Cut(head.String(), "\r\n\r\n")
		return seen{res.StatusCode, res.Header, res.ContentLength, res.TransferEncoding, res.Close}, body, h
	}
	for n := range forwardCases {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			got, gotBody, gotHead := get("prod", method, n)
			want, wantBody, wantHead := get("trace", method, n)
			for _, res := range []seen{got, want} {
				if id := res.Header.Values("X-Request-Id"); len(id) != 1 || id[0] == "backend" {
					t.Errorf("case %d %s: request id %q", n, method, id)
				}
				res.Header.Del("X-Request-Id")
				if _, ok := res.Header["Date"]; !ok {
					t.Errorf("case %d %s: no Date", n, method)
				}
			}
			if !strings.Contains(forwardCases[n], "\r\nDate:") {
				got.Header.Del("Date") // the server's clock's
				want.Header.Del("Date")
			}
			if !reflect.DeepEqual(got, want) || !bytes.Equal(gotBody, wantBody) {
				t.Errorf("case %d %s: forwarded\n%s\n%q\nagainst copied\n%s\n%q", n, method, gotHead, gotBody, wantHead, wantBody)
			}
			// The backend's order where the fields were forwarded, the map's otherwise. An
			// answer without a body (HEAD's, a 304) is not the lean path's own to list.
			forwarded := n < listed && method == http.MethodGet && got.StatusCode != http.StatusNotModified
			if zFirst := strings.Index(gotHead, "\r\nZeta:") < strings.Index(gotHead, "\r\nAlpha:"); zFirst != forwarded {
				t.Errorf("case %d %s: forwarded %v, but the answer is\n%s", n, method, forwarded, gotHead)
			}
			if strings.Index(wantHead, "\r\nZeta:") < strings.Index(wantHead, "\r\nAlpha:") {
				t.Errorf("case %d %s: copied, but in the backend's order:\n%s", n, method, wantHead)
			}
			if got.Close {
				// The server closed the connection after this answer: open another.
				for stage := range conns {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = c.Close() })
					conns[stage], readers[stage] = c, bufio.NewReader(c)
				}
			}
		}
	}
}

// headBackend answers every request with 200 "ok", and sends the head of each request it
// got, as it came, on the channel it returns.
func headBackend(t *testing.T) (string, <-chan string) {
	t.Helper()
	heads := make(chan string, 16)
	addr := testkit.ServeTCP(t, func(c net.Conn, br *bufio.Reader) {
		for {
			var head strings.Builder
			length := 0
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				head.WriteString(line)
				if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
					length, _ = strconv.Atoi(strings.TrimSpace(v))
				}
				if line == "\r\n" {
					break
				}
			}
			if _, err := br.Discard(length); err != nil {
				return
			}
			heads <- head.String()
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	return addr, heads
}

// TestOutgoingFields: over `portico proxy`'s own HTTP/1.1 server, the outgoing request's
// fields go to the lean transport as a list (upstream.Hints) on "prod", and in the header
// map on "trace", whose execution log shows them. The backend must get the same fields both
// ways, but for the request id's value: the map's sorted by name, the list's the client's
// sorted by name, then the gateway's (an order of fields of different names means nothing,
// RFC 9110 5.3), lines of one name in the client's order both ways. A body past the lean
// path's limit goes to net/http's transport, which gets the list in the map.
func TestOutgoingFields(t *testing.T) {
	backend, heads := headBackend(t)
	addr := prodAndTrace(t, uriRoute("any", "/{p+}", "ANY", "http://"+backend+"/{p}"))

	big := strings.Repeat("b", 100<<10)
	requests := []string{
		"GET /%s/a HTTP/1.1\r\nHost: gw\r\n\r\n",
		"GET /%s/b?q=1 HTTP/1.1\r\nHost: gw\r\nUser-Agent: ua/1\r\nAccept: */*\r\nX-Multi: 1\r\nX-Multi: 2\r\n\r\n",
		"GET /%s/c HTTP/1.1\r\nHost: gw\r\nUser-Agent:\r\nConnection: keep-alive, X-Private\r\nX-Private: p\r\nKeep-Alive: 5\r\nTe: trailers, deflate\r\nX-Request-Id: client\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Proto: https\r\nForwarded: for=x\r\n\r\n",
		"POST /%s/d HTTP/1.1\r\nHost: gw\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbody",
		"POST /%s/e HTTP/1.1\r\nHost: gw\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(big)) + "\r\n\r\n" + big,
		"GET /%s/f HTTP/1.1\r\nHost: gw\r\nConnection: User-Agent\r\nUser-Agent: dropped\r\n\r\n",
	}
	sent := func(stage, request string) string {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(c, strings.Replace(request, "%s", stage, 1)); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s %q: %d", stage, request[:20], res.StatusCode)
		}
		select {
		case h := <-heads:
			// The request id differs; it must be the gateway's.
			lines := strings.Split(h, "\r\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "X-Request-Id: ") {
					if l == "X-Request-Id: client" {
						t.Errorf("%s: the client's request id reached the backend", stage)
					}
					lines[i] = "X-Request-Id: (id)"
				}
			}
			return strings.Join(lines, "\r\n")
		case <-time.After(30 * time.Second):
			t.Fatal("the backend got nothing")
		}
		return ""
	}
	for _, request := range requests {
		got, want := sent("prod", request), sent("trace", request)
		if byName(got) != byName(want) {
			t.Errorf("as a list:\n%s\nin the map:\n%s", got, want)
		}
		// The gateway's fields last, in their order, X-Forwarded-For's value aside.
		const last = "\r\nX-Forwarded-Host: gw\r\nX-Forwarded-Port: 80\r\nX-Forwarded-Proto: http\r\nX-Request-Id: (id)\r\n\r\n"
		if i := strings.Index(got, "\r\nX-Forwarded-For: "); i < 0 || !strings.HasSuffix(got, last) ||
			strings.Contains(got[i+2:len(got)-len(last)], "\r\n") {
			t.Errorf("the gateway's fields are not last, in their order:\n%s", got)
		}
		if strings.Contains(got, "X-Private") || strings.Contains(got, "Keep-Alive") || strings.Contains(got, "dropped") ||
			!strings.Contains(got, "X-Request-Id: (id)") || !strings.Contains(got, "X-Forwarded-For: 127.0.0.1") {
			t.Errorf("head:\n%s", got)
		}
	}
}

// byName is head with its fields sorted by name, lines of one name kept in their order.
func byName(head string) string {
	lines := strings.Split(strings.TrimSuffix(head, "\r\n\r\n"), "\r\n")
	slices.SortStableFunc(lines[1:], func(a, b string) int {
		an, _, _ := strings.Cut(a, ":")
		bn, _, _ := strings.Cut(b, ":")
		return strings.Compare(an, bn)
	})
	return strings.Join(lines, "\r\n")
}

// Over `portico proxy`'s own server, which writes the request id itself (httpsyntax.IDSetter),
// every answer carries one: an integration's, a gateway response's (which sets it in the
// header map), and each a new one.
func TestRequestIDOverH1(t *testing.T) {
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, mockRoute("one", "/pets", "GET", "ok"))))
	addr := servePortico(t, f)
	seen := map[string]bool{}
	for _, path := range []string{"/prod/pets", "/prod/none", "/nostage/pets", "/prod/pets"} {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		ids := res.Header.Values("X-Request-Id")
		if len(ids) != 1 || !isRequestID(ids[0]) || seen[ids[0]] {
			t.Errorf("%s (%d): x-request-id %q", path, res.StatusCode, ids)
		}
		if len(ids) == 1 {
			seen[ids[0]] = true
		}
	}
}
