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
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/internal/clock"
	"github.com/portico-dev/portico/internal/httpsyntax"
	"github.com/portico-dev/portico/internal/rawio"
)

const (
	// bufSize is each connection's read and write buffer, as net/http's.
	bufSize = 4 << 10
	// maxPostHandlerReadBytes is how much of a body the handler left unread is read and
	// dropped to keep the connection; more, and the connection is closed (net/http's rule).
	maxPostHandlerReadBytes = 256 << 10
	// rstAvoidanceDelay lets a client read an error answer before the connection closes
	// (a close with unread input resets the connection and may drop what was sent).
	rstAvoidanceDelay = 500 * time.Millisecond
	// http2Preface opens an HTTP/2 connection with prior knowledge.
	http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
)

var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufSize) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufSize) }}
)

// conn is one client connection.
type conn struct {
	srv        *Server
	rwc        net.Conn
	remoteAddr string
	r          connReader
	br         *bufio.Reader
	bw         *bufio.Writer
	werr       error           // the first write error: the connection is done
	rctx       *requestContext // the request's: a failed write ends it, as in net/http
	// reqHeader and respHeader are the header maps of the connection's last request and
	// response, kept (serveOne) to be cleared and filled again by the next ones: two maps
	// fewer to allocate per request. A handler must not use either once it returned, as
	// net/http's ResponseWriter contract says; none of Portico's does.
	reqHeader, respHeader http.Header
	// spare is the memory of the last request (its http.Request, URL and values), cleared,
	// for the next one: kept like the header maps, unless the handler kept the request
	// (KeepRequest).
	spare *requestAlloc
	// spareCtx is the last request's context, when it may serve the next one
	// (requestContext.reusable).
	spareCtx *requestContext
	// fields is the room of the handler's fields as a response is committed.
	fields   []httpsyntax.Field
	body     *body         // the request's body wrapper, nil without one
	hijacked atomic.Bool   // read by a body's reader, which may be another goroutine
	state    atomic.Uint64 // http.ConnState in the low byte, the unix second it began above
	lastPOST bool
	// wdl is the write deadline set (zero: none). The one a response leaves stays set, for
	// the next response to extend rather than set again (edge's writer, by WriteDeadline);
	// it is cleared before the server's own writes (a 400 for the next request, a 100
	// Continue, a hijacked connection's) and once it has passed (serveOne).
	wdl time.Time

	// The response is the connection's, reset for each request: one allocation less per
	// request. Nothing of it outlives the request (net/http forbids using a ResponseWriter
	// after ServeHTTP returns); a body read late finds its wrapper closed first.
	w    response
	wbuf [bufferBeforeChunking]byte
}

func newConn(s *Server, rwc net.Conn) *conn {
	c := &conn{srv: s, rwc: rwc, remoteAddr: rwc.RemoteAddr().String()}
	c.r.rwc = rwc
	c.r.rw = rawio.ReadWriter(rwc)
	c.r.idleWait = c.r.setIdle
	c.r.list = &s.watches
	c.r.noLimit()
	c.setState(http.StateNew)
	return c
}

// setState keeps the connection's state, and for a new one the second it began (closeIdle
// reads it; no other state's is read).
func (c *conn) setState(st http.ConnState) {
	var sec int64
	if st == http.StateNew {
		sec = time.Now().Unix() // as closeIdle reads it
	}
	c.state.Store(uint64(sec)<<8 | uint64(st))
}

func (c *conn) getState() (http.ConnState, int64) {
	v := c.state.Load()
	return http.ConnState(v & 0xff), int64(v >> 8)
}

func (c *conn) changeState(st http.ConnState) {
	c.setState(st)
	c.srv.setState(c.rwc, st)
}

// Write is the bufio.Writer's destination: it keeps the first error and ends the request,
// whose client can no longer be answered.
func (c *conn) Write(p []byte) (int, error) {
	n, err := c.r.rw.Write(p)
	if err != nil && c.werr == nil {
		c.werr = err
		if c.rctx != nil {
			c.rctx.cancel()
		}
	}
	return n, err
}

// setWriteDeadline sets the connection's write deadline, unless it is the one set.
func (c *conn) setWriteDeadline(t time.Time) error {
	if t.Equal(c.wdl) {
		return nil
	}
	c.wdl = t
	return c.rwc.SetWriteDeadline(t)
}

func (c *conn) serve(ctx context.Context) {
	s := c.srv
	c.br = readers.Get().(*bufio.Reader)
	c.br.Reset(&c.r)
	c.bw = writers.Get().(*bufio.Writer)
	c.bw.Reset(c)
	var handing bool
	defer func() {
		if p := recover(); p != nil && p != http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			s.logf("h1: panic serving %v: %v\n%s", c.remoteAddr, p, buf)
		}
		if c.rctx != nil {
			c.rctx.cancel()
		}
		c.r.leave()
		if c.hijacked.Load() || handing {
			s.remove(c)
			return
		}
		_ = c.bw.Flush()
		_ = c.rwc.Close()
		if c.body != nil {
			// A body still read by another goroutine (a transport's) must be done with the
			// reader before it goes back to the pool; the connection is closed, so any
			// read in progress ends at once.
			c.body.abandon()
		}
		c.release()
		s.remove(c)
		c.changeState(http.StateClosed)
	}()

	maxHeader := int64(s.MaxHeaderBytes)
	if maxHeader <= 0 {
		maxHeader = http.DefaultMaxHeaderBytes
	}
	limit := maxHeader + bufSize // net/http's initialReadLimitSize
	now := clock.Now()           // the current request's first byte, about
	if s.ReadHeaderTimeout > 0 {
		_ = c.r.setDeadline(now.Add(s.ReadHeaderTimeout))
	}
	if h, done := c.h2c(); done {
		handing = h
		return
	}
	// The first request's bytes have come (the preface check waited for them): its arrival
	// (Received), where the header timeout above runs from the connection's start.
	arrived := clock.Now()
	for {
		buffered := c.br.Buffered()
		c.r.setLimit(limit)
		if c.lastPOST {
			// RFC 7230 section 3 tolerance for old clients that end a POST with a CRLF
			// more than its body, as net/http has.
			peek, _ := c.br.Peek(4)
			_, _ = c.br.Discard(numLeadingCRorLF(peek))
		}
		if c.spare == nil {
			c.spare = new(requestAlloc)
		}
		// The last request's header map and memory, cleared, when it kept them (serveOne).
		req, raw, valid, err := readRequestInto(c.br, c.reqHeader, c.spare, &c.r.tap)
		var alloc *requestAlloc
		if req == &c.spare.req {
			alloc, c.spare = c.spare, nil
		}
		// Active once a request's bytes arrived; unlike net/http, also for a request that
		// was wholly buffered (pipelined), so that a ConnState hook sees one StateActive per
		// request (rawheader moves to the next header block on it).
		if err == nil || buffered > 0 || c.r.remain != limit {
			c.changeState(http.StateActive)
		}
		if s.closing.Load() {
			return
		}
		if err != nil {
			c.refuse(err)
			return
		}
		c.r.noLimit()
		if status, msg := check(req, valid); status != 0 {
			c.fail(status, msg)
			return
		}
		c.lastPOST = req.Method == http.MethodPost
		if req.Body != http.NoBody {
			// The body is read under the handler's deadlines (edge's), not one left for
			// the header or the wait before it. A request without one reads nothing more.
			c.r.clearDeadline()
		}
		if !c.serveOne(ctx, req, raw, alloc, now, arrived) || s.closing.Load() {
			return
		}
		c.changeState(http.StateIdle)
		// Wait for the next request under the idle timeout (at least; the deadline set
		// moments ago for the last one may do), then give its header the header timeout,
		// from its first byte, unless it is all there already.
		if c.br.Buffered() == 0 && !c.next(s.IdleTimeout) {
			return
		}
		now = clock.Now()
		arrived = now
		if s.ReadHeaderTimeout > 0 && !headBuffered(c.br) {
			_ = c.r.setDeadline(now.Add(s.ReadHeaderTimeout))
		}
	}
}

// next waits for the next request's first byte under the idle timeout, reporting whether it
// came.
//
// The client is only now reading the answer: a read at once finds nothing (EAGAIN), parks on
// the netpoller and reads again when woken, one failed system call per request. Letting the
// other connections' goroutines run first, the next request has usually arrived when this
// one reads (perf stat: 3.0 reads per proxied request before, 2.05 after; a tenth of MOCK's
// CPU). nginx saves the same call by trusting a short read to have drained the socket; Go's
// netpoller offers no such wait without the read. With nothing else to run, Gosched returns
// at once.
//
// The idle timeout matters only to a wait: with the socket read through rawio, the read sets
// it when it finds nothing (ReadBeforeWait), and a request already there is read before the
// clock is, the deadline left from the last request staying (a read of the clock a request,
// some 40 ns, and no second attempt when the first finds nothing). If that deadline has
// passed, the read fails before it looks: the timeout is set and the socket read again.
func (c *conn) next(idle time.Duration) bool {
	runtime.Gosched()
	if _, raw := c.r.rw.(*rawio.Conn); raw && idle > 0 {
		c.r.idle, c.r.waited = idle, false
		_, err := c.br.Peek(1)
		c.r.idle = 0
		if err == nil {
			return true
		}
		if c.r.waited || !errors.Is(err, os.ErrDeadlineExceeded) {
			return false
		}
	}
	c.r.atLeast(clock.Now(), idle)
	_, err := c.br.Peek(1)
	return err == nil
}

// headBuffered reports whether br holds a whole request line and header, up to the empty
// line that ends them: reading them then waits for nothing.
func headBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	if bytes.HasSuffix(b, []byte("\r\n\r\n")) { // the usual: a request without a body, alone
		return true
	}
	n, _ := headLen(b)
	return n > 0
}

func numLeadingCRorLF(v []byte) (n int) {
	for _, b := range v {
		if b != '\r' && b != '\n' {
			break
		}
		n++
	}
	return n
}

// h2c hands the connection to the HTTP/2 server if it opens with HTTP/2's preface. done
// reports that the connection is done here; handed, that it lives on there. As net/http
// does, it reads no more than the preface's length, so that a request's header counts
// against MaxHeaderBytes from its first byte.
func (c *conn) h2c() (handed, done bool) {
	if !c.hasPreface(len("PRI * HTTP/2.0")) || !c.hasPreface(len(http2Preface)) {
		return false, false
	}
	if c.srv.H2C == nil || c.srv.closing.Load() {
		c.fail(http.StatusHTTPVersionNotSupported, "unsupported protocol version")
		return false, true
	}
	c.r.clearDeadline()
	c.changeState(http.StateHijacked)
	_ = c.srv.serveH2C(&readConn{Conn: c.rwc, r: c.br})
	writers.Put(c.bw)
	c.bw = nil
	return true, true
}

// hasPreface reports whether the connection's first n bytes are the preface's.
func (c *conn) hasPreface(n int) bool {
	c.r.setLimit(int64(n - c.br.Buffered()))
	got, err := c.br.Peek(n)
	c.r.noLimit()
	return err == nil && string(got) == http2Preface[:n]
}

func (c *conn) release() {
	if c.br != nil {
		c.br.Reset(nil)
		readers.Put(c.br)
		c.br = nil
	}
	if c.bw != nil {
		c.bw.Reset(nil)
		writers.Put(c.bw)
		c.bw = nil
	}
}

// check applies net/http's server rules that http.ReadRequest leaves to the server,
// returning the status and reason of a refusal; valid: readRequest found every header name
// and value valid already. http.ReadRequest drops the Host header, so
// the Host rule goes by the request's host: unlike net/http, an absolute-form request
// without a Host header is served (by the target's host, which RFC 9112 says wins anyway),
// and an empty Host header in an HTTP/1.1 request is refused.
func check(req *http.Request, valid bool) (int, string) {
	if req.ProtoMajor != 1 && !isH2Upgrade(req) {
		return http.StatusHTTPVersionNotSupported, "unsupported protocol version"
	}
	if req.ProtoAtLeast(1, 1) && req.Host == "" && !isH2Upgrade(req) && req.Method != http.MethodConnect {
		return http.StatusBadRequest, "missing required Host header"
	}
	if req.Host != "" && !httpguts.ValidHostHeader(req.Host) {
		return http.StatusBadRequest, "malformed Host header"
	}
	if valid {
		return 0, ""
	}
	for k, vv := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return http.StatusBadRequest, "invalid header name"
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return http.StatusBadRequest, "invalid header value"
			}
		}
	}
	return 0, ""
}

// isH2Upgrade is HTTP/2's preface read as a request ("PRI * HTTP/2.0"), which net/http
// serves (and closes after) so that handlers can take the connection over.
func isH2Upgrade(r *http.Request) bool {
	return r.Method == "PRI" && len(r.Header) == 0 && r.URL.Path == "*" && r.Proto == "HTTP/2.0"
}

const errorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// refuse answers a request that could not be read, as net/http's server does.
func (c *conn) refuse(err error) {
	_ = c.setWriteDeadline(timeZero) // the server's own write: not the last response's
	switch refusal(err, c.r.hitLimit()) {
	case http.StatusRequestHeaderFieldsTooLarge:
		const publicErr = "431 Request Header Fields Too Large"
		_, _ = io.WriteString(c.rwc, "HTTP/1.1 "+publicErr+errorHeaders+publicErr)
		c.closeWriteAndWait()
	case http.StatusNotImplemented:
		_, _ = io.WriteString(c.rwc, "HTTP/1.1 501 Not Implemented"+errorHeaders+"Unsupported transfer encoding")
	case 0:
		// The client left, or its time ran out: no answer.
	default:
		const publicErr = "400 Bad Request"
		_, _ = io.WriteString(c.rwc, "HTTP/1.1 "+publicErr+errorHeaders+publicErr)
	}
}

// refusal is the status a request that could not be read gets (0: none, the client is
// gone); hitLimit: its head reached the connection's read limit.
func refusal(err error, hitLimit bool) int {
	switch {
	case hitLimit:
		return http.StatusRequestHeaderFieldsTooLarge
	case strings.Contains(err.Error(), "unsupported transfer encoding"):
		return http.StatusNotImplemented
	case isCommonNetReadError(err):
		return 0
	default:
		return http.StatusBadRequest
	}
}

// fail answers status with a reason, as net/http's server does for the requests it refuses.
func (c *conn) fail(status int, reason string) {
	_ = c.setWriteDeadline(timeZero) // the server's own write: not the last response's
	line := http.StatusText(status) + ": " + reason
	_, _ = io.WriteString(c.rwc, "HTTP/1.1 "+strconv.Itoa(status)+" "+line+errorHeaders+strconv.Itoa(status)+" "+line)
}

func isCommonNetReadError(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "read"
}

// closeWriteAndWait half-closes the connection and gives the client a moment to read what
// was sent, before the close.
func (c *conn) closeWriteAndWait() {
	_ = c.bw.Flush()
	if cw, ok := c.rwc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	time.Sleep(rstAvoidanceDelay)
}
