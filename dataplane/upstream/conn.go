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
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/portico-dev/portico/internal/httpsyntax"
	"github.com/portico-dev/portico/internal/rawio"
	"github.com/portico-dev/portico/internal/reqend"
)

// aLongTimeAgo is a deadline in the past: setting it makes the connection's blocked reads and
// writes return at once.
var aLongTimeAgo = time.Unix(1, 0)

var errHeaderTimeout = errors.New("net/http: timeout awaiting response headers")

// persistConn is one upstream connection. It serves one request at a time, on the caller's
// goroutine; in the pool it is just memory.
type persistConn struct {
	pool   *pool
	conn   net.Conn
	rw     io.ReadWriter // conn's reads and writes: its socket's (rawio) when it is one
	rio    *rawio.Conn   // rw when it is the socket's: the request then goes with the first read
	cr     connReader
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool // taken from the pool: it may have been closed by the backend meanwhile

	idleSince time.Time
	// The connection's deadline and the current request's (deadline.go).
	armed, due time.Time
	early      bool        // armed comes before due
	startN     int64       // cr.n when the current request started
	stop       func() bool // stops the current request's context.AfterFunc
	// ends, when set, runs the current request's interrupt in place of stop (reqend):
	// the request's context, and the id its OnEnd gave.
	ends      context.Context
	endID     uint64
	interrupt func()      // made once: sets a past deadline, ending blocked reads and writes
	cancelled atomic.Bool // interrupt ran for the current request

	// The liveness check's (alive.go), made on the first reuse.
	raw    syscall.RawConn
	peek   func(fd uintptr) bool
	peeked bool

	// The room of the request's fields as they are written (write.go).
	fields []httpsyntax.Field
	// The response head's reader (head.go), kept for the next response.
	scan    headScan
	scratch []byte
}

func newPersistConn(p *pool, c net.Conn) *persistConn {
	pc := &persistConn{pool: p, conn: c}
	if r := rawio.New(c); r != nil {
		pc.rw, pc.rio = r, r
	} else {
		pc.rw = c
	}
	pc.cr = connReader{pc: pc, limit: math.MaxInt64}
	pc.br = bufio.NewReaderSize(&pc.cr, bufferSize)
	pc.bw = bufio.NewWriterSize(deadlineWriter{pc}, bufferSize)
	pc.interrupt = func() {
		pc.cancelled.Store(true)
		_ = pc.conn.SetDeadline(aLongTimeAgo)
	}
	return pc
}

// nothingReceived reports whether the current request got no byte of answer.
func (pc *persistConn) nothingReceived() bool {
	return pc.cr.n == pc.startN && pc.br.Buffered() == 0
}

// roundTrip writes req and reads its response's headers. On error the connection is closed.
func (pc *persistConn) roundTrip(req *http.Request, hints *Hints) (*http.Response, error) {
	ctx := req.Context()
	deadline, _ := ctx.Deadline()
	pc.setDeadline(deadline)
	pc.startN = pc.cr.n
	pc.cancelled.Store(false)
	pc.stop, pc.ends = nil, nil
	if id, ok := reqend.OnEnd(ctx, pc.interrupt); ok {
		// The server's request context runs the interrupt itself, allocating nothing.
		pc.ends, pc.endID = ctx, id
	} else if ctx.Done() != nil {
		pc.stop = context.AfterFunc(ctx, pc.interrupt)
	}

	pc.cr.pending = nil
	err := writeRequest(deadlineWriter{pc}, pc.bw, req, hints, &pc.fields)
	if err != nil {
		pc.bw.Reset(deadlineWriter{pc})
		pc.cr.pending = nil
		return nil, pc.fail(ctx, err)
	}
	if pc.cr.pending == nil {
		// Written already (net/http's writer, or no socket of our own): let the other
		// requests' goroutines run before reading the answer, which the backend is only
		// starting to work on. Under load it has usually arrived by the time this one runs
		// again, and the read takes it at once; reading first would find nothing (EAGAIN),
		// then park on the netpoller and read again: a system call and a park per request,
		// about a tenth of an HTTP_PROXY request's CPU at saturation (strace: 3.25 reads per
		// request before, 2.06 after). With nothing else to run, Gosched returns at once.
		//
		// At rest (no other request to the backend in flight: sendLater) the lean writer's
		// request instead goes out with the first read (connReader.Read,
		// rawio.Conn.SendThenRead), which parks on the netpoller right after the send: the
		// goroutine runs again when the answer is there, and no read finds nothing.
		runtime.Gosched()
	}

	headerDeadline := false
	if rht := pc.pool.t.opts.ResponseHeaderTimeout; rht > 0 {
		if d := pc.pool.t.opts.Now().Add(rht); deadline.IsZero() || d.Before(deadline) {
			_ = pc.conn.SetReadDeadline(d)
			pc.keepInterrupted()
			headerDeadline = true
		}
	}
	maxHeader := pc.pool.t.opts.MaxResponseHeaderBytes
	var r *response
	var f bodyFraming
	// One budget for the final response's headers and every 1xx before it, so that a
	// backend streaming 103s cannot hold the request until its deadline.
	pc.cr.limit = pc.cr.n + int64(pc.br.Buffered()) + maxHeader
	for {
		r, f, err = pc.readResponse(req, hints)
		if err != nil {
			switch {
			case pc.cr.n >= pc.cr.limit:
				err = fmt.Errorf("net/http: server response headers exceeded %d bytes; aborted", maxHeader)
			case headerDeadline && ctx.Err() == nil && isTimeout(err):
				err = errHeaderTimeout
			}
			return nil, pc.fail(ctx, err)
		}
		if r.res.StatusCode == http.StatusSwitchingProtocols {
			return nil, pc.fail(ctx, errUpgrade)
		}
		if r.res.StatusCode >= 100 && r.res.StatusCode < 200 {
			if err := got1xx(req, hints, &r.res); err != nil {
				return nil, pc.fail(ctx, err)
			}
			continue
		}
		break
	}
	pc.cr.limit = math.MaxInt64
	if headerDeadline {
		_ = pc.conn.SetReadDeadline(deadline)
	}

	// The time the head was read: the caller's end of the call (ReadAt), and the time the
	// connection goes idle when nothing of the answer is left to wait for.
	r.readAt, r.realClock = pc.pool.t.opts.Now(), pc.pool.t.realClock
	// A response that ends with the connection (no length, not chunked) or asks to close it
	// leaves nothing to reuse; so does a request that asked to close.
	res := &r.res
	reusable := !res.Close && !req.Close
	if f.length == 0 {
		r.fill()
		res.Body = http.NoBody
		pc.finish(reusable, r.readAt)
		return res, nil
	}
	r.body = body{owner: r, ctx: ctx, pc: pc, res: res, left: f.length, reusable: reusable}
	if f.length > 0 && int64(pc.br.Buffered()) >= f.length {
		r.body.doneAt = r.readAt
	}
	if f.chunked {
		r.body.chunks = newChunkedReader(pc.br)
	}
	res.Body = &r.body
	return res, nil
}

// fail closes the connection after a failed exchange and returns what the caller should see:
// the context's error when the request was cancelled or timed out, err otherwise.
func (pc *persistConn) fail(ctx context.Context, err error) error {
	pc.pool.inUse.Add(-1)
	pc.stopInterrupt()
	pc.close()
	return ctxError(ctx, err, pc.cancelled.Load())
}

// stopInterrupt stops the current request's interrupt, reporting false when it ran (or is
// running).
func (pc *persistConn) stopInterrupt() bool {
	stopped := true
	switch {
	case pc.ends != nil:
		stopped = reqend.StopOnEnd(pc.ends, pc.endID)
	case pc.stop != nil:
		stopped = pc.stop()
	}
	pc.stop, pc.ends = nil, nil
	return stopped
}

// ctxError returns the context's error in place of err when err comes from the context's
// end: its interrupt ran, or the connection's deadline (the context's) passed. The
// connection's deadline may pass a moment before the context's own timer fires: the caller
// then waits for it, so that it sees the deadline exceeded (a 504) rather than a failure.
func ctxError(ctx context.Context, err error, interrupted bool) error {
	if cerr := ctx.Err(); cerr != nil && (interrupted || isTimeout(err)) {
		return cerr
	}
	if d, ok := ctx.Deadline(); ok && isTimeout(err) && !time.Now().Before(d) {
		if ctx.Err() == nil {
			<-ctx.Done() // a context whose Err turns at the deadline (EnforcesDeadline's) waits for nothing
		}
		return ctx.Err()
	}
	return err
}

// finish ends the current exchange: the connection returns to the pool when reuse is true
// and it is clean, and is closed otherwise. now is the time, or zero to read the clock.
func (pc *persistConn) finish(reuse bool, now time.Time) {
	pc.pool.inUse.Add(-1)
	if !pc.stopInterrupt() {
		// The context's interrupt ran (or is running): the deadline it set may land after
		// the next request set its own.
		reuse = false
	}
	// Bytes past the end of the response are not an answer to anything sent: a backend
	// answering twice, or a response smuggled into the next one. net/http closes such a
	// connection too.
	if !reuse || pc.br.Buffered() > 0 {
		pc.close()
		return
	}
	pc.pool.put(pc, now)
}

func (pc *persistConn) close() { _ = pc.conn.Close() }

// Close closes the connection.
func (pc *persistConn) Close() error { return pc.conn.Close() }

// connReader counts what is read from the connection and stops at limit, which bounds the
// response's headers. Its first read of an answer sends the request kept for it (pending).
type connReader struct {
	pc    *persistConn
	n     int64
	limit int64
	// pending is the request the lean writer left to send with the first read (sendLater).
	pending []byte
}

func (r *connReader) Read(p []byte) (int, error) {
	left := r.limit - r.n
	if left <= 0 {
		return 0, errors.New("upstream: response headers too large")
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	for {
		var n int
		var err error
		if r.pending != nil {
			n, err = r.sendThenRead(p)
		} else {
			n, err = r.pc.rw.Read(p)
		}
		r.n += int64(n)
		if err == nil || n > 0 || !r.pc.rearm(err) {
			return n, err
		}
	}
}

// sendThenRead sends the pending request and reads the first of its answer, in one wait
// (rawio.Conn.SendThenRead). What the socket's buffer could not take is written as any
// request is, and read for after.
func (r *connReader) sendThenRead(p []byte) (int, error) {
	sent, n, err := r.pc.rio.SendThenRead(r.pending, p)
	r.pending = r.pending[sent:]
	if len(r.pending) == 0 {
		r.pending = nil
	}
	if err != nil || r.pending == nil {
		// A failed send keeps what is left: the connection is closed after it (fail), and
		// a kept deadline's early timeout (rearm) sends the rest on the next turn.
		return n, err
	}
	rest := r.pending
	r.pending = nil
	if _, err := (deadlineWriter{r.pc}).Write(rest); err != nil {
		return 0, err
	}
	return r.pc.rw.Read(p)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
