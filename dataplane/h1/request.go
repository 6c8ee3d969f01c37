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
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/internal/clock"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

// serveOne runs the handler for req and finishes its response, reporting whether the
// connection may carry another request.
// now is about when the request's first byte came, or for a connection's first request when
// the connection came; arrived is when its first byte came (Received).
func (c *conn) serveOne(ctx context.Context, req *http.Request, raw rawHead, alloc *requestAlloc, now, arrived time.Time) bool {
	var expect []string // looked up once: three checks below read it
	if raw.mayHave(keyExpect) {
		expect = req.Header["Expect"]
	}
	if !c.wdl.IsZero() && (now.After(c.wdl) || expect != nil || raw.mayHave(keyUpgrade) && req.Header["Upgrade"] != nil) {
		// The last response's write deadline (left for this one's to extend) has passed,
		// or the server may write on its own: a 417 or 100 Continue, or the handler on a
		// hijacked connection.
		_ = c.setWriteDeadline(timeZero)
	}
	rctx := c.spareCtx
	if rctx != nil {
		c.spareCtx = nil
		rctx.init(ctx)
	} else {
		rctx = newRequestContext(ctx)
	}
	rctx.head = raw
	rctx.received = arrived
	c.rctx = rctx
	defer func() {
		rctx.cancel()
		c.rctx = nil
	}()
	*req = *req.WithContext(rctx) // req is this server's own; inlined, the copy stays on the stack
	req.RemoteAddr = c.remoteAddr

	w := &c.w
	forwarded := w.forwarded[:0] // cleared when the last response ended
	// Cleared in place, then set: a literal was built on the stack and copied over.
	*w = response{}
	w.c, w.req, w.header, w.contentLength, w.status, w.pending, w.forwarded = c, req, c.respHeader, -1, http.StatusOK, c.wbuf[:0], forwarded
	w.wantsClose = req.Close
	w.wants10KeepAlive = !req.ProtoAtLeast(1, 1) && httpguts.HeaderValuesContainsToken(req.Header["Connection"], "keep-alive")
	if isH2Upgrade(req) {
		w.closeAfterReply = true
	}
	var b *body
	if req.Body != nil && req.Body != http.NoBody {
		b = &body{rc: req.Body, w: w, rctx: rctx, length: req.ContentLength,
			chunked: req.ContentLength < 0, closing: req.Close}
		req.Body = b
	}
	// Expect: net/http's rules.
	if httpguts.HeaderValuesContainsToken(expect, "100-continue") {
		if req.ProtoAtLeast(1, 1) && req.ContentLength != 0 && b != nil {
			b.expect = true
			w.canContinue.Store(true)
		}
	} else if len(expect) > 0 && expect[0] != "" {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusExpectationFailed)
		w.finish()
		return false
	}
	w.body = b
	c.body = b
	if b == nil && c.br.Buffered() == 0 {
		c.r.armWatch(rctx, now)
	}

	c.srv.Handler.ServeHTTP(w, req)
	// The request is over for whatever it started (net/http cancels here too): a transport
	// still sending the body stops, rather than hold the body's lock below.
	rctx.cancel()
	if c.hijacked.Load() {
		return false
	}
	w.finish()
	if b != nil {
		// Read what the handler left of the body (at most maxPostHandlerReadBytes), so
		// that the connection can read the next request; from here on the body is the
		// server's, and a late reader (a transport still sending it) finds it closed.
		_ = b.Close()
		c.body = nil
	}
	c.r.stopWatch()
	// Whether the connection goes on is read before the request's memory is cleared for the
	// next one; nothing of a backend's answer is held past its response.
	keep := w.reusable()
	w.forwarded = httpsyntax.ReusableFields(w.forwarded)
	if rctx.kept.Load() {
		// The handler keeps the request past its end (KeepRequest): nothing of it is reused.
		c.reqHeader, c.respHeader = nil, nil
	} else {
		c.keepHeaders(req.Header, w.header)
		if rctx.reusable() {
			c.spareCtx = rctx
		}
		if alloc != nil {
			*alloc = requestAlloc{}
			c.spare = alloc
		}
	}
	if !keep && (w.bodyLimitHit || (b != nil && b.earlyClose)) {
		// The client may still be sending the body: a close would reset the connection
		// and may lose the answer.
		c.closeWriteAndWait()
	}
	return keep
}

// keepHeaders keeps the request's and the response's header maps, cleared, for the next
// request on the connection, once the handler returned and the response was written.
func (c *conn) keepHeaders(req, resp http.Header) {
	c.reqHeader, c.respHeader = httpsyntax.Reusable(req), httpsyntax.Reusable(resp)
}

// reusable is net/http's shouldReuseConnection; and a body whose framing was lost (a read
// failed) ends the connection, where net/http would read on.
func (w *response) reusable() bool {
	if w.closeAfterReply || w.c.werr != nil {
		return false
	}
	if w.req.Method != http.MethodHead && w.contentLength != -1 && bodyAllowedForStatus(w.status) && w.contentLength != w.written {
		return false // the handler wrote less than it declared: the client waits for the rest
	}
	if b := w.body; b != nil && (b.earlyClose || b.failed || !b.eof.Load()) {
		return false
	}
	return true
}

// body is a request's body: it sends 100 Continue when first read (if the client asked),
// starts watching the client once read to its end, and keeps what the connection needs
// to know to read the next request: net/http's body and expectContinueReader in one.
//
// It may be read from another goroutine than the handler's (a transport sending it to a
// backend), even after the handler returned: mu serializes the reads, and Close (the
// server's, once the handler returned) makes later ones fail, as net/http's body does.
type body struct {
	rc      io.ReadCloser
	w       *response
	rctx    *requestContext
	length  int64 // the declared length; -1 chunked
	chunked bool
	closing bool // the request asked to close the connection: no need to read the rest
	expect  bool // the client waits for 100 Continue before sending the body

	mu         sync.Mutex
	read       int64
	eof        atomic.Bool // also read by the handler's goroutine as the header is written
	closed     bool
	failed     bool // a read failed: the framing is lost
	earlyClose bool // closed with more left than worth reading
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.expect {
		b.w.sendContinue()
	}
	wasEOF := b.eof.Load()
	n, err := b.readLocked(p)
	if !wasEOF && b.eof.Load() && !b.w.c.hijacked.Load() && b.w.c.br.Buffered() == 0 {
		// The body is read: the connection is quiet until the next request, and a read
		// now notices a client that leaves.
		b.w.c.r.armWatch(b.rctx, clock.Now())
	}
	return n, err
}

// readLocked reads from the body, keeping its state.
func (b *body) readLocked(p []byte) (int, error) {
	if b.eof.Load() {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	b.read += int64(n)
	if err == io.EOF { // returned unwrapped, by contract
		b.eof.Store(true)
	} else if err != nil {
		b.failed = true
	}
	return n, err
}

// Close is net/http's body.Close on a server: what is left of the body is read, up to
// maxPostHandlerReadBytes, to keep the connection; a longer rest is not read, and the
// connection is closed after the answer.
func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	switch {
	case b.eof.Load(), b.failed:
	case !b.chunked && b.closing:
		// The connection closes after this request anyway.
	case b.expect && b.read == 0:
		// The client may wait for a 100 Continue that never came, and never send the
		// body: the connection closes after the answer (see commit).
	case !b.chunked && b.length-b.read > maxPostHandlerReadBytes:
		b.earlyClose = true
	default:
		n, err := io.CopyN(io.Discard, lockedBody{b}, maxPostHandlerReadBytes)
		if n == maxPostHandlerReadBytes && !b.eof.Load() {
			b.earlyClose = true
		}
		if err != nil && err != io.EOF { //nolint:errorlint // io.EOF is returned unwrapped by contract
			return err
		}
	}
	return nil
}

// abandon closes the body without reading it: the connection is closed.
func (b *body) abandon() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// beforeReply is net/http's rule as a response's header is written: a client that may send
// its whole request before reading the answer must not be left stuck writing the body, so
// what the handler did not read is read first, up to maxPostHandlerReadBytes. It reports
// that the rest is too long (the connection closes after the answer) or that the
// connection cannot be reused.
func (b *body) beforeReply() (tooBig, closeAfter bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.expect:
		// Only reached once the body was read to its end (see commit).
		return false, false
	case b.closed:
		return false, !b.eof.Load()
	case !b.chunked && b.length-b.read >= maxPostHandlerReadBytes:
		return true, false
	}
	_, err := io.CopyN(io.Discard, lockedBody{b}, maxPostHandlerReadBytes+1)
	if err == nil {
		return true, false // there is more still
	}
	return false, !b.eof.Load() // a failed read: the framing is lost

}

// lockedBody reads a body whose mu is held.
type lockedBody struct{ b *body }

func (l lockedBody) Read(p []byte) (int, error) { return l.b.readLocked(p) }
