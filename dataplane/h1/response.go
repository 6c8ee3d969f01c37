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
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// bufferBeforeChunking is how much of a body is held before the header is committed: a
// response that ends within it gets a Content-Length, a longer one is chunked. net/http's.
const bufferBeforeChunking = 2048

var timeZero time.Time

// response is the http.ResponseWriter of one request.
type response struct {
	c    *conn
	req  *http.Request
	body *body // nil without a request body

	header   http.Header // the handler's
	sent     http.Header // the header to commit, when snapshotted after WriteHeader
	status   int
	trailers []string // declared in a Trailer header

	wroteHeader   bool // WriteHeader (or the first Write) ran
	committed     bool // the status line and header are in the connection's buffer
	handlerDone   bool
	chunking      bool
	contentLength int64 // declared or computed; -1 unknown
	written       int64
	fullDuplex    bool

	wantsClose       bool
	wants10KeepAlive bool
	closeAfterReply  bool
	bodyLimitHit     bool // the body left unread was too long to read: close after

	// 100 Continue is written by the body's reader, which may be another goroutine than
	// the handler's, until the handler's WriteHeader disables it.
	canContinue atomic.Bool
	continueMu  sync.Mutex

	pending []byte // body bytes not yet framed; up to bufferBeforeChunking (the conn's wbuf)

	// forwarded are the fields a proxy passes on as they are (ForwardFields), written
	// after the header's; the list's room serves the connection's next responses.
	forwarded []httpsyntax.Field
	// idName and idValue are the field SetID gave, written after the header's unless the
	// header names it.
	idName, idValue string
}

var (
	_ httpsyntax.FieldForwarder = (*response)(nil)
	_ httpsyntax.IDSetter       = (*response)(nil)
)

// SetID is httpsyntax.IDSetter's. name is canonical; name and value are valid.
func (w *response) SetID(name, value string) bool {
	if w.wroteHeader {
		return false
	}
	w.idName, w.idValue = name, value
	return true
}

// appendID appends the SetID field unless the header has it (gathered).
func (w *response) appendID(b []byte, gathered bool) []byte {
	if w.idName == "" || gathered {
		return b
	}
	b = append(b, w.idName...)
	b = append(b, ": "...)
	b = append(b, w.idValue...)
	return append(b, "\r\n"...)
}

// ForwardFields is httpsyntax.FieldForwarder's: the list commit writes after the header's
// fields, or nil once WriteHeader ran.
func (w *response) ForwardFields() *[]httpsyntax.Field {
	if w.wroteHeader {
		return nil
	}
	return &w.forwarded
}

func (w *response) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header, 8)
	}
	if w.wroteHeader && !w.committed && w.sent == nil {
		// Changes after WriteHeader do not reach the client (but trailers declared).
		w.sent = w.header.Clone()
	}
	return w.header
}

// sendContinue writes 100 Continue unless it was written or the answer began. The flag is
// cleared after the write, as net/http does: a WriteHeader meanwhile sees it set, and waits
// on the lock for the write to end before the handler writes to the same buffer.
func (w *response) sendContinue() {
	if !w.canContinue.Load() {
		return
	}
	w.continueMu.Lock()
	defer w.continueMu.Unlock()
	if w.canContinue.Load() {
		_, _ = w.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		_ = w.c.bw.Flush()
		w.canContinue.Store(false)
	}
}

func (w *response) disableContinue() {
	if w.canContinue.Load() {
		w.continueMu.Lock()
		w.canContinue.Store(false)
		w.continueMu.Unlock()
	}
}

func (w *response) WriteHeader(code int) {
	if w.c.hijacked.Load() {
		w.c.srv.logf("h1: response.WriteHeader on hijacked connection")
		return
	}
	if w.wroteHeader {
		w.c.srv.logf("h1: superfluous response.WriteHeader call")
		return
	}
	if code < 100 || code > 999 {
		// net/http's checkWriteHeaderCode: a programming error, which the panic reports.
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 101 || code > 199 {
		w.disableContinue()
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// Informational: written at once, the final answer follows.
		var skip skipSet
		skip.add("Content-Length")
		skip.add("Transfer-Encoding")
		w.continueMu.Lock()
		bw := w.c.bw
		b := appendStatusLine(bw.AvailableBuffer(), w.req.ProtoAtLeast(1, 1), code)
		var stack [16]httpsyntax.Field
		f := gather(w.header, stack[:0], w.idName)
		b = appendHeader(b, f.fields, &skip)
		b = w.appendID(b, f.hasID)
		_, _ = bw.Write(append(b, "\r\n"...))
		_ = bw.Flush()
		w.continueMu.Unlock()
		return
	}
	w.wroteHeader = true
	w.status = code
	if cl := get(w.header, "Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.c.srv.logf("h1: invalid Content-Length of %q", cl)
			w.header.Del("Content-Length")
		}
	} else if v, ok := forwardedLength(w.forwarded); ok {
		w.contentLength = v
	}
}

// forwardedLength is the Content-Length among the forwarded fields, which a proxy checked
// when it read its backend's answer (httpsyntax.FieldForwarder).
func forwardedLength(forwarded []httpsyntax.Field) (int64, bool) {
	for _, f := range forwarded {
		if f.Name == "Content-Length" {
			v, err := strconv.ParseInt(first(f.Values), 10, 64)
			return v, err == nil && v >= 0
		}
	}
	return 0, false
}

func (w *response) Write(p []byte) (int, error) {
	if w.c.hijacked.Load() {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	if len(w.pending)+len(p) <= cap(w.pending) {
		w.pending = append(w.pending, p...)
		return len(p), nil
	}
	if !w.committed {
		// The Content-Type is sniffed from the body's first bytes, p's among them, as in
		// net/http, whose buffer passes on its fill with p's first part, or p itself.
		w.commit(append(w.pending, p[:cap(w.pending)-len(w.pending)]...))
	}
	if err := w.flushPending(); err != nil {
		return 0, err
	}
	if len(p) < cap(w.pending) {
		w.pending = append(w.pending, p...)
		return len(p), nil
	}
	if err := w.frame(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteString spares a handler writing a string the conversion.
func (w *response) WriteString(s string) (int, error) {
	if !w.wroteHeader && !w.c.hijacked.Load() {
		w.WriteHeader(http.StatusOK)
	}
	if len(s) > 0 && len(w.pending)+len(s) <= cap(w.pending) && !w.c.hijacked.Load() && bodyAllowedForStatus(w.status) &&
		(w.contentLength == -1 || w.written+int64(len(s)) <= w.contentLength) {
		w.written += int64(len(s))
		w.pending = append(w.pending, s...)
		return len(s), nil
	}
	return w.Write([]byte(s))
}

// flushPending frames what is pending, committing the header first.
func (w *response) flushPending() error {
	if !w.committed {
		w.commit(w.pending)
	}
	if len(w.pending) == 0 {
		return w.c.werr
	}
	err := w.frame(w.pending)
	w.pending = w.pending[:0]
	return err
}

// frame writes p as the body's next bytes: a chunk, or as they are.
func (w *response) frame(p []byte) error {
	bw := w.c.bw
	switch {
	case w.req.Method == http.MethodHead:
	case w.chunking:
		var hex [16]byte
		_, _ = bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
		_, _ = bw.WriteString("\r\n")
		_, _ = bw.Write(p)
		_, _ = bw.WriteString("\r\n")
	default:
		_, _ = bw.Write(p)
	}
	return w.c.werr
}

// FlushError sends what is buffered to the client.
func (w *response) FlushError() error {
	if w.c.hijacked.Load() {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if err := w.flushPending(); err != nil {
		return err
	}
	return w.c.bw.Flush()
}

func (w *response) Flush() { _ = w.FlushError() }

// Hijack hands the connection over (WebSocket upgrades). A header written is sent first.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c := w.c
	if w.handlerDone {
		panic("h1: Hijack called after ServeHTTP finished")
	}
	if c.hijacked.Load() {
		return nil, nil, http.ErrHijacked
	}
	w.disableContinue()
	if w.wroteHeader {
		_ = w.flushPending()
	} else if w.idName != "" && w.header[w.idName] == nil {
		// Whoever hijacks writes the answer, from the header map (ReverseProxy's 101 does):
		// the SetID field goes in it.
		w.Header()[w.idName] = []string{w.idValue}
	}
	c.r.leave()
	if err := c.bw.Flush(); err != nil {
		return nil, nil, err
	}
	c.hijacked.Store(true)
	c.srv.remove(c) // no longer the server's to close
	c.changeState(http.StateHijacked)
	_ = c.rwc.SetDeadline(timeZero)
	c.r.dl.Store(0)
	c.wdl = timeZero
	// The reader is the connection's from now on: what it buffered is the hijacker's.
	c.r.noLimit()
	rw := bufio.NewReadWriter(c.br, bufio.NewWriter(c.rwc))
	c.br, c.bw = nil, nil
	return c.rwc, rw, nil
}

// SetReadDeadline, SetWriteDeadline and EnableFullDuplex are http.ResponseController's.
func (w *response) SetReadDeadline(t time.Time) error { return w.c.r.setDeadline(t) }

func (w *response) SetWriteDeadline(t time.Time) error {
	return w.c.setWriteDeadline(t)
}

// WriteDeadline is the connection's write deadline (zero: none). The last response's is
// left set, for a writer that keeps a deadline ahead of its writes (edge's) to extend when
// it must rather than set for each response.
func (w *response) WriteDeadline() time.Time { return w.c.wdl }

func (w *response) EnableFullDuplex() error {
	w.fullDuplex = true
	return nil
}

// finish ends the response after the handler returned.
func (w *response) finish() {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = w.flushPending()
	if w.chunking {
		bw := w.c.bw
		_, _ = bw.WriteString("0\r\n")
		if t := w.finalTrailers(); t != nil {
			_ = t.Write(bw)
		}
		_, _ = bw.WriteString("\r\n")
	}
	_ = w.c.bw.Flush()
}

// finalTrailers is net/http's: the declared trailers, and those set with http.TrailerPrefix.
func (w *response) finalTrailers() http.Header {
	var t http.Header
	for k, vv := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if t == nil {
				t = make(http.Header)
			}
			t[name] = vv
		}
	}
	for _, k := range w.trailers {
		if t == nil {
			t = make(http.Header)
		}
		for _, v := range w.header[k] {
			t.Add(k, v)
		}
	}
	return t
}

func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199:
		return false
	case status == http.StatusNoContent, status == http.StatusNotModified:
		return false
	}
	return true
}
