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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The response reader (head.go, response.go, body.go) against what it replaced: the
// framingConflict check (reference_test.go) and then http.ReadResponse, in the loop
// roundTrip ran them in. FuzzResponse feeds both the same backend bytes and fails on any
// difference in what is accepted or in what comes out.

// outcome is what one exchange gave, in the terms both readers are compared in.
type outcome struct {
	Err       bool // the head was refused
	Status    string
	Code      int
	Proto     string
	Major     int
	Minor     int
	Header    http.Header
	Length    int64
	TE        []string
	Close     bool
	Uncomp    bool
	Trailer   http.Header // announced, before the body is read
	NoBody    bool
	Infos     []info // the 1xx answers, in order
	Body      string
	BodyErr   bool        // reading the body failed
	Trailers  http.Header // after the body
	Reuse     bool        // the connection is reusable once the body is read (or would be: see compare)
	Consumed  int         // bytes of the stream the exchange took, when it ended cleanly
	Deviation string      // why the reference's framing check was the corrected one
	Fields    string      // the lean answer's field list disagreeing with its header (fieldsAgree)
}

type info struct {
	Code   int
	Header http.Header
}

// streamConn is a backend's answer as a connection: reads of at most step bytes (all at
// once for 0), writes discarded.
type streamConn struct {
	data   []byte
	pos    int
	step   int
	closed bool
}

func (c *streamConn) Read(p []byte) (int, error) {
	if c.pos >= len(c.data) {
		return 0, io.EOF
	}
	if c.step > 0 && len(p) > c.step {
		p = p[:c.step]
	}
	n := copy(p, c.data[c.pos:])
	c.pos += n
	return n, nil
}

func (c *streamConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *streamConn) Close() error                     { c.closed = true; return nil }
func (c *streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

func exchangeRequest(method string, infos *[]info) *http.Request {
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		*infos = append(*infos, info{code, maps.Clone(http.Header(h))})
		return nil
	}}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	req, err := http.NewRequestWithContext(ctx, method, "http://backend/", nil)
	if err != nil {
		panic(err)
	}
	return req
}

// readBody reads b to its end in reads of step bytes (512 for 0), noting the first error.
func readBody(b io.Reader, step int) (string, error) {
	if step <= 0 {
		step = 512
	}
	var sb strings.Builder
	buf := make([]byte, step)
	for {
		n, err := b.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String(), err
		}
	}
}

var fuzzTransports sync.Map // header budget -> *Transport

// fuzzTransport returns a Transport with the header budget max: one each, as a connection
// put in a pool arms its Transport's idle sweeper.
func fuzzTransport(max int64) *Transport {
	if t, ok := fuzzTransports.Load(max); ok {
		return t.(*Transport)
	}
	t, _ := fuzzTransports.LoadOrStore(max, New(Options{Fallback: &fallback{}, MaxResponseHeaderBytes: max}))
	return t.(*Transport)
}

// leanExchange runs data through roundTrip, the code under test.
func leanExchange(data []byte, method string, step int, maxHeader int64, lazy bool) outcome {
	var o outcome
	req := exchangeRequest(method, &o.Infos)
	if lazy {
		req = req.WithContext(context.WithValue(req.Context(), HintsKey{}, &Hints{LazyHeader: true}))
	}
	p := &pool{t: fuzzTransport(maxHeader), addr: "backend:80"}
	c := &streamConn{data: data, step: step}
	pc := newPersistConn(p, c)
	res, err := pc.roundTrip(req, hintsOf(req))
	if err != nil {
		o.Err = true
		o.Infos = nil // how far 1xx went before a refusal is not compared
		return o
	}
	if lazy {
		o.Fields = valuesAgree(res)
	}
	o.fill(res)
	if o.Fields == "" {
		o.Fields = fieldsAgree(res)
	}
	if res.Body != http.NoBody {
		// The lazy run takes the body as the integration does (copyBody): WriteBody, for
		// one it handles.
		var body bytes.Buffer
		handled, err := false, error(nil)
		if lazy {
			handled, err = WriteBody(res, &body)
		}
		if handled {
			o.Body, o.BodyErr = body.String(), err != nil
		} else {
			o.Body, err = readBody(res.Body, step)
			o.BodyErr = !errors.Is(err, io.EOF)
		}
		_ = res.Body.Close()
	}
	o.Trailers = res.Trailer
	o.Reuse = len(p.idle) == 1 && !c.closed
	if !o.BodyErr {
		o.Consumed = c.pos - pc.br.Buffered()
	}
	return o
}

// valuesAgree checks, for an answer whose map may not be built yet (Hints.LazyHeader), that
// Values gives the fields framing works on as the map has them once Header builds it. It
// returns what disagrees, or "".
func valuesAgree(res *http.Response) string {
	names := []string{"Connection", "Content-Length"}
	before := make([][]string, len(names))
	for i, k := range names {
		before[i] = Values(res, k)
	}
	h := Header(res)
	for i, k := range names {
		if !reflect.DeepEqual(before[i], h[k]) || !reflect.DeepEqual(Values(res, k), h[k]) {
			return fmt.Sprintf("Values(%s) gave %q, the map has %q", k, before[i], h[k])
		}
	}
	return ""
}

// fieldsAgree checks what Fields gives against the header: the same fields, line after
// line, but those framing removes or rewrites in the map, for a head Fields serves; and no
// list for one with a name the map has with a space, or a Pragma. It returns what disagrees,
// or "".
func fieldsAgree(res *http.Response) string {
	fields, ok := Fields(res)
	if leanOf(res) == nil {
		if ok {
			return "a list for a response that is not the lean path's own"
		}
		return ""
	}
	plain := true
	for k := range res.Header {
		plain = plain && !strings.Contains(k, " ") && k != "Pragma"
	}
	if !ok {
		return ""
	}
	if !plain {
		return fmt.Sprintf("a list for a head that is not plain: %v", res.Header)
	}
	framing := map[string]bool{"Transfer-Encoding": true, "Connection": true, "Trailer": true, "Content-Length": true}
	h := http.Header{}
	for _, f := range fields {
		if len(f.Values) != 1 {
			return fmt.Sprintf("field %q has %d values", f.Name, len(f.Values))
		}
		if !framing[f.Name] {
			h[f.Name] = append(h[f.Name], f.Values...)
		}
	}
	want := maps.Clone(res.Header)
	for k := range framing {
		delete(want, k)
	}
	if !reflect.DeepEqual(h, want) {
		return fmt.Sprintf("list %v, header %v", fields, res.Header)
	}
	return ""
}

func (o *outcome) fill(res *http.Response) {
	o.Status, o.Code, o.Proto, o.Major, o.Minor = res.Status, res.StatusCode, res.Proto, res.ProtoMajor, res.ProtoMinor
	o.Header = maps.Clone(res.Header)
	o.Length, o.TE, o.Close, o.Uncomp = res.ContentLength, res.TransferEncoding, res.Close, res.Uncompressed
	o.Trailer = maps.Clone(res.Trailer)
	o.NoBody = res.Body == http.NoBody
}

// referenceExchange runs data through the previous code: roundTrip's loop as it was, with
// framingConflict and http.ReadResponse, over the same buffer size and header budget, the
// data in one read (framingConflict saw what was buffered).
func referenceExchange(data []byte, method string, maxHeader int64) outcome {
	var o outcome
	req := exchangeRequest(method, &o.Infos)
	c := &streamConn{data: data}
	cr := &connReader{pc: &persistConn{rw: c}, limit: maxHeader}
	br := bufio.NewReaderSize(cr, bufferSize)
	var res *http.Response
	untrusted := false
	for {
		checked := false
		var err error
		if _, err = br.Peek(1); err == nil {
			var why string
			checked, why, err = referenceFraming(br, data[c.pos-br.Buffered():])
			if why != "" {
				o.Deviation = why
			}
		}
		if err == nil {
			res, err = http.ReadResponse(br, req) //nolint:bodyclose // read to its end below; a 1xx has none
		}
		if err == nil && !checked && len(res.TransferEncoding) > 0 {
			untrusted = true
		}
		if err != nil || res.StatusCode == http.StatusSwitchingProtocols || res.StatusCode < 100 {
			// Below 100 ("099", "+20"): ReadResponse takes it, the lean path refuses it
			// (parseStatusLine), as no server may send it on.
			return outcome{Err: true, Deviation: o.Deviation}
		}
		if res.StatusCode >= 100 && res.StatusCode < 200 {
			if err := got1xx(req, hintsOf(req), res); err != nil {
				return outcome{Err: true}
			}
			continue
		}
		break
	}
	cr.limit = math.MaxInt64
	o.fill(res)
	reusable := !res.Close && !untrusted
	if res.Body != http.NoBody {
		var err error
		o.Body, err = readBody(res.Body, 0)
		o.BodyErr = !errors.Is(err, io.EOF)
		reusable = reusable && !o.BodyErr
	}
	o.Trailers = res.Trailer
	o.Reuse = reusable
	if !o.BodyErr {
		o.Consumed = c.pos - br.Buffered()
	}
	return o
}

// compare fails t on a difference between got (the lean reader) and want (the reference).
func compare(t *testing.T, data []byte, method string, got, want outcome) {
	t.Helper()
	// What the reference calls reusable, roundTrip's finish pools only when nothing more
	// was read from the connection; with the lean reader's smaller reads, bytes past the
	// answer may still be unread (the pool's liveness check finds them). Compared when the
	// answer is all the stream.
	if got.Err || want.Err || got.BodyErr || want.BodyErr || got.Consumed != len(data) || want.Consumed != len(data) {
		got.Reuse, want.Reuse = false, false
	}
	got.Deviation = want.Deviation
	if got.Fields != "" {
		t.Fatalf("%s %q: %s", method, data, got.Fields)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %q:\n got %+v\nwant %+v", method, data, got, want)
	}
}

func checkResponse(t *testing.T, data []byte, step int, maxHeader int64) {
	t.Helper()
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		want := referenceExchange(data, method, maxHeader)
		for _, s := range []int{0, step} {
			for _, lazy := range []bool{false, true} {
				compare(t, data, method, leanExchange(data, method, s, maxHeader, lazy), want)
			}
		}
	}
}

// responseSeeds are answers a backend gives, and the ones the previous code was tested to
// refuse (transport_test.go's smuggling cases).
var responseSeeds = []string{
	"HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Thu, 04 Dec 2026 10:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\nETag: \"x\"\r\n\r\nok\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum, x-other\r\n\r\n5\r\npart1\r\n5;ext=1\r\npart2\r\n0\r\nX-Sum: 42\r\nx-late: 1\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
	"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
	"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end",
	"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\t\r\n\tc\r\nX-Empty:\r\n \r\nPragma: no-cache\r\n\r\n",
	"HTTP/1.1 200 OK\nContent-Length: 2\nX-A: 1\nx-a: 2\n\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length:  2 \r\n\r\nok",
	"HTTP/1.1 200 OK\r\nX Name: v\r\ncontent-type:x\r\nACCEPT-RANGES: bytes\r\n\r\n",
	"HTTP/1.1  200\r\nContent-Length: 0\r\n\r\nextra",
	"HTTP/1.1 +99 odd\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: 2, 30\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length\t: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000002\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2g\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\nx\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\n\r\n",
	"HTTP/1.1 200 OK\r\n X-Lead: 1\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 5000) + "\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
	// Heads whose names are all canonical, which Fields lists.
	"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2\r\nSet-Cookie: a\r\nContent-Length: 2\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\nSet-Cookie:  b \r\n\r\nok",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\nContent-Type: text/plain\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 1\r\n\r\n",
	"HTTP/1.1 200 OK\r\nConnection: close\r\nVary: A\r\nVary: B\r\n\r\nto the end",
}

func TestResponseAgainstReference(t *testing.T) {
	for _, s := range responseSeeds {
		for _, step := range []int{1, 3, 7} {
			checkResponse(t, []byte(s), step, DefaultMaxResponseHeaderBytes)
			checkResponse(t, []byte(s), step, 64)
		}
	}
}

// FuzzResponse feeds arbitrary bytes, as a backend's answer to a GET and to a HEAD, to the
// lean reader (in reads of every size) and to the reference, and fails on any difference.
func FuzzResponse(f *testing.F) {
	for i, s := range responseSeeds {
		f.Add([]byte(s), uint8(i%5), i%3 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, step uint8, small bool) {
		maxHeader := int64(DefaultMaxResponseHeaderBytes)
		if small {
			maxHeader = 96
		}
		checkResponse(t, data, int(step), maxHeader)
	})
}

func TestCanonicalKey(t *testing.T) {
	for _, k := range []string{"content-type", "ETag", "x-request-id", "X-REQUEST-ID", "a-b-c", "Foo Bar", "foo bar",
		"x_y", "1abc", "-x", "ACCEPT-RANGES", strings.Repeat("ab-", 40)} {
		if got, want := canonicalKey(k), canonicalReference(k); got != want {
			t.Errorf("canonicalKey(%q) = %q, want %q", k, got, want)
		}
	}
}

// canonicalReference keys a name read from a head as textproto does: verbatim with a space.
func canonicalReference(k string) string {
	if strings.IndexByte(k, ' ') >= 0 {
		return k
	}
	return textproto.CanonicalMIMEHeaderKey(k)
}

// Where the response reader differs from the code it replaced: the framing checks now see
// every line of the head. framingConflict saw what was buffered when it ran: a head longer
// than the buffer or arriving in several reads went unchecked (a Transfer-Encoding next to
// a Content-Length then framed the answer, on a connection not reused, and "Content-Length :"
// was a field of another name, the body read to the connection's end); and a head whose
// last line ended in a bare "\n" before the "\r\n" had it read on into the body.
func TestFramingCheckedOverWholeHead(t *testing.T) {
	big := "X-Big: " + strings.Repeat("a", 5000) + "\r\n"
	for _, c := range []struct {
		name, resp string
		step       int
		accept     bool
	}{
		{"CL and TE after 5 KB", "HTTP/1.1 200 OK\r\n" + big + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, false},
		{"CL with space after 5 KB", "HTTP/1.1 200 OK\r\n" + big + "Content-Length : 2\r\n\r\nok", 0, false},
		{"CL and TE in two reads", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 20, false},
		{"a body line not read as a field", "HTTP/1.1 200 OK\nContent-Length: 24\n\r\nTransfer-Encoding: x\r\n\r\n", 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := leanExchange([]byte(c.resp), http.MethodGet, c.step, DefaultMaxResponseHeaderBytes, false)
			if got.Err == c.accept {
				t.Fatalf("refused %v, want %v: %+v", got.Err, !c.accept, got)
			}
			if c.step == 0 {
				if want := referenceExchange([]byte(c.resp), http.MethodGet, DefaultMaxResponseHeaderBytes); want.Deviation == "" {
					t.Errorf("framingConflict saw the head's lines: not one of the differences")
				}
			}
		})
	}
}

// The status line's and Content-Length's short paths read what the general ones read.
func FuzzShortPaths(f *testing.F) {
	for _, s := range []string{"HTTP/1.1 200 OK", "HTTP/1.1 204", "HTTP/1.1 200  OK", "HTTP/1.1 +20 x", "HTTP/1.0 200 OK",
		"HTTP/1.1 2000 OK", "HTTP/1.1 20", "HTTP/1.1 099 X", "HTTP/1.1 +20 x", "HTTP/1.0 099", "3", "007", "123456789012345678", "1234567890123456789", "-1", "+1", "1_0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		type status struct {
			proto, status      string
			code, major, minor int
			ok                 bool
		}
		var got, want status
		got.proto, got.status, got.code, got.major, got.minor, got.ok = parseStatusLine(s)
		want.proto, want.status, want.code, want.major, want.minor, want.ok = parseAnyStatusLine(s)
		if got != want {
			t.Errorf("status line %q: %+v, want %+v", s, got, want)
		}
		n, ok := parseLength(s)
		wn, err := strconv.ParseUint(s, 10, 63)
		if ok != (err == nil) || ok && n != int64(wn) {
			t.Errorf("length %q: %d, %v; ParseUint %d, %v", s, n, ok, wn, err)
		}
	})
}
