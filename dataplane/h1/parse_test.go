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

package h1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// parseSeeds are normal requests and the request-smuggling cases, for FuzzParseRequest and
// TestParseRequestSeeds.
var parseSeeds = []string{
	// Normal requests.
	"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	typicalRequest,
	"GET /a/b?c=d&e HTTP/1.1\r\nhost: x\r\nuser-agent: y\r\naccept: */*\r\nx-custom-thing: z\r\n\r\n",
	"GET /a?b=c? HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /a? HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /a?? HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET //a//b HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /a%20b/c%2Fd HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /é/(x)!*' HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /a?x=\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\nHost: x\n\n",
	"GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: b=2\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nPragma: no-cache\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nPragma: no-cache\r\nCache-Control: max-age=1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Sp:   \t \r\nX-Trail: v \t \r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nX-Obs: caf\xe9\r\n\r\n",
	"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello",
	"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
	"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\nabcdefg",
	"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\nTrailer: X-A, , x-b\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-A: 1\r\nX-C: 3\r\n\r\n",
	"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-A: 1\r\n\r\n",
	"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-A\r\n\r\n0\r\nX-A",
	"POST /p HTTP/1.1\r\nHost: x\r\nTrailer: X-A\r\nContent-Length: 1\r\n\r\nx",
	"POST /p HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
	"GET / HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\n\r\n",
	"POST /p HTTP/1.1\r\nHost: x\r\nexPECT: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
	"GET / HTTP/1.1\r\nHost: x\r\nupgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: web\r\n socket\r\nConnection: Upgrade\r\n\r\n",
	// Versions and keep-alive.
	"GET / HTTP/1.0\r\n\r\n",
	"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET / HTTP/1.0\r\nConnection: Keep-Alive, close\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, CLOSE\r\n\r\n",
	"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
	"GET / HTTP/0.9\r\nHost: x\r\n\r\n",
	"GET / HTTP/0.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET / HTTP/1.10\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\r\nHost: x\r\n\r\n",
	"GET / http/1.1\r\nHost: x\r\n\r\n",
	"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost:\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
	"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"G@T / HTTP/1.1\r\nHost: x\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"PRI * HTTP/2.0\r\nHost: x\r\n\r\n",
	// Target forms.
	"GET http://a.example/x?y HTTP/1.1\r\nHost: b\r\n\r\n",
	"GET http://a.example/x HTTP/1.1\r\n\r\n",
	"GET https://u:p@a.example:8443/%41 HTTP/1.1\r\nHost: b\r\n\r\n",
	"GET a.example/x HTTP/1.1\r\nHost: b\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
	"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
	"CONNECT /rpc HTTP/1.1\r\nHost: x\r\n\r\n",
	"CONNECT [::1]:443 HTTP/1.1\r\n\r\n",
	// Smuggling: framing.
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length:  5 \r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n \r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chun\u212aed\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n \r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: \x01\r\n\r\n",
	// Smuggling: header syntax.
	"GET / HTTP/1.1\r\nHost: x\r\nFo\x01o: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo : x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nfoo bar: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo\t: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\n: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo: a\x00b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo: a\rb\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo: a\r\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo: a\x7f\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo: a\r\n b\r\n\t c \r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo: a\r\n  \r\nBar: b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nFoo: a\r\n \rb\r\n\r\n",
	"GET / HTTP/1.1\r\n Host: x\r\n\r\n",
	"GET / HTTP/1.1\r\n\tHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\n\r\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nHost\r\n : y\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nÀ: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nX-Long-Header-Name-That-Is-Lower-Than-Most: y\r\nx-forwarded-for: 1.2.3.4\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nCONTENT-TYPE: a\r\ncontent-type: b\r\nContent-type: c\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nX_Under_score: a\r\nx-1abc: b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\nI: 9\r\nJ: 10\r\nA: 11\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: 1\r\nX-B: 2\r\nx-a: 3\r\nX-C: 4\r\nX-D: 5\r\nX-E: 6\r\n", 4) + "\r\n",
	"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nconnection: close\r\npragma: no-cache\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHOST: x\r\ntransfer-encoding: chunked\r\ntrailer: x-t\r\ncache-control: no-store\r\nPragma: no-cache\r\n\r\n1\r\na\r\n0\r\nx-t: 1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nHOST: y\r\n\r\n",
	"GET / HTTP/1.1\r\nHost : x\r\nContent-Length: 1\r\nTransfer-Encoding: gzip\r\n\r\n",
	"GET /" + strings.Repeat("a", 5000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("b", 4070) + "\r\n\r\n",
}

// typicalRequest is a small GET with six headers, as clients send them.
const typicalRequest = "GET /prod/pets/7?lang=en HTTP/1.1\r\nHost: api.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n" +
	"Accept: application/json\r\nAccept-Encoding: gzip, deflate, br\r\n" +
	"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\r\n" +
	"X-Request-Id: 1-5f84c7a0-0123456789abcdef\r\n\r\n"

// FuzzParseRequest reads arbitrary bytes with http.ReadRequest (and check) and with
// readRequest, and fails on any difference: acceptance, the status of a refusal, every
// field of the request, its body and trailer as read, and what follows it. maxHeader sets
// the connection's read limit as Server.MaxHeaderBytes does (the 431). The fast path is also
// held alone to accept exactly what net/http accepts, for a head whole in the buffer (its
// refusals would go to net/http anyway, but then it would be slower than it should be).
func FuzzParseRequest(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s), uint16(0))
	}
	f.Add([]byte(strings.Repeat("GET / HTTP/1.1\r\nX: y\r\n", 300)), uint16(2))
	f.Fuzz(func(t *testing.T, in []byte, maxHeader uint16) {
		compareReads(t, in, maxHeader)
	})
}

// TestParseRequestSeeds runs the fuzz test's comparison on its seeds, one by one.
func TestParseRequestSeeds(t *testing.T) {
	for _, s := range parseSeeds {
		compareReads(t, []byte(s), 0)
		compareReads(t, []byte(s), 1)
	}
}

func compareReads(t *testing.T, in []byte, maxHeader uint16) {
	t.Helper()
	want := readWith(in, maxHeader, func(br *bufio.Reader) (*http.Request, bool, error) {
		req, err := http.ReadRequest(br)
		return req, false, err
	})
	got := readWith(in, maxHeader, readRequest)
	// Into a connection's kept map (cleared, with the room an earlier request left): read as
	// into a new one.
	kept := readWith(in, maxHeader, func(br *bufio.Reader) (*http.Request, bool, error) {
		m := http.Header{"X-Earlier": {"1"}, "Accept": {"a"}, "Cookie": {"c"}}
		clear(m)
		req, raw, valid, err := readRequestInto(br, m, nil, nil)
		if err == nil {
			checkNames(t, in, req, raw)
		}
		return req, valid, err
	})
	if kept.status != got.status || (kept.req == nil) != (got.req == nil) {
		t.Fatalf("%q: into a kept map: status %d (%v), into a new one %d (%v)", in, kept.status, kept.err, got.status, got.err)
	}
	if got.req != nil {
		if diff := diffRequests(got, kept); diff != "" {
			t.Fatalf("%q: into a kept map: %s", in, diff)
		}
	}
	if want.status != got.status {
		t.Fatalf("%q: status %d, net/http's %d (err %v, net/http's %v)", in, got.status, want.status, got.err, want.err)
	}
	if (want.req == nil) != (got.req == nil) {
		t.Fatalf("%q: read %v, net/http's %v", in, got.err, want.err)
	}
	if want.req != nil {
		if diff := diffRequests(want, got); diff != "" {
			t.Fatalf("%q: %s", in, diff)
		}
		if st, _ := check(got.req, false); got.valid && st != got.status {
			t.Fatalf("%q: readRequest found the header valid, check's loop answers %d", in, st)
		}
	}
	// The fast path alone, on a head whole in the buffer.
	buf := in[:min(len(in), bufSize)]
	var ends lineEnds
	if n, fields := scanHead(buf, &ends); n > 0 {
		// With the lines' ends scanHead found, and finding them itself.
		if (want.err == nil) != fastPathAccepts(string(buf[:n]), fields, &ends) {
			t.Fatalf("%q: the fast path accepts: %v, net/http: %v", in, want.err == nil, want.err)
		}
		if (want.err == nil) != fastPathAccepts(string(buf[:n]), fields, nil) {
			t.Fatalf("%q: the fast path line by line accepts: %v, net/http: %v", in, want.err == nil, want.err)
		}
	}
}

func fastPathAccepts(s string, fields int, ends *lineEnds) bool {
	var p head
	return p.parse(s, fields, ends)
}

// read is what it takes of a request: the request, read to its end, and what follows it.
type read struct {
	status  int // of the refusal, or of check; 0: served
	err     error
	req     *http.Request
	valid   bool
	trailer http.Header // as declared, before the body is read
	body    string
	bodyErr string
	rest    string
}

func readWith(in []byte, maxHeader uint16, parse func(*bufio.Reader) (*http.Request, bool, error)) (r read) {
	// As the connection reads a head: through a limit of MaxHeaderBytes and a buffer.
	mh := int64(maxHeader)
	if mh == 0 {
		mh = http.DefaultMaxHeaderBytes
	}
	lr := &limitReader{r: bytes.NewReader(in), remain: mh + bufSize}
	br := bufio.NewReaderSize(lr, bufSize)
	r.req, r.valid, r.err = parse(br)
	if r.err != nil {
		r.status = refusal(r.err, lr.remain <= 0)
		return r
	}
	lr.remain = math.MaxInt64
	r.status, _ = check(r.req, r.valid)
	r.trailer = r.req.Trailer.Clone()
	b, err := io.ReadAll(r.req.Body)
	r.body = string(b)
	if err != nil {
		r.bodyErr = err.Error()
		return r
	}
	rest, _ := io.ReadAll(br)
	r.rest = string(rest)
	return r
}

type limitReader struct {
	r      io.Reader
	remain int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.remain {
		p = p[:l.remain]
	}
	n, err := l.r.Read(p)
	l.remain -= int64(n)
	return n, err
}

// diffRequests describes how got differs from want, "" if in nothing.
func diffRequests(want, got read) string {
	w, g := want.req, got.req
	for _, f := range []struct {
		name      string
		want, got any
	}{
		{"Method", w.Method, g.Method},
		{"URL", *w.URL, *g.URL},
		{"Proto", w.Proto, g.Proto},
		{"ProtoMajor", w.ProtoMajor, g.ProtoMajor},
		{"ProtoMinor", w.ProtoMinor, g.ProtoMinor},
		{"Header", w.Header, g.Header},
		{"Host", w.Host, g.Host},
		{"ContentLength", w.ContentLength, g.ContentLength},
		{"TransferEncoding", w.TransferEncoding, g.TransferEncoding},
		{"Close", w.Close, g.Close},
		{"RequestURI", w.RequestURI, g.RequestURI},
		{"declared Trailer", want.trailer, got.trailer},
		{"NoBody", w.Body == http.NoBody, g.Body == http.NoBody},
		{"body", want.body, got.body},
		{"body error", want.bodyErr, got.bodyErr},
		{"Trailer", w.Trailer, g.Trailer},
		{"what follows", want.rest, got.rest},
	} {
		if !reflect.DeepEqual(f.want, f.got) {
			return f.name + ": " + show(f.got) + ", net/http's " + show(f.want)
		}
	}
	return ""
}

func show(v any) string { return fmt.Sprintf("%#v", v) }

// TestByteClasses holds the fast path's byte tables to net/http's and net/url's decisions,
// byte by byte (httpsyntax's test holds the value bytes).
func TestByteClasses(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		if tokenByte[c] != httpguts.ValidHeaderFieldName(s) {
			t.Errorf("token byte %#x: %v", c, tokenByte[c])
		}
		p := "/a" + s + "b"
		u, err := url.ParseRequestURI(p)
		safe := err == nil && u.Path == p && u.RawPath == "" && u.RawQuery == "" && !u.ForceQuery
		if pathByte[c] != safe {
			t.Errorf("path byte %#x: %v, net/url takes it as it is: %v", c, pathByte[c], safe)
		}
	}
}

// TestCanonicalKey holds canonicalKey to textproto's canonical form.
func TestCanonicalKey(t *testing.T) {
	for _, k := range []string{"host", "HOST", "Host", "x-api-key", "X-API-KEY", "x-unknown-thing",
		"X-Unknown-Thing", "x_y", "1a-b", "a--b", "-a", "www-authenticate", "X-A-", "a"} {
		got, kind := canonicalKey(k)
		if want := textproto.CanonicalMIMEHeaderKey(k); got != want || kind == keyInvalid || kind == keySpace {
			t.Errorf("canonicalKey(%q) = %q, %v; want %q", k, got, kind, want)
		}
	}
	for k, want := range map[string]keyKind{"Host": keyHost, "host": keyHost, "CONNECTION": keyConnection,
		"content-length": keyContentLength, "Transfer-encoding": keyTransferEncoding, "trailer": keyTrailer,
		"PRAGMA": keyPragma, "cache-control": keyCacheControl, "Content-Lengt": keyOther,
		"Host ": keySpace, "Ho st": keySpace, "": keyInvalid, "Hos\x00t": keyInvalid, "Hóst": keyInvalid} {
		if _, kind := canonicalKey(k); kind != want {
			t.Errorf("canonicalKey(%q): kind %v, want %v", k, kind, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { canonicalKey("user-agent") }); n != 0 {
		t.Errorf("a common name in lower case costs %v allocations", n)
	}
}

// BenchmarkReadRequest reads a typical request's head (six headers) with readRequest and
// with http.ReadRequest, then check: the parsing part of each request's cost.
func BenchmarkReadRequest(b *testing.B) {
	for _, bc := range []struct {
		name string
		read func(*bufio.Reader) (*http.Request, bool, error)
	}{
		{"h1", readRequest},
		{"net-http", func(br *bufio.Reader) (*http.Request, bool, error) {
			req, err := http.ReadRequest(br)
			return req, false, err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in := strings.NewReader(typicalRequest)
			br := bufio.NewReaderSize(in, bufSize)
			b.ReportAllocs()
			for b.Loop() {
				in.Reset(typicalRequest)
				br.Reset(in)
				req, valid, err := bc.read(br)
				if err != nil {
					b.Fatal(err)
				}
				if st, _ := check(req, valid); st != 0 {
					b.Fatal(st)
				}
			}
		})
	}
}

// reads returns its parts one read at a time, then err.
type reads struct {
	parts []string
	err   error
}

func (r *reads) Read(p []byte) (int, error) {
	if len(r.parts) == 0 {
		return 0, r.err
	}
	n := copy(p, r.parts[0])
	if r.parts[0] = r.parts[0][n:]; r.parts[0] == "" {
		r.parts = r.parts[1:]
	}
	return n, nil
}

// A request line the network cut short, after a request on the same connection: the fast
// path waits for the rest, and whatever comes (the rest, or an error), reads what net/http
// reads. The wait moves the buffered bytes to the buffer's start, which must not leave the
// fast path reading where they were.
func TestCutRequestLine(t *testing.T) {
	for name, tail := range map[string]*reads{
		"the rest comes":  {parts: []string{"b HTTP/1.1\r\nHost: b\r\n\r\n"}, err: io.EOF},
		"the read fails":  {err: io.ErrUnexpectedEOF},
		"the client left": {err: io.EOF},
	} {
		t.Run(name, func(t *testing.T) {
			read := func(next func(*bufio.Reader) (*http.Request, error)) (string, error) {
				first := &reads{parts: []string{"GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /"}, err: io.EOF}
				rest := *tail
				rest.parts = append([]string(nil), tail.parts...)
				br := bufio.NewReader(io.MultiReader(first, &rest))
				if r, err := next(br); err != nil || r.URL.Path != "/a" {
					t.Fatalf("first request: %v", err)
				}
				r, err := next(br)
				if err != nil {
					return "", err
				}
				return r.Method + " " + r.URL.Path + " " + r.Host, nil
			}
			got, err := read(func(br *bufio.Reader) (*http.Request, error) {
				req, _, _, err := readRequestInto(br, nil, new(requestAlloc), nil)
				return req, err
			})
			want, werr := read(http.ReadRequest)
			if got != want || fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Errorf("read %q, %v; net/http: %q, %v", got, err, want, werr)
			}
		})
	}
}

// checkNames holds a head's names (rawHead.names) to its request's header map: the server
// looks up only the names a head may have, so a field there must have its kind's bit.
func checkNames(t *testing.T, in []byte, req *http.Request, raw rawHead) {
	t.Helper()
	for name, kind := range map[string]keyKind{"Expect": keyExpect, "Upgrade": keyUpgrade} {
		if _, ok := req.Header[name]; ok && !raw.mayHave(kind) {
			t.Fatalf("%q: the request has %s, its head's names (%b) say it has not", in, name, raw.names)
		}
	}
}
