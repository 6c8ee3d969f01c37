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

package proxy

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"unsafe"

	"go.opentelemetry.io/otel/trace"

	"github.com/portico-dev/portico/dataplane/execlog"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/h1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

// exchange is everything one request needs, in one allocation: the context carrying its
// reqctx, the response writer that records status and size, and what it matched. Each of
// these used to be an allocation of its own, and with GOMAXPROCS=1 every allocation is also
// garbage-collector work on the serving core. Exchanges are reused (exchanges): at 1.4 KB,
// one was most of what a MOCK request allocated.
type exchange struct {
	ctx     reqctx.Context
	rw      recorder
	stage   *stage
	variant *variant
	route   *route
	// ws is set for a WebSocket upgrade, recorded by its events rather than as a request.
	ws bool
	// span is the request's server span when its stage is traced, and traceID its trace.
	span    trace.Span
	traceID [16]byte
	// body wraps the request's body, when it has one, for the integrations to read.
	body clientBody
	// req is the request as the steps see it, with ctx as its context: held here rather
	// than allocated by WithContext.
	req http.Request
	// ids is the block the exchange's requests take their ids from, nextID the first one
	// not taken: kept when the exchange is released, as the ids outlive their requests.
	ids    *requestIDs
	nextID int
}

// exchanges keeps exchanges for reuse. An exchange goes back when its request is done, unless
// something may still reach it: a WebSocket upgrade's connection, or a request whose reqctx
// was retained (reqctx.Request.Retain: a transport that may read the body after the answer,
// ReverseProxy's upgrade goroutines). What outlives every request by design is kept apart
// from the exchange: the request id's characters (requestID).
var exchanges = sync.Pool{New: func() any { return new(exchange) }}

// newExchange returns a cleared exchange.
func newExchange() *exchange { return exchanges.Get().(*exchange) }

// release clears ex and keeps it for another request, unless its request was retained; the
// server is then told not to reuse its own request either (h1.KeepRequest).
func (ex *exchange) release() {
	if ex.ws || ex.ctx.Req.Retained() {
		h1.KeepRequest(ex.ctx.Context)
		return
	}
	ids, next := ex.ids, ex.nextID
	*ex = exchange{ids: ids, nextID: next}
	exchanges.Put(ex)
}

// rc is the request's reqctx.
func (ex *exchange) rc() *reqctx.Request { return &ex.ctx.Req }

// requestID is a request id's characters and the x-request-id header value over them, apart
// from the exchange: the id is written into the response's header map, access log lines and
// spans, which may outlive the request, and the exchange is reused.
type requestID struct {
	header [1]string
	chars  [36]byte
}

// requestIDs are allocated sixteen at a time (896 bytes, a size class of its own): one
// allocation per request cost about 1% of a proxied request's CPU. Each is used once, so an
// id kept past its request holds at most its fifteen neighbours.
type requestIDs [16]requestID

// setRequestID gives the request a new id and puts it in w's answer's x-request-id: as a
// field of w's own when w writes one (h1's server, httpsyntax.IDSetter), which spares every
// answer the field in its header map, or in the header map.
func (ex *exchange) setRequestID(w http.ResponseWriter) {
	b := ex.newRequestID()
	if s, ok := w.(httpsyntax.IDSetter); ok && s.SetID(gatewayresponse.HeaderRequestID, b.header[0]) {
		return
	}
	// Capacity 1: a step adding a value appends to a copy. The key is canonical already, so
	// Set's canonicalization is skipped.
	w.Header()[gatewayresponse.HeaderRequestID] = b.header[:1:1]
}

// newRequestID gives the request a new id, and returns its room.
func (ex *exchange) newRequestID() *requestID {
	if ex.ids == nil || ex.nextID == len(ex.ids) {
		ex.ids, ex.nextID = new(requestIDs), 0
	}
	b := &ex.ids[ex.nextID]
	ex.nextID++
	newRequestID(&b.chars)
	// The characters are never written again and live as long as a string over them: such
	// a string is as immutable as any.
	id := unsafe.String(&b.chars[0], len(b.chars))
	ex.ctx.Req.ID = id
	b.header[0] = id
	return b
}

// recorder passes a response through, noting its status and body size for the access log
// and metrics. It flushes and unwraps, so that streaming and protocol upgrades through
// http.ResponseController keep working.
type recorder struct {
	w       http.ResponseWriter
	status  int
	written int64
	// keepBody is set when the execution log's dataTrace wants the response body: its first
	// execlog.MaxBody bytes (and one more, to tell a cut body) are kept in body.
	keepBody bool
	body     []byte
}

func (r *recorder) Header() http.Header { return r.w.Header() }

// ForwardFields is the wrapped writer's (httpsyntax.FieldForwarder): the recorder reads no
// header field.
func (r *recorder) ForwardFields() *[]httpsyntax.Field {
	if f, ok := r.w.(httpsyntax.FieldForwarder); ok {
		return f.ForwardFields()
	}
	return nil
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.status = code
	}
	r.w.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.w.Write(b)
	r.written += int64(n)
	if r.keepBody && len(r.body) <= execlog.MaxBody {
		r.body = append(r.body, b[:min(n, execlog.MaxBody+1-len(r.body))]...)
	}
	return n, err
}

// Flush sends buffered data to the client.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.w).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// clientBody is the client's request body as integrations read it. It enforces the body
// limit on a body of unknown length while it streams, like http.MaxBytesReader, and records
// in the reqctx what went wrong reading it: an overrun (the integration answers 413) or a
// body that does not read to its end (a malformed chunk, a client that stopped sending: 400),
// whatever error the transport wraps them in. Without the second, a broken client body read
// while forwarding counted as the backend failing (502).
type clientBody struct {
	body  io.ReadCloser
	left  int64
	limit int64
	rc    *reqctx.Request
	err   error
	// keep is set when the execution log's dataTrace wants the request body: the first
	// execlog.MaxBody bytes read (and one more, to tell a cut body) are kept in kept, also
	// of a body that streams to the backend as it is read.
	keep bool
	kept []byte
}

func (b *clientBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Read one byte past the limit to tell "exactly at the limit" from "over it".
	if int64(len(p))-1 > b.left {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	if b.keep && len(b.kept) <= execlog.MaxBody {
		b.kept = append(b.kept, p[:min(n, execlog.MaxBody+1-len(b.kept))]...)
	}
	if int64(n) <= b.left {
		b.left -= int64(n)
		b.err = err
		if err != nil && err != io.EOF {
			b.rc.MarkBodyBroken()
		}
		return n, err
	}
	n = int(b.left)
	b.left = 0
	b.rc.MarkBodyTooLarge()
	b.err = &http.MaxBytesError{Limit: b.limit}
	return n, b.err
}

func (b *clientBody) Close() error { return b.body.Close() }

// newRequestID returns a random version 4 UUID. AWS generates its own ids rather than
// trusting the client's, and so does Portico: an id chosen by a client could collide on
// purpose in logs.
func newRequestID(s *[36]byte) {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	formatUUID(s, &u)
}

// formatUUID writes u as a UUID's 36 characters: each byte's two hex digits by one lookup
// in hexPairs and one 16-bit store, the dashes at their places, no loop (a third of the
// instructions of a loop over the digits, which every request paid).
func formatUUID(s *[36]byte, u *[16]byte) {
	put := func(at int, c byte) { binary.LittleEndian.PutUint16(s[at:at+2], hexPairs[c]) }
	put(0, u[0])
	put(2, u[1])
	put(4, u[2])
	put(6, u[3])
	s[8] = '-'
	put(9, u[4])
	put(11, u[5])
	s[13] = '-'
	put(14, u[6])
	put(16, u[7])
	s[18] = '-'
	put(19, u[8])
	put(21, u[9])
	s[23] = '-'
	put(24, u[10])
	put(26, u[11])
	put(28, u[12])
	put(30, u[13])
	put(32, u[14])
	put(34, u[15])
}

// hexPairs holds each byte's two lower-case hex digits, the first in the low byte (the one
// stored first).
var hexPairs = func() (t [256]uint16) {
	const digits = "0123456789abcdef"
	for c := range t {
		t[c] = uint16(digits[c>>4]) | uint16(digits[c&0xf])<<8
	}
	return t
}()

// clientIP returns the request's source address and whether its connection comes from a
// trusted proxy. From a trusted proxy, the address is the nearest one in X-Forwarded-For
// that is not itself trusted, reading from the right: everything left of it could have been
// written by the client.
func (p *Proxy) clientIP(r *http.Request) (string, bool) {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if len(p.opts.TrustedProxies) == 0 {
		return host, false
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !p.trusted(peer.Unmap()) {
		return host, false
	}
	client := host
	xff := r.Header["X-Forwarded-For"]
	for i := len(xff) - 1; i >= 0; i-- {
		list := xff[i]
		for list != "" {
			var item string
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				item, list = list[j+1:], list[:j]
			} else {
				item, list = list, ""
			}
			item = strings.TrimSpace(item)
			a, ok := forwardedAddr(item)
			if !ok {
				// Not an address ("unknown", a name): the nearest untrusted client cannot be
				// told, and is not the trusted proxy before it. The entry itself is returned,
				// which no allow or deny list matches: a resource policy refuses it.
				return item, true
			}
			client = a.Unmap().String()
			if !p.trusted(a.Unmap()) {
				return client, true
			}
		}
	}
	return client, true
}

// forwardedAddr reads an X-Forwarded-For entry: an address, or one with a port as some
// balancers write them ("10.1.2.3:5555", "[2001:db8::1]:443", "[2001:db8::1]").
func forwardedAddr(item string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(item); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(item); err == nil {
		return ap.Addr(), true
	}
	if strings.HasPrefix(item, "[") && strings.HasSuffix(item, "]") {
		if a, err := netip.ParseAddr(item[1 : len(item)-1]); err == nil {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func (p *Proxy) trusted(a netip.Addr) bool {
	for _, pfx := range p.opts.TrustedProxies {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// hostOnly returns a Host header's host: port removed, lower case, no trailing dot.
func hostOnly(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			h = h[1:i]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}

// splitStage splits an escaped path into its first segment, the stage name, and the rest.
func splitStage(path string) (stageName, rest string) {
	if !strings.HasPrefix(path, "/") {
		return "", ""
	}
	path = path[1:]
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i], path[i:]
	}
	return path, ""
}
