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

package edge

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/internal/clock"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

// ErrorTypeRequestTimeout names the 408 on x-portico-error-type. It is the edge's answer,
// not one of the API's gateway responses, so gatewayResponses do not override it (as for
// net/http's own 431).
const ErrorTypeRequestTimeout = "REQUEST_TIMEOUT"

// requestTimeoutBody is the 408's body, in the gateway responses' shape.
const requestTimeoutBody = `{"message":"Request Timeout"}`

// ErrSlowBody is returned (wrapped, with os.ErrDeadlineExceeded) by the body of a request
// whose client sent it slower than the limits allow.
var ErrSlowBody = errors.New("request body arrived too slowly")

// Handler returns next behind the body and write limits of l. Requests whose body arrives
// too slowly get 408 Request Timeout, when no answer has been started yet, and their
// connection is closed.
func Handler(next http.Handler, l Limits) http.Handler {
	h := &handler{next: next, bodyTimeout: l.BodyTimeout, writeTimeout: l.WriteTimeout}
	if l.MinBodyRate > 0 {
		h.perByte = time.Second / time.Duration(l.MinBodyRate)
		if h.perByte == 0 {
			h.perByte = 1
		}
	}
	if h.bodyTimeout == 0 && h.writeTimeout == 0 {
		return next
	}
	return h
}

type handler struct {
	next         http.Handler
	bodyTimeout  time.Duration
	perByte      time.Duration // how much waiting each byte received earns; 0: no rate
	writeTimeout time.Duration
}

// writeDeadliner is a ResponseWriter that tells the connection's write deadline (package
// h1's).
type writeDeadliner interface{ WriteDeadline() time.Time }

// writers are pooled: one allocation less per request. Bodies are not: a transport may
// still read a request body after the handler returned.
var writers = sync.Pool{New: func() any { return new(writer) }}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ew := writers.Get().(*writer)
	*ew = writer{} // cleared in place: a literal was built on the stack and copied over
	ew.w, ew.rc, ew.timeout, ew.lazy = w, *http.NewResponseController(w), h.writeTimeout, r.ProtoMajor == 1
	if wd, ok := w.(writeDeadliner); ok && ew.lazy {
		// The connection's deadline, which the last response left set: arm extends it only
		// when it must. (The server clears it itself before writes this writer does not
		// see.)
		ew.deadline = wd.WriteDeadline()
	} else if h.writeTimeout > 0 && r.ProtoMajor == 1 && (r.Header["Expect"] != nil || r.Header["Upgrade"] != nil) {
		// The last request on this connection left a write deadline (below, and arm): the
		// writes this writer does not see, net/http's 100 Continue and those on a hijacked
		// connection, must not inherit it. Every other write re-arms it (arm).
		_ = ew.rc.SetWriteDeadline(time.Time{})
	}
	var b *body
	if h.bodyTimeout > 0 && r.Body != nil && r.Body != http.NoBody {
		b = &body{body: r.Body, rc: http.NewResponseController(w), grace: h.bodyTimeout, perByte: h.perByte}
		ew.body = b
		// A copy: net/http's own request keeps its body, which it inspects after the
		// handler to decide whether to read the rest or close the connection.
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = b
		r = r2
		// Bound the body even if the handler never reads it: net/http then reads up to
		// 256 KiB of it after the handler returns, with no deadline of its own.
		_ = ew.rc.SetReadDeadline(clock.Now().Add(h.bodyTimeout))
	}
	defer func() {
		ew.finish()
		if b != nil {
			b.detach()
		}
		if h.writeTimeout > 0 && r.ProtoMajor == 1 {
			// net/http flushes what is buffered after the handler returns: bound that too,
			// after the unread body it may read first (under the body's deadline). HTTP/2
			// writes from its own goroutine, and would reset a stream whose deadline passes
			// after it ended.
			d := h.writeTimeout
			if b != nil {
				d += h.bodyTimeout
			}
			if time.Until(ew.deadline) < d {
				_ = ew.rc.SetWriteDeadline(clock.Now().Add(d + d/4)) // a quarter more, as arm
			}
		}
		*ew = writer{}
		writers.Put(ew)
	}()
	h.next.ServeHTTP(ew, r)
}

// body enforces the body limits on a request body. The client may make the reader wait, in
// all, BodyTimeout plus one second for each MinBodyRate bytes it sent, and never more than
// BodyTimeout at once. Only time spent waiting in Read counts: a handler reading slowly
// because its backend is slow does not use up the client's allowance.
type body struct {
	body     io.ReadCloser
	rc       *http.ResponseController
	grace    time.Duration
	perByte  time.Duration
	received int64
	waited   time.Duration
	err      error
	timedOut atomic.Bool // read by the handler's goroutine; Read may run on the transport's

	// mu guards detached: once the handler returned, the connection may serve the next
	// request, whose deadlines are not this body's to set.
	mu       sync.Mutex
	detached bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	allowed := b.grace
	if b.perByte > 0 && b.waited/b.perByte >= time.Duration(b.received) {
		// Spent more than the bytes earned (checked by division, which cannot overflow).
		allowed = b.grace + time.Duration(b.received)*b.perByte - b.waited
	}
	if allowed <= 0 {
		return 0, b.fail(nil)
	}
	start := clock.Now()
	if !b.deadline(start.Add(allowed)) {
		return b.body.Read(p)
	}
	n, err := b.body.Read(p)
	b.waited += time.Since(start)
	b.received += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		// net/http starts reading the connection in the background once the body ends,
		// to notice a client that goes away; under a deadline that read would cancel the
		// request when it passes.
		b.deadline(time.Time{})
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		err = b.fail(err)
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// deadline sets the read deadline unless the handler returned, reporting whether it did.
func (b *body) deadline(t time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.detached {
		return false
	}
	_ = b.rc.SetReadDeadline(t)
	return true
}

func (b *body) detach() {
	b.mu.Lock()
	b.detached = true
	b.mu.Unlock()
}

func (b *body) fail(cause error) error {
	b.timedOut.Store(true)
	if cause == nil {
		cause = os.ErrDeadlineExceeded
	}
	b.err = fmt.Errorf("%w (%d bytes in %s): %w", ErrSlowBody, b.received, b.waited.Round(time.Millisecond), cause)
	return b.err
}

func (b *body) Close() error { return b.body.Close() }

// writer bounds each write with WriteTimeout, and answers 408 in place of whatever the
// handler answers once the body timed out (the request path sees a failed read, a cancelled
// request, and would answer 499 or 502).
type writer struct {
	w           http.ResponseWriter
	rc          http.ResponseController
	body        *body // nil without a body limit
	timeout     time.Duration
	lazy        bool      // HTTP/1.x: the write deadline stays set between writes (arm)
	deadline    time.Time // the write deadline arm last set, when lazy
	wroteHeader bool
	replaced    bool // the 408 went out instead of the handler's answer
}

func (w *writer) Header() http.Header { return w.w.Header() }

// ForwardFields is the wrapped writer's (httpsyntax.FieldForwarder). replace drops what the
// handler put there, with the rest of its header.
func (w *writer) ForwardFields() *[]httpsyntax.Field {
	if f, ok := w.w.(httpsyntax.FieldForwarder); ok && !w.wroteHeader {
		return f.ForwardFields()
	}
	return nil
}

// SetID is the wrapped writer's (httpsyntax.IDSetter): replace keeps the field, as it keeps
// a request id in the header map.
func (w *writer) SetID(name, value string) bool {
	s, ok := w.w.(httpsyntax.IDSetter)
	return ok && !w.wroteHeader && s.SetID(name, value)
}

func (w *writer) WriteHeader(code int) {
	if w.wroteHeader || w.replace() {
		return
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.w.WriteHeader(code) // informational: the real answer follows
		return
	}
	w.wroteHeader = true
	w.w.WriteHeader(code)
}

func (w *writer) Write(p []byte) (int, error) {
	if w.replaced || (!w.wroteHeader && w.replace()) {
		return len(p), nil
	}
	w.wroteHeader = true
	w.arm()
	n, err := w.w.Write(p)
	w.disarm()
	return n, err
}

// FlushError is what http.ResponseController.Flush calls.
func (w *writer) FlushError() error {
	if w.replaced {
		return nil
	}
	w.wroteHeader = true
	w.arm()
	err := w.rc.Flush()
	w.disarm()
	return err
}

// Flush is http.Flusher's.
func (w *writer) Flush() { _ = w.FlushError() }

// RequestTimedOut reports whether the client's body timed out, so that the client gets (or
// will get) 408 whatever the handler answers: the proxy's access log and metrics read it, to
// record what the client saw.
func (w *writer) RequestTimedOut() bool {
	return w.body != nil && w.body.timedOut.Load() && (w.replaced || !w.wroteHeader)
}

// Unwrap lets http.ResponseController reach the connection (deadlines, hijacking).
func (w *writer) Unwrap() http.ResponseWriter { return w.w }

// arm sets the write deadline for one write: between writes a response may stay silent
// for as long as its backend is.
//
// On HTTP/2 the deadline is cleared after each write (disarm), as a stream whose deadline
// passes is reset even while idle. On HTTP/1.x a deadline that passes between writes stops
// nothing, as nothing writes to the connection meanwhile; so it stays set, and a write sets
// it again only when less than the timeout is left, a quarter more than the timeout ahead.
// Each write still gets at least the timeout (and at most a quarter more), and setting a
// deadline, a timer update in the runtime, is paid about once per response instead of
// twice per write.
func (w *writer) arm() {
	if w.timeout <= 0 {
		return
	}
	if !w.lazy {
		_ = w.rc.SetWriteDeadline(clock.Now().Add(w.timeout))
		return
	}
	// time.Until reads only the monotonic clock, for a deadline that has its reading.
	if time.Until(w.deadline) < w.timeout {
		w.deadline = clock.Now().Add(w.timeout + w.timeout/4)
		_ = w.rc.SetWriteDeadline(w.deadline)
	}
}

func (w *writer) disarm() {
	if w.timeout > 0 && !w.lazy {
		_ = w.rc.SetWriteDeadline(time.Time{})
	}
}

// replace answers 408 if the body timed out, reporting whether it did.
func (w *writer) replace() bool {
	if w.body == nil || !w.body.timedOut.Load() {
		return false
	}
	h := w.w.Header()
	id := h.Get(gatewayresponse.HeaderRequestID)
	clear(h)
	if l := w.ForwardFields(); l != nil {
		*l = (*l)[:0]
	}
	if id != "" {
		h.Set(gatewayresponse.HeaderRequestID, id)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(requestTimeoutBody)))
	h.Set(gatewayresponse.HeaderErrorType, ErrorTypeRequestTimeout)
	// The connection cannot carry another request: the rest of the body is still coming.
	h.Set("Connection", "close")
	w.wroteHeader, w.replaced = true, true
	w.w.WriteHeader(http.StatusRequestTimeout)
	w.arm()
	_, _ = io.WriteString(w.w, requestTimeoutBody)
	w.disarm()
	return true
}

// finish answers 408 if the body timed out and the handler answered nothing.
func (w *writer) finish() {
	if !w.wroteHeader {
		w.replace()
	}
}
