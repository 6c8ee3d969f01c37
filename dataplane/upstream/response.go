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
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// Building the *http.Response from a head read by readHead: the fields net/http's
// ReadResponse sets, to the same values, and the body's framing by its rules (its
// readTransfer): Connection, Transfer-Encoding, Content-Length, Trailer, HEAD, 1xx, 204 and
// 304.

// response is a response and its body in one allocation. Responses are reused when their
// caller releases them (Release); the header map goes with them, cleared, but not the slice
// of its values, which the caller may have copied into a map of its own.
type response struct {
	res  http.Response
	body body
	// header is a released response's header map, cleared, for this one's fields.
	header http.Header
	// fields are the answer's fields in the order they came, one per line, names
	// canonicalized (Fields); plain says no name has a space, no line was folded, and no
	// Pragma came.
	fields []httpsyntax.Field
	plain  bool
	// lazy, when on, stands for res.Header, empty until Header fills it (lazy.go).
	lazy lazyHeader
	// readAt is when the head was read, on the transport's clock; realClock says that is
	// clock.Now (ReadAt).
	readAt    time.Time
	realClock bool
}

// ReadAt is when the transport had read res's head, when res is the lean path's and its
// clock is clock.Now: a caller timing the call (an integration's latency) takes it rather
// than read the clock again a moment later.
func ReadAt(res *http.Response) (time.Time, bool) {
	if r := leanOf(res); r != nil && r.realClock {
		return r.readAt, true
	}
	return time.Time{}, false
}

// responses keeps released responses.
var responses = sync.Pool{New: func() any { return new(response) }}

// Release gives back a response the lean path returned, once its caller is done with it: its
// body read to its end or closed, nothing of it used any more but header values (which are
// its own and stay as they are). Its memory and its header map's then serve a later
// response. Any other response, or one whose body is still open, is left alone.
func Release(res *http.Response) {
	r := leanOf(res)
	if r == nil || r.body.state.Load() == bodyOpen {
		return
	}
	fields := r.fields
	clear(fields) // nothing of the head held by a pooled response
	if cap(fields) > maxKeptFields {
		fields = nil
	}
	*r = response{header: httpsyntax.Reusable(res.Header), fields: fields[:0]}
	responses.Put(r)
}

// maxKeptFields bounds the field list a pooled response keeps: the room of a usual head.
const maxKeptFields = 32

// Fields returns the lean path's answer's fields in the order the backend sent them, one
// per header line, each with its one value, names in canonical form as the map has them:
// what a proxy passing them on as they are writes, without the map's lookups and iteration.
// They are the header's, read and checked by the same rules. ok is false for another
// response, or one whose head had a folded line or a name with a space (net/http's reader
// keeps it as it is, a writer drops it), or a Pragma (net/http adds a Cache-Control for
// one): res.Header is the answer then.
// The list keeps the fields framing removes from the map: Transfer-Encoding, Connection,
// Trailer (hop-by-hop fields a proxy drops), and each Content-Length line (the map has the
// one that frames the body: a single line's value, unless the body is chunked).
func Fields(res *http.Response) (fields []httpsyntax.Field, ok bool) {
	r := leanOf(res)
	if r == nil || !r.plain {
		return nil, false
	}
	return r.fields, true
}

// leanOf is the lean path's response res is, or nil for another (one of net/http's, or
// one without a body).
func leanOf(res *http.Response) *response {
	if b, ok := res.Body.(*body); ok && b.owner != nil && &b.owner.res == res {
		return b.owner
	}
	return nil
}

// CanonicalNames reports whether res's header names are known to be canonical
// (textproto.CanonicalMIMEHeaderKey's form, which the lean path's parser gives every name it
// reads): a caller copying them need not canonicalize them again. It is false for a response
// it cannot tell, such as one without a body.
func CanonicalNames(res *http.Response) bool { return leanOf(res) != nil }

// readResponse reads the next response's head from the connection and returns the
// response, its Body not set yet, and how the body is delimited.
func (pc *persistConn) readResponse(req *http.Request, hints *Hints) (*response, bodyFraming, error) {
	s := &pc.scan
	head, err := s.readHead(pc.br, &pc.scratch)
	if err != nil {
		return nil, bodyFraming{}, err
	}
	if s.named&(hasContentLength|hasTransferEncoding) == hasContentLength|hasTransferEncoding {
		return nil, bodyFraming{}, errFraming
	}
	r := responses.Get().(*response)
	res := &r.res
	res.Request = req
	status := strings.TrimSuffix(head[:strings.IndexByte(head, '\n')], "\r")
	var ok bool
	res.Proto, res.Status, res.StatusCode, res.ProtoMajor, res.ProtoMinor, ok = parseStatusLine(status)
	if !ok {
		return nil, bodyFraming{}, fmt.Errorf("upstream: malformed status line %q", status)
	}
	// A Pragma may add a Cache-Control to the map (framing), which the list would lack.
	r.plain = !s.folded && s.plain && s.named&hasPragma == 0
	r.lazy = lazyHeader{on: r.plain && s.named&(hasTransferEncoding|hasTrailer) == 0 && res.StatusCode >= 200 && hints.LazyHeader}
	res.Header, r.fields = s.header(head, r.header, r.fields[:0], r.lazy.on)
	r.header = nil
	if cap(s.fields) > 256 {
		// An idle connection holds them: not the room of an unusually long head.
		s.fields, s.found = nil, nil
	}
	f, err := framing(r, req.Method, s.named)
	return r, f, err
}

// checkStatusLine is parseStatusLine's verdict, on a line as read.
func checkStatusLine(line []byte) error {
	if _, _, _, _, _, ok := parseStatusLine(string(line)); !ok {
		return fmt.Errorf("upstream: malformed status line %q", line)
	}
	return nil
}

// parseStatusLine reads a status line as ReadResponse does: the version up to the first
// space, the status after the spaces that follow, whose first word is a three-character
// code strconv.Atoi takes; but a code below 100 ("099", "+20"), which ReadResponse takes and
// no server may send on (WriteHeader panics), is refused: the client gets 502, as nginx's.
func parseStatusLine(line string) (proto, status string, code, major, minor int, ok bool) {
	// Nearly every answer's: HTTP/1.1 and a code of three digits, read without the general
	// path's cuts, trims and conversions (a third of its instructions).
	if len(line) >= 12 && line[:9] == "HTTP/1.1 " && '1' <= line[9] && line[9] <= '9' && isDigit(line[10]) && isDigit(line[11]) &&
		(len(line) == 12 || line[12] == ' ') {
		code = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
		return line[:8], line[9:], code, 1, 1, true
	}
	return parseAnyStatusLine(line)
}

// parseAnyStatusLine is parseStatusLine for any line.
func parseAnyStatusLine(line string) (proto, status string, code, major, minor int, ok bool) {
	proto, status, ok = strings.Cut(line, " ")
	if !ok {
		return "", "", 0, 0, 0, false
	}
	status = strings.TrimLeft(status, " ")
	c, _, _ := strings.Cut(status, " ")
	if len(c) != 3 {
		return "", "", 0, 0, 0, false
	}
	code, err := strconv.Atoi(c)
	if err != nil || code < 100 {
		return "", "", 0, 0, 0, false
	}
	if major, minor, ok = http.ParseHTTPVersion(proto); !ok {
		return "", "", 0, 0, 0, false
	}
	return proto, status, code, major, minor, true
}

// header fills h, an empty map, or a new one when it is nil, with the fields scanned in
// head: names and values are substrings of head, single values cut from one slab. A name is
// compared with the few before it rather than looked up, so that a field new to the map
// (nearly all) costs one map assignment. Each field is also appended to list, in the head's
// order, its value the map's slice of one.
func (s *headScan) header(head string, h http.Header, list []httpsyntax.Field, listOnly bool) (http.Header, []httpsyntax.Field) {
	if h == nil {
		h = make(http.Header, s.entries)
	}
	slab := s.slots(s.entries)
	var seen [16]string
	n := 0
	for i := 0; i < len(s.fields); i++ {
		f := s.fields[i]
		key := head[f.start:f.colon]
		if !f.canonical {
			key = canonicalKey(key)
		}
		value := httpsyntax.TrimOWS(head[f.colon+1 : f.end])
		if s.folded && i+1 < len(s.fields) && s.fields[i+1].colon < 0 {
			value, i = s.unfold(head, value, i)
		}
		slab[0] = value
		one := slab[:1:1]
		slab = slab[1:]
		list = httpsyntax.AppendField(list, key, one)
		if listOnly {
			continue
		}
		dup := n == len(seen) // past the few: looked up
		for _, k := range seen[:n] {
			if k == key {
				dup = true
				break
			}
		}
		if n < len(seen) {
			seen[n] = key
			n++
		}
		if dup {
			if vv := h[key]; vv != nil {
				h[key] = append(vv, value)
				continue
			}
		}
		h[key] = one
	}
	return h, list
}

// unfold joins the continuation lines after field i to its value as net/http does: each
// line trimmed and after one space, the whole without leading whitespace. It returns the
// value and the index of the last line used.
func (s *headScan) unfold(head, value string, i int) (string, int) {
	var b strings.Builder
	b.WriteString(value)
	for i+1 < len(s.fields) && s.fields[i+1].colon < 0 {
		i++
		f := s.fields[i]
		b.WriteByte(' ')
		b.WriteString(httpsyntax.TrimOWS(head[f.start:f.end]))
	}
	return strings.TrimLeft(b.String(), " \t"), i
}

// bodyFraming is how a response's body is delimited.
type bodyFraming struct {
	length  int64 // > 0: that many bytes; 0: no body; < 0: chunked, or up to the connection's end
	chunked bool
}

// framing applies net/http's rules for a response's framing to res, whose head is read: it
// sets Close, TransferEncoding, ContentLength and Trailer, removes the headers net/http
// removes, and returns how the body is delimited.
func framing(r *response, method string, named uint8) (bodyFraming, error) {
	res := &r.res
	h := res.Header
	if named&hasPragma != 0 {
		if p := h["Pragma"]; len(p) > 0 && p[0] == "no-cache" {
			if _, ok := h["Cache-Control"]; !ok {
				h["Cache-Control"] = []string{"no-cache"}
			}
		}
	}
	var conn []string
	if named&hasConnection != 0 {
		conn = r.values("Connection")
	}
	var drop bool
	res.Close, drop = closes(res.ProtoMajor, res.ProtoMinor, conn)
	if drop {
		r.del("Connection")
	}

	var f bodyFraming
	if named&hasTransferEncoding != 0 {
		if te, ok := h["Transfer-Encoding"]; ok {
			delete(h, "Transfer-Encoding")
			// HTTP/1.0 has no transfer codings: ignored, as net/http ignores them (a version
			// 0.0 counts as 1.1 there).
			if res.ProtoAtLeast(1, 1) || res.ProtoMajor == 0 && res.ProtoMinor == 0 {
				if len(te) != 1 {
					return f, fmt.Errorf("upstream: too many transfer encodings: %q", te)
				}
				if !strings.EqualFold(te[0], "chunked") || !isASCII(te[0]) {
					return f, fmt.Errorf("upstream: unsupported transfer encoding: %q", te[0])
				}
				f.chunked = true
			}
		}
	}

	var cls []string
	if named&hasContentLength != 0 {
		cls = r.values("Content-Length")
	}
	n, one, err := bodyLength(res.StatusCode, method, cls, f.chunked)
	if err != nil {
		return f, err
	}
	switch {
	case f.chunked:
		r.del("Content-Length")
		cls = nil
	case one != nil:
		r.set("Content-Length", one)
		cls = one
	}
	f.length = n
	res.ContentLength = n
	if method == http.MethodHead {
		if res.ContentLength, err = contentLength(cls); err != nil {
			return f, err
		}
	}
	if named&hasTrailer != 0 {
		if res.Trailer, err = trailer(h, f.chunked); err != nil {
			return f, err
		}
	}
	if n < 0 && !f.chunked && bodyAllowed(res.StatusCode) {
		res.Close = true // the body ends with the connection
	}
	if f.chunked {
		res.TransferEncoding = []string{"chunked"}
	}
	return f, nil
}

// closes reports whether the connection ends with this response, whose Connection header
// has the values conn, and whether that header goes, as net/http removes it when it says
// so in HTTP/1.1.
func closes(major, minor int, conn []string) (close, drop bool) {
	if major < 1 {
		return true, false
	}
	close = httpguts.HeaderValuesContainsToken(conn, "close")
	if major == 1 && minor == 0 {
		return close || !httpguts.HeaderValuesContainsToken(conn, "keep-alive"), false
	}
	return close, close
}

// bodyLength is the body's length by RFC 9112 (6.3) as net/http reads it, from its
// Content-Length values cls: 0 for HEAD, 1xx, 204 and 304, -1 for chunked (its
// Content-Length then goes) or an end with the connection. Several Content-Lengths must
// agree, and are then one: that one is returned as the header's value (one), nil when cls
// stays as it is.
func bodyLength(status int, method string, cls []string, chunked bool) (n int64, one []string, err error) {
	if len(cls) > 1 {
		first := textproto.TrimString(cls[0])
		for _, v := range cls[1:] {
			if textproto.TrimString(v) != first {
				return 0, nil, fmt.Errorf("upstream: response with several Content-Lengths: %q", cls)
			}
		}
		cls = []string{first}
		one = cls
	}
	if len(cls) > 0 {
		if n, err = contentLength(cls); err != nil {
			return 0, nil, err
		}
	}
	switch {
	case method == http.MethodHead, status/100 == 1, status == http.StatusNoContent, status == http.StatusNotModified:
		return 0, one, nil
	case chunked:
		return -1, one, nil
	case len(cls) > 0:
		return n, one, nil
	}
	return -1, one, nil
}

// contentLength parses a Content-Length: -1 when there is none, digits only otherwise.
func contentLength(cls []string) (int64, error) {
	if len(cls) == 0 {
		return -1, nil
	}
	cl := textproto.TrimString(cls[0])
	n, ok := parseLength(cl)
	if !ok {
		return 0, fmt.Errorf("upstream: bad Content-Length %q", cl)
	}
	return n, nil
}

// parseLength is strconv.ParseUint(s, 10, 63)'s value and verdict, for up to 18 digits by
// hand (a tenth of its instructions).
func parseLength(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		n, err := strconv.ParseUint(s, 10, 63)
		return int64(n), err == nil
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// trailer returns the trailers a chunked response announces (a Trailer header, removed),
// each with no value yet; a Trailer header without chunking is left as it is.
func trailer(h http.Header, chunked bool) (http.Header, error) {
	vv, ok := h["Trailer"]
	if !ok || !chunked {
		return nil, nil
	}
	delete(h, "Trailer")
	var t http.Header
	for _, v := range vv {
		for name := range strings.SplitSeq(v, ",") {
			if name = textproto.TrimString(name); name == "" {
				continue
			}
			name = http.CanonicalHeaderKey(name)
			switch name {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return nil, fmt.Errorf("upstream: bad trailer key %q", name)
			}
			if t == nil {
				t = make(http.Header)
			}
			t[name] = nil
		}
	}
	return t, nil
}

// bodyAllowed reports whether a response of this status may have a body.
func bodyAllowed(status int) bool {
	return (status < 100 || status > 199) && status != http.StatusNoContent && status != http.StatusNotModified
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// newChunkedReader is net/http's own reader of chunked framing (httputil exports it).
var newChunkedReader = httputil.NewChunkedReader
