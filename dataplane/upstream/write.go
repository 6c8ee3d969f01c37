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
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// The lean path's request writer. It writes what http.Request.Write writes for a lean
// request (no Transfer-Encoding, no trailers, a body absent or of a known length), byte for
// byte, but gathers the request line, the headers and the body in one pooled buffer and
// hands it to the connection in one write: http.Request.Write formats through fmt, allocates
// its transfer writer and the request URI, and flushes the headers before a body it cannot
// see is in memory, a second write. It refuses what could be written ambiguously (a header
// name that is no token, a value with CR, LF or another control character, a method that is
// no token) rather than clean it up, and leaves to http.Request.Write what it does not take
// (writeLean returns errNotLean before writing anything).

var errNotLean = errors.New("upstream: request not for the lean writer")

const (
	defaultUserAgent = "Go-http-client/1.1" // net/http's, sent when the request has none
	maxPooledWrite   = 128 << 10
)

var writeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, bufferSize); return &b }}

// sendLater is a writer that may keep the request's bytes to send them with the first read
// of the answer (rawio.Conn.SendThenRead), reporting whether it did. The bytes must stay as
// they are until then: the connection's own room (bw's) or the heap, never a pooled buffer.
type sendLater interface {
	sendLater(b []byte) bool
}

// writeRequest writes req to w, in one write when the lean writer takes it: built in bw's
// room, which only the other writer uses, unless its body may not fit there. fields is the
// connection's room for the list of fields the lean writer sorts.
func writeRequest(w io.Writer, bw *bufio.Writer, req *http.Request, hints *Hints, fields *[]httpsyntax.Field) error {
	err := writeLean(w, bw.AvailableBuffer(), req, hints, fields)
	if !errors.Is(err, errNotLean) {
		return err
	}
	if err := withFields(req, hints).Write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// writeLean writes req to w in one write, or returns errNotLean having written and read
// nothing. The body is closed unless errNotLean is returned. The request is built in room
// when its body is at most half of it, in a pooled buffer otherwise. fields, when not nil,
// is the room of the fields' list, kept for the next request.
func writeLean(w io.Writer, room []byte, req *http.Request, hints *Hints, fields *[]httpsyntax.Field) error {
	if len(req.TransferEncoding) > 0 || req.Trailer != nil || req.URL == nil || req.URL.Opaque != "" {
		return errNotLean
	}
	if trace := hints.clientTrace(req.Context()); trace != nil &&
		(trace.WroteHeaderField != nil || trace.WroteHeaders != nil || trace.WroteRequest != nil) {
		return errNotLean
	}
	if n := outgoingLength(req); n < 0 || n > maxPooledWrite {
		return errNotLean // chunked, or too large to gather
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return errNotLean // IDNA: net/http converts it to Punycode
		}
	}
	b := room[:0]
	var bp *[]byte
	if n := outgoingLength(req); n > int64(cap(room))/2 {
		bp = writeBuffers.Get().(*[]byte)
		b = (*bp)[:0]
	}
	var list []httpsyntax.Field
	if fields != nil {
		list = *fields
	}
	b, list, err := appendHead(b, req, host, hints, list)
	if fields != nil {
		// The room is kept: on the stack it was a zeroed array of 1,280 bytes per request.
		*fields = httpsyntax.ReusableFields(list)
	}
	if err == nil {
		b, err = appendBody(b, req)
	} else {
		closeBody(req)
	}
	if err == nil {
		if d, ok := w.(sendLater); !ok || bp != nil || !d.sendLater(b) {
			_, err = w.Write(b)
		}
	}
	if bp != nil && cap(b) <= maxPooledWrite {
		*bp = b[:0]
		writeBuffers.Put(bp)
	}
	return err
}

// appendHead appends req's request line and headers to b. The map's fields, with hints'
// unless they are ready, are sorted in list's room, which it returns.
func appendHead(b []byte, req *http.Request, host string, hints *Hints, list []httpsyntax.Field) ([]byte, []httpsyntax.Field, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !httpguts.ValidHeaderFieldName(method) {
		return b, list, fmt.Errorf("net/http: invalid method %q", method)
	}
	if !httpguts.ValidHostHeader(host) {
		host = "" // as net/http does when not writing to a proxy
	}
	host = removeZone(host)
	u := req.URL
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if badTarget(path) || badTarget(u.RawQuery) {
		return b, list, errors.New("net/http: can't write control character in Request.URL")
	}
	if path[0] != '/' {
		return b, list, fmt.Errorf("upstream: request path %q is not absolute", path)
	}
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	if u.ForceQuery || u.RawQuery != "" {
		b = append(b, '?')
		b = append(b, u.RawQuery...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)

	extra, ready := hints.Fields, hints.FieldsReady
	ua := defaultUserAgent
	if vv, ok := req.Header["User-Agent"]; ok {
		ua = first(vv)
	} else if ready {
		ua = "" // the fields have it, or the request none
	} else {
		for _, f := range extra {
			if f.Name == "User-Agent" {
				ua = first(f.Values)
				break
			}
		}
	}
	if ua != "" {
		b = append(b, "User-Agent: "...)
		b = append(b, textproto.TrimString(ua)...)
		b = append(b, "\r\n"...)
	}

	if req.ContentLength != 0 && req.Body == nil {
		return b, list, fmt.Errorf("http: Request.ContentLength=%d with nil Body", req.ContentLength)
	}
	if req.Close && !hasToken(req.Header.Get("Connection"), "close") {
		b = append(b, "Connection: close\r\n"...)
	}
	if n := outgoingLength(req); n > 0 || (n == 0 && (method == "POST" || method == "PUT" || method == "PATCH")) {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, "\r\n"...)
	}

	// The fields with their values, sorted by name: written without a lookup per name.
	fields := list[:0]
	var err error
	for k, vv := range req.Header {
		if fields, err = addField(fields, k, vv); err != nil {
			return b, fields, err
		}
	}
	if !ready {
		for _, f := range extra {
			if fields, err = addField(fields, f.Name, f.Values); err != nil {
				return b, fields, err
			}
		}
	}
	httpsyntax.SortFields(fields)
	// Names and values were checked by validHeaders before the connection was taken.
	for _, f := range fields {
		b = appendField(b, f.Name, f.Values, true)
	}
	if ready {
		for _, f := range extra {
			b = appendField(b, f.Name, f.Values, false)
		}
	}
	return append(b, "\r\n"...), fields, nil
}

// appendField appends a line per value of field k, each value trimmed when trim is set.
func appendField(b []byte, k string, vv []string, trim bool) []byte {
	for _, v := range vv {
		b = append(b, k...)
		b = append(b, ": "...)
		if trim {
			v = textproto.TrimString(v)
		}
		b = append(b, v...)
		b = append(b, "\r\n"...)
	}
	return b
}

// addField adds a field to those appendHead writes after its own, unless it is one of
// those: an error for a name net/http would write next to its own (a second Host, or a
// framing the backend may read otherwise than the proxy).
func addField(fields []httpsyntax.Field, k string, vv []string) ([]httpsyntax.Field, error) {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return fields, nil
	}
	if framingName(k) {
		return fields, fmt.Errorf("upstream: header %q would be sent next to the request's own", k)
	}
	return httpsyntax.AppendField(fields, k, vv), nil
}

// first is a field's first value, or "".
func first(vv []string) string {
	if len(vv) > 0 {
		return vv[0]
	}
	return ""
}

// framingName reports whether k is Host, Content-Length or Transfer-Encoding in any case,
// comparing by length first: most names have none of the three lengths.
func framingName(k string) bool {
	switch len(k) {
	case len("Host"):
		return strings.EqualFold(k, "Host")
	case len("Content-Length"):
		return strings.EqualFold(k, "Content-Length")
	case len("Transfer-Encoding"):
		return strings.EqualFold(k, "Transfer-Encoding")
	}
	return false
}

// appendBody appends req's body, read to its end, and closes it: ContentLength bytes, no
// fewer, and nothing after them, as net/http's transfer writer checks.
func appendBody(b []byte, req *http.Request) ([]byte, error) {
	n := outgoingLength(req)
	if n <= 0 || req.Body == nil || req.Body == http.NoBody {
		closeBody(req)
		return b, nil
	}
	start := len(b)
	b = slices.Grow(b, int(n))[:start+int(n)]
	got, err := io.ReadFull(req.Body, b[start:])
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = nil
	}
	if err == nil && got == int(n) {
		// What the body has beyond its length is an error too.
		var extra int64
		extra, err = io.Copy(io.Discard, req.Body)
		got += int(extra)
	}
	if err != nil {
		closeBody(req)
		return b, requestBodyError{err}
	}
	if cerr := req.Body.Close(); cerr != nil {
		return b, cerr
	}
	if int64(got) != n {
		return b, fmt.Errorf("http: ContentLength=%d with Body length %d", n, got)
	}
	return b, nil
}

// outgoingLength is net/http's: the body's length, 0 for none, -1 for unknown.
func outgoingLength(req *http.Request) int64 {
	if req.Body == nil || req.Body == http.NoBody {
		return 0
	}
	if req.ContentLength != 0 {
		return req.ContentLength
	}
	return -1
}

// removeZone removes the zone of an IPv6 literal host, as net/http does.
func removeZone(host string) string {
	if !strings.HasPrefix(host, "[") {
		return host
	}
	i := strings.LastIndex(host, "]")
	if i < 0 {
		return host
	}
	j := strings.LastIndex(host[:i], "%")
	if j < 0 {
		return host
	}
	return host[:j] + host[i:]
}

// badTarget reports whether s has a byte that cannot stand in a request-target as written:
// a control character (net/http refuses those too) or a space (which net/http writes, making
// a request line that reads otherwise).
func badTarget(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b <= ' ' || b == 0x7f {
			return true
		}
	}
	return false
}

// hasToken is net/http's: whether v holds token between spaces, tabs or commas, any case.
func hasToken(v, token string) bool {
	if len(token) > len(v) || token == "" {
		return false
	}
	if v == token {
		return true
	}
	for sp := 0; sp <= len(v)-len(token); sp++ {
		if b := v[sp]; b != token[0] && b|0x20 != token[0] {
			continue
		}
		if sp > 0 && !isTokenBoundary(v[sp-1]) {
			continue
		}
		if end := sp + len(token); end != len(v) && !isTokenBoundary(v[end]) {
			continue
		}
		if strings.EqualFold(v[sp:sp+len(token)], token) {
			return true
		}
	}
	return false
}

func isTokenBoundary(b byte) bool { return b == ' ' || b == ',' || b == '\t' }

// requestBodyError is an error reading the request's body, as net/http reports it: its
// text, nothing else of it (not a timeout of the client's connection taken for the
// backend's).
type requestBodyError struct{ error }
