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

// Package upstream is the proxy's HTTP/1.1 client for plain-HTTP backends: a
// http.RoundTripper that writes the request and reads the response on the calling goroutine,
// over connections pooled per host, and hands everything else to net/http's Transport.
//
// net/http's Transport runs a reader and a writer goroutine per connection and hands every
// request and response between them and the caller over channels: three goroutines and their
// scheduling for each proxied request, which on one core cost more than the proxying itself.
// Here an idle connection is a struct in a slice, with no goroutine, and a request is a write
// and a read by the goroutine that serves it. The response's head is read by head.go and
// response.go by net/http's rules (http.ReadResponse's), to the same *http.Response, in one
// pass and a fraction of the work (a fuzz test holds them to http.ReadResponse), and chunked
// bodies by net/http's own chunked reader, so its request-smuggling defences hold: a response
// with both Content-Length and Transfer-Encoding, conflicting Content-Lengths, an unknown or
// obfuscated Transfer-Encoding, whitespace before a framing header's colon or an overflowing
// chunk size is an error, and header values are checked before anything is sent. The request
// is written by write.go: http.Request.Write's bytes, in one write (see there).
//
// What the lean path takes: http:// requests without an Upgrade or Expect header, without
// trailers or a Transfer-Encoding of their own, whose body is absent or of a known length up
// to Options.MaxBufferedBody. Everything else (TLS and HTTP/2 backends, WebSocket upgrades,
// 100-continue, streamed uploads, whose body net/http sends while it already reads the
// answer) goes to Options.Fallback.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/internal/clock"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

// Defaults of Options.
const (
	DefaultDialTimeout            = 5 * time.Second
	DefaultKeepAlive              = 30 * time.Second
	DefaultIdleTimeout            = 90 * time.Second
	DefaultMaxIdlePerHost         = 256
	DefaultMaxResponseHeaderBytes = 1 << 20
	DefaultMaxBufferedBody        = 64 << 10
	bufferSize                    = 4 << 10
)

// Options configure a Transport. The zero value of a field means its default.
type Options struct {
	// DialTimeout bounds connecting (DefaultDialTimeout).
	DialTimeout time.Duration
	// KeepAlive is the TCP keep-alive period of upstream connections (DefaultKeepAlive).
	KeepAlive time.Duration
	// IdleTimeout closes a pooled connection unused for this long (DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxIdlePerHost is how many idle connections are kept per host (DefaultMaxIdlePerHost).
	MaxIdlePerHost int
	// ResponseHeaderTimeout bounds the wait for the response's headers once the request is
	// written; zero means only the request's context bounds it.
	ResponseHeaderTimeout time.Duration
	// MaxResponseHeaderBytes bounds the response's headers (DefaultMaxResponseHeaderBytes).
	MaxResponseHeaderBytes int64
	// MaxBufferedBody is the largest request body the lean path sends before reading the
	// answer (DefaultMaxBufferedBody). A larger one could fill the socket buffers of a
	// backend that answers early without reading it, so it goes to Fallback, which sends
	// and reads at once.
	MaxBufferedBody int64
	// Fallback carries the requests the lean path does not take. Required.
	Fallback http.RoundTripper
	// Now is the clock for idle timeouts. Default clock.Now (internal/clock: time.Now at
	// half the cost), whose reading a caller may hand over (Hints.Start).
	Now func() time.Time
}

// Transport is an http.RoundTripper: see the package documentation. It is safe for
// concurrent use.
type Transport struct {
	opts   Options
	dialer net.Dialer

	// pools holds a pool per URL host (Transport.pool). xsync's map, not sync.Map: looked
	// up on every request, sync.Map hashed and compared the host as an interface (some 200
	// instructions of a proxied request's); a typed map hashes the string.
	pools *xsync.Map[string, *pool]

	mu      sync.Mutex
	sweeper *time.Timer // armed while some connection is idle

	// realClock: opts.Now is clock.Now, so a caller's reading of it (Hints.Start) serves.
	realClock bool
}

// New returns a Transport.
func New(o Options) *Transport {
	if o.Fallback == nil {
		panic("upstream: Options.Fallback is required")
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxIdlePerHost <= 0 {
		o.MaxIdlePerHost = DefaultMaxIdlePerHost
	}
	if o.MaxResponseHeaderBytes <= 0 {
		o.MaxResponseHeaderBytes = DefaultMaxResponseHeaderBytes
	}
	if o.MaxBufferedBody <= 0 {
		o.MaxBufferedBody = DefaultMaxBufferedBody
	}
	realClock := o.Now == nil
	if realClock {
		o.Now = clock.Now
	}
	return &Transport{
		opts:      o,
		realClock: realClock,
		dialer:    net.Dialer{Timeout: o.DialTimeout, KeepAlive: o.KeepAlive},
		pools:     xsync.NewMap[string, *pool](),
	}
}

// Lean reports whether req takes the lean path rather than Fallback.
func (t *Transport) Lean(req *http.Request) bool {
	if req.URL == nil || req.URL.Scheme != "http" || req.URL.Host == "" || req.Method == http.MethodConnect {
		return false
	}
	if len(req.TransferEncoding) > 0 || len(req.Trailer) > 0 {
		return false
	}
	if _, ok := req.Header["Upgrade"]; ok {
		return false
	}
	if _, ok := req.Header["Expect"]; ok {
		return false
	}
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	return req.ContentLength > 0 && req.ContentLength <= t.opts.MaxBufferedBody
}

// EnforcesDeadline reports whether RoundTrip holds req to its context's deadline by itself:
// the lean path sets it on the connection, for the dial, the exchange and the body, so it
// needs no timer closing the context's Done channel at the deadline. A caller may then give
// it a context whose deadline arms none (the integration's route timeout), which costs a
// fraction of context.WithTimeout's. Fallback is net/http's Transport, which waits on Done.
func (t *Transport) EnforcesDeadline(req *http.Request) bool { return t.Lean(req) }

// RoundTrip sends req and returns its response, whose body streams from the connection: the
// connection returns to the pool when the body has been read to its end, and is closed when
// the body is closed before that.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	hints := hintsOf(req)
	if !t.Lean(req) {
		return t.opts.Fallback.RoundTrip(withFields(req, hints))
	}
	if !hints.HeaderChecked {
		if err := validHeaders(withFields(req, hints).Header); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	p := t.pool(req.URL)
	replay := replayable(req)
	unchecked := replay // a fresh connection may go unchecked (freshIdle), on the first try
	now := t.now(hints)
	for {
		pc, err := t.conn(req.Context(), p, now, unchecked)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		res, err := pc.roundTrip(req, hints)
		if err == nil {
			return res, nil
		}
		// A timeout is not a connection the backend had closed: the backend may have the
		// request and be slow with it, so it is not sent again (net/http does not either).
		if !pc.reused || !pc.nothingReceived() || !replay || req.Context().Err() != nil ||
			isTimeout(err) || errors.Is(err, errHeaderTimeout) {
			return nil, err
		}
		// An idle connection the backend had closed: nothing of this request was answered,
		// and sending it again on another connection is safe. The loop ends, as each turn
		// takes a connection from the pool or a new one (never reused). The backend may be
		// closing all of them (a shutdown): those taken from now on are checked.
		unchecked = false
		now = t.opts.Now()
		if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			r2 := *req
			r2.Body = body
			req = &r2
		}
	}
}

// CloseIdleConnections closes the idle connections of the lean path and of Fallback.
func (t *Transport) CloseIdleConnections() {
	for _, p := range t.pools.All() {
		p.closeIdle(time.Time{})
	}
	if c, ok := t.opts.Fallback.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// pool returns the pool of u's host, port 80 when it names none.
//
// Pools are keyed by the URL's host as written, and the address dialled is worked out when a
// pool is made: splitting host and port on every request was 170 instructions of a proxied
// one. A backend that routes write two ways ("b" and "b:80") so has two pools, each keeping
// idle connections of its own.
func (t *Transport) pool(u *url.URL) *pool {
	for {
		if p, ok := t.pools.Load(u.Host); ok {
			if !p.dead.Load() {
				return p
			}
			t.dropPool(u.Host, p)
			continue
		}
		addr := u.Host
		if u.Port() == "" {
			addr = hostPort(u.Hostname(), "")
		}
		p, _ := t.pools.LoadOrStore(u.Host, &pool{t: t, addr: addr})
		return p
	}
}

// dropPool removes host's pool if it is still p.
func (t *Transport) dropPool(host string, p *pool) {
	t.pools.Compute(host, func(old *pool, loaded bool) (*pool, xsync.ComputeOp) {
		if loaded && old == p {
			return nil, xsync.DeleteOp
		}
		return old, xsync.CancelOp
	})
}

func hostPort(host, port string) string {
	if port == "" {
		port = "80"
	}
	if strings.IndexByte(host, ':') >= 0 {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// now is the time a request's call starts at: the caller's reading of the clock (Hints.Start)
// when the transport's clock is the real one, else the clock now. Each read of the clock is
// a vDSO call (some 2% of a proxied request's CPU went to them), and the caller has just
// read it.
func (t *Transport) now(h *Hints) time.Time {
	if t.realClock && !h.Start.IsZero() {
		return h.Start
	}
	return t.opts.Now()
}

// conn takes an idle connection of p as of now, or dials a new one; a fresh one unchecked
// under load when the request may be sent again (freshIdle).
func (t *Transport) conn(ctx context.Context, p *pool, now time.Time, unchecked bool) (*persistConn, error) {
	if pc := p.take(now, unchecked && p.inUse.Load() > 0); pc != nil {
		p.inUse.Add(1)
		return pc, nil
	}
	c, err := t.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	p.inUse.Add(1)
	return newPersistConn(p, c), nil
}

// armSweeper makes sure idle connections past the idle timeout are closed even when their
// host is called no more: one timer for the whole transport, armed while any is idle.
func (t *Transport) armSweeper() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sweeper == nil {
		t.sweeper = time.AfterFunc(t.opts.IdleTimeout, t.sweep)
	}
}

func (t *Transport) sweep() {
	t.mu.Lock()
	t.sweeper = nil
	t.mu.Unlock()
	idle := false
	cutoff := t.opts.Now().Add(-t.opts.IdleTimeout)
	for host, p := range t.pools.All() {
		if p.closeIdle(cutoff) {
			idle = true
		} else if p.retire() {
			// A host no longer called (an endpoint gone) leaves no pool behind.
			t.dropPool(host, p)
		}
	}
	if idle {
		t.armSweeper()
	}
}

// pool holds one host's idle connections, most recently used last.
type pool struct {
	t    *Transport
	addr string

	mu    sync.Mutex
	idle  []*persistConn
	dead  atomic.Bool  // retired: connections put back are closed
	inUse atomic.Int32 // connections carrying a request (conn to finish or fail)
}

// retire marks an empty pool dead, reporting whether it was empty.
func (p *pool) retire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) > 0 {
		return false
	}
	p.dead.Store(true)
	return true
}

// freshIdle is how long a connection may have been idle and still carry a request that
// can be sent again (replayable) without the check of its socket (alive), while another
// request to the same backend is in flight: under load.
//
// The check is a system call, about a microsecond on a virtual machine: one in five of a
// proxied request's, and 3-5% of its CPU at saturation. What it guards against:
//
//   - A backend closing an idle connection does so after its keep-alive timeout, seconds. One
//     closing within this time of its answer (a shutdown) fails the exchange before any
//     answer, and RoundTrip sends the request again on another connection, as net/http's
//     Transport does for a connection it had not yet seen closed.
//   - Bytes a backend sends after its answer mostly come with it, and finish then sees them
//     in the buffer. Later ones, within this time, would be read as this request's answer.
//     nginx, which learns of them from epoll on an idle connection, has the same window
//     under load: it handles the event on its loop's next turn, and may send a request on
//     the connection first.
//
// A request that cannot be sent again is always checked, and so is every request when none
// other is in flight (a proxy at rest, or one client's requests one after another), where
// the check costs nothing that matters. Under load a connection comes back to the pool and
// waits about one turn of all the clients' requests (wrk -c64: 1.5-3 ms); 5 ms covers it
// (0.38 checks per request at 1 ms, which left a turn's deeper connections checked; 3%
// of the CPU). nginx's window is its loop's turn under the same load.
const freshIdle = 5 * time.Millisecond

// take returns the most recently used idle connection that can still carry a request,
// closing those idle for too long or that the backend closed or wrote to meanwhile (checked
// unless fresh, when the caller allows: freshIdle).
func (p *pool) take(now time.Time, unchecked bool) *persistConn {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		pc := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		// The check is a syscall: outside the lock, as the connection is ours now.
		idle := now.Sub(pc.idleSince)
		fresh := unchecked && idle < freshIdle
		if idle > p.t.opts.IdleTimeout || !fresh && !pc.alive() {
			pc.close()
			continue
		}
		pc.reused = true
		return pc
	}
}

// put returns pc to the pool, or closes it when the pool is full; idle since now, or the
// clock's time for zero.
func (p *pool) put(pc *persistConn, now time.Time) {
	if now.IsZero() {
		now = p.t.opts.Now()
	}
	pc.idleSince = now
	p.mu.Lock()
	if len(p.idle) >= p.t.opts.MaxIdlePerHost || p.dead.Load() {
		p.mu.Unlock()
		pc.close()
		return
	}
	first := len(p.idle) == 0
	p.idle = append(p.idle, pc)
	p.mu.Unlock()
	if first {
		p.t.armSweeper()
	}
}

// closeIdle closes the idle connections idle since before cutoff (all of them for the zero
// time) and reports whether some stay idle.
func (p *pool) closeIdle(cutoff time.Time) bool {
	p.mu.Lock()
	var stale []*persistConn
	kept := p.idle[:0]
	for _, pc := range p.idle {
		if cutoff.IsZero() || pc.idleSince.Before(cutoff) {
			stale = append(stale, pc)
		} else {
			kept = append(kept, pc)
		}
	}
	clear(p.idle[len(kept):])
	p.idle = kept
	left := len(kept) > 0
	p.mu.Unlock()
	for _, pc := range stale {
		pc.close()
	}
	return left
}

// validHeaders refuses what net/http's Transport refuses before sending: a header name or
// value that could not be written as it is.
func validHeaders(h http.Header) error {
	for k, vv := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("net/http: invalid header field name %q", k)
		}
		for _, v := range vv {
			if !httpsyntax.ValidValue(v) { // httpguts.ValidHeaderFieldValue, a word at a time
				return fmt.Errorf("net/http: invalid header field value for %q", k)
			}
		}
	}
	return nil
}

// replayable reports whether req may be sent again after its connection failed before any
// answer: an idempotent method (or an idempotency key, as net/http reads it) and a body that
// is absent or can be had again.
func replayable(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
	default:
		_, key := req.Header["Idempotency-Key"]
		_, xkey := req.Header["X-Idempotency-Key"]
		if !key && !xkey {
			return false
		}
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

var errUpgrade = errors.New("upstream: 101 Switching Protocols to a request that asked for no upgrade")

var _ io.Closer = (*persistConn)(nil)
