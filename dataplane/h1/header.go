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
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/internal/clock"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

// commit writes the status line and the header, deciding the framing from what the handler
// set and p, the first bytes of the body (all of it once the handler is done): the rules of
// net/http's server (chunkWriter.writeHeader), in its order.
func (w *response) commit(p []byte) {
	w.committed = true
	h := w.sent
	if h == nil {
		h = w.header
	}
	keepAlives := !w.c.srv.closing.Load()
	isHEAD := w.req.Method == http.MethodHead
	extra := extraHeader{contentLength: -1}
	var skip skipSet
	f := gather(h, w.c.fields[:0], w.idName)
	f.note(w.forwarded)

	trailers := f.trailerPrefix
	for _, v := range f.trailer {
		trailers = true
		for t := range strings.SplitSeq(v, ",") {
			if t = textproto.TrimString(t); t != "" {
				w.declareTrailer(t)
			}
		}
	}

	te := first(f.te)
	hasTE := te != ""
	hasCLHeader := f.hasCL
	if w.handlerDone && !trailers && !hasTE && bodyAllowedForStatus(w.status) && !hasCLHeader && (!isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		extra.contentLength = int64(len(p))
	}
	if w.wants10KeepAlive && keepAlives && first(f.cl) != "" && first(f.connection) == "keep-alive" {
		w.closeAfterReply = false
	}
	hasCL := w.contentLength != -1
	if w.wants10KeepAlive && (isHEAD || hasCL || !bodyAllowedForStatus(w.status)) {
		if !f.hasConnection {
			extra.connection = "keep-alive"
		}
	} else if !w.req.ProtoAtLeast(1, 1) || w.wantsClose {
		w.closeAfterReply = true
	}
	if first(f.connection) == "close" || !keepAlives {
		w.closeAfterReply = true
	}
	if b := w.body; b != nil && b.expect && !b.eof.Load() {
		// The client asked for 100 Continue and its body was not read to the end: the
		// next bytes may be the body or the next request.
		w.closeAfterReply = true
	}
	if w.req.ContentLength != 0 && !w.closeAfterReply && !w.fullDuplex && w.body != nil {
		tooBig, closeAfter := w.body.beforeReply()
		if closeAfter {
			w.closeAfterReply = true
		}
		if tooBig {
			w.closeAfterReply = true
			w.bodyLimitHit = true
			skip.add("Connection")
			extra.connection = "close"
		}
	}

	if bodyAllowedForStatus(w.status) {
		if first(f.contentEncoding) == "" && !f.hasType && !hasTE && len(p) > 0 {
			extra.contentType = http.DetectContentType(p)
		}
	} else {
		skip.add("Content-Length")
		skip.add("Transfer-Encoding")
		if w.status == http.StatusNotModified {
			skip.add("Content-Type")
		}
	}
	if !f.hasDate {
		extra.date = httpDate()
	}
	if hasCL && hasTE && te != "identity" {
		w.c.srv.logf("h1: WriteHeader called with both Transfer-Encoding of %q and a Content-Length of %d", te, w.contentLength)
		skip.add("Content-Length")
		hasCL = false
	}
	switch {
	case isHEAD || !bodyAllowedForStatus(w.status):
		skip.add("Transfer-Encoding")
	case hasCL:
		skip.add("Transfer-Encoding")
	case w.req.ProtoAtLeast(1, 1):
		if hasTE && te == "identity" {
			w.closeAfterReply = true
			skip.add("Transfer-Encoding")
		} else {
			w.chunking = true
			extra.transferEncoding = "chunked"
			if hasTE && te == "chunked" {
				skip.add("Transfer-Encoding")
			}
		}
	default:
		w.closeAfterReply = true
		skip.add("Transfer-Encoding")
	}
	if w.chunking {
		skip.add("Content-Length")
	}
	if w.closeAfterReply && (!keepAlives || !httpguts.HeaderValuesContainsToken(f.connection, "close")) && !isProtocolSwitch(w.status, h) {
		skip.add("Connection")
		if w.req.ProtoAtLeast(1, 1) {
			extra.connection = "close"
		}
	}

	// The whole header is appended to the free part of the connection's buffer, and
	// written at once (a copy within the buffer when it fits).
	bw := w.c.bw
	b := appendStatusLine(bw.AvailableBuffer(), w.req.ProtoAtLeast(1, 1), w.status)
	b = appendHeader(b, f.fields, &skip)
	b = w.appendID(b, f.hasID)
	b = appendForwarded(b, w.forwarded, &skip, f.lengthForwarded)
	b = extra.append(b)
	b = append(b, "\r\n"...)
	_, _ = bw.Write(b)
	// The room is the connection's: on the stack it was a zeroed array of 640 bytes per
	// response, which cost 1% of a proxied request's CPU.
	w.c.fields = httpsyntax.ReusableFields(f.fields)
}

// fields is what commit reads of the handler's header, gathered in one pass over it, which
// also collects its fields for appendHeader: a lookup for each costs more, about as much as
// a step of the pass.
type fields struct {
	fields                                                []httpsyntax.Field
	trailer, te, cl, connection, contentEncoding          []string
	trailerPrefix, hasCL, hasConnection, hasType, hasDate bool
	// lengthForwarded: the Content-Length is the forwarded fields' (the map has none).
	lengthForwarded bool
	// hasID: the map has the field named id (httpsyntax.IDSetter).
	hasID bool
}

// gather is what commit reads of h; id names the SetID field, if any.
func gather(h http.Header, all []httpsyntax.Field, id string) fields {
	var f fields
	for k, v := range h {
		all = httpsyntax.AppendField(all, k, v)
		switch k {
		case "Trailer":
			f.trailer = v
		case "Transfer-Encoding":
			f.te = v
		case "Content-Length":
			f.cl, f.hasCL = v, true
		case "Connection":
			f.connection, f.hasConnection = v, true
		case "Content-Type":
			f.hasType = true
		case "Content-Encoding":
			f.contentEncoding = v
		case "Date":
			f.hasDate = true
		default:
			if strings.HasPrefix(k, http.TrailerPrefix) {
				f.trailerPrefix = true
			}
			if k == id {
				f.hasID = true
			}
		}
	}
	f.fields = all
	return f
}

// note adds to f what commit reads of the forwarded fields: the ones it would read in the
// header map. Of those that frame the body only a Content-Length is forwarded (the others
// a forwarder puts in the map), and counts unless the map has one.
func (f *fields) note(forwarded []httpsyntax.Field) {
	for _, fw := range forwarded {
		switch fw.Name {
		case "Content-Length":
			if !f.hasCL {
				f.cl, f.hasCL, f.lengthForwarded = fw.Values, true, true
			}
		case "Content-Type":
			f.hasType = true
		case "Date":
			f.hasDate = true
		case "Content-Encoding":
			if len(f.contentEncoding) == 0 {
				f.contentEncoding = fw.Values
			}
		}
	}
}

// appendForwarded appends the forwarded fields but those skip names and those that frame
// the body (in the header map: see httpsyntax.FieldForwarder), but for a Content-Length
// that is the answer's (length), in their order and as they are: their names and values
// were checked when their answer was read.
func appendForwarded(b []byte, forwarded []httpsyntax.Field, skip *skipSet, length bool) []byte {
	for _, f := range forwarded {
		switch f.Name {
		case "Content-Length":
			if !length {
				continue
			}
		case "Transfer-Encoding", "Connection", "Trailer":
			continue
		}
		if skip.has(f.Name) {
			continue
		}
		for _, v := range f.Values {
			b = append(b, f.Name...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// first is a header's first value, or "".
func first(v []string) string {
	if len(v) > 0 {
		return v[0]
	}
	return ""
}

// get is net/http's Header.get: the first value of a canonical key, without canonicalizing
// it again (the keys asked for are constants).
func get(h http.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (w *response) declareTrailer(k string) {
	k = http.CanonicalHeaderKey(k)
	if !httpguts.ValidTrailerHeader(k) {
		return
	}
	w.trailers = append(w.trailers, k)
}

// isProtocolSwitch is net/http's isProtocolSwitchResponse.
func isProtocolSwitch(status int, h http.Header) bool {
	return status == http.StatusSwitchingProtocols && get(h, "Upgrade") != "" &&
		httpguts.HeaderValuesContainsToken(h["Connection"], "Upgrade")
}

// skipSet is the few header names not to write, without a map.
type skipSet struct {
	names [6]string
	n     int
}

func (s *skipSet) add(k string) {
	if s.n < len(s.names) && !s.has(k) {
		s.names[s.n] = k
		s.n++
	}
}

func (s *skipSet) has(k string) bool {
	for _, n := range s.names[:s.n] {
		if n == k {
			return true
		}
	}
	return strings.HasPrefix(k, http.TrailerPrefix)
}

// extraHeader is what the server adds to the handler's header.
type extraHeader struct {
	contentType      string
	connection       string
	transferEncoding string
	date             []byte
	contentLength    int64 // -1: none
}

// append writes the fields in net/http's order (its extraHeader.Write).
func (e *extraHeader) append(b []byte) []byte {
	if e.date != nil {
		b = append(b, "Date: "...)
		b = append(b, e.date...)
		b = append(b, "\r\n"...)
	}
	if e.contentLength >= 0 {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, e.contentLength, 10)
		b = append(b, "\r\n"...)
	}
	if e.contentType != "" {
		b = appendField(b, "Content-Type", e.contentType)
	}
	if e.connection != "" {
		b = appendField(b, "Connection", e.connection)
	}
	if e.transferEncoding != "" {
		b = appendField(b, "Transfer-Encoding", e.transferEncoding)
	}
	return b
}

// appendHeader appends the fields (gather's) but those skip names, in the order of their
// names (as net/http's Header.Write does), dropping invalid names.
func appendHeader(b []byte, fields []httpsyntax.Field, skip *skipSet) []byte {
	httpsyntax.SortFields(fields)
	for _, f := range fields {
		if skip.has(f.Name) || !httpguts.ValidHeaderFieldName(f.Name) {
			continue
		}
		for _, v := range f.Values {
			b = appendField(b, f.Name, v)
		}
	}
	return b
}

// newlineToSpace is net/http's headerNewlineToSpace.
var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// appendField appends one header line. As net/http's Header.Write, line breaks in v become
// spaces (a value can never start a header of its own) and surrounding space is trimmed;
// values that need neither, nearly all, are copied as they are.
func appendField(b []byte, k, v string) []byte {
	if n := len(v); n > 0 && (isSpace(v[0]) || isSpace(v[n-1]) || strings.IndexByte(v, '\n') >= 0 || strings.IndexByte(v, '\r') >= 0) {
		v = textproto.TrimString(newlineToSpace.Replace(v))
	}
	b = append(b, k...)
	b = append(b, ": "...)
	b = append(b, v...)
	return append(b, "\r\n"...)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// statusLines holds the common status lines, written often, by code (an array: a map's
// lookup cost as much as writing the line).
var statusLines = func() (t [600]string) {
	for _, code := range []int{200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 408, 413, 415, 429, 500, 502, 503, 504} {
		t[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n"
	}
	return t
}()

// appendStatusLine is net/http's writeStatusLine.
func appendStatusLine(b []byte, is11 bool, code int) []byte {
	if is11 {
		if code >= 0 && code < len(statusLines) && statusLines[code] != "" {
			return append(b, statusLines[code]...)
		}
		b = append(b, "HTTP/1.1 "...)
	} else {
		b = append(b, "HTTP/1.0 "...)
	}
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	if text := http.StatusText(code); text != "" {
		b = append(b, text...)
	} else {
		b = append(b, "status code "...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	return append(b, "\r\n"...)
}

// date caches the Date header's value for the current second.
type date struct {
	unix int64
	text []byte
}

var cachedDate atomic.Pointer[date]

func httpDate() []byte {
	now := clock.Now()
	if d := cachedDate.Load(); d != nil && d.unix == now.Unix() {
		return d.text
	}
	d := &date{unix: now.Unix(), text: now.UTC().AppendFormat(nil, http.TimeFormat)}
	cachedDate.Store(d)
	return d.text
}
