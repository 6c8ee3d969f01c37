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

// Package rawheader keeps the spelling of request header names as HTTP/1.x clients send
// them, which net/http canonicalizes away ("HeaderAuth1" arrives as "Headerauth1"). Amazon
// API Gateway's payload 1.0 events and REQUEST authorizer events carry names as the client
// sent them, and functions written for AWS look them up by that spelling.
//
// Portico's HTTP/1.x server (package h1) keeps each request's head as sent, and From and
// BothLengths read it there (h1.RequestHead). The listeners below are for net/http's
// server, which keeps nothing: the HTTPS listener's, and tests of the framing.
//
// A Listener's connections follow the HTTP/1.x framing of what they read (request line,
// header block, a Content-Length or chunked body, trailers), exactly as net/http frames it,
// and keep the names of each header block. The server's ConnState hook (see Install) moves
// to the next block as net/http starts each request, so that From finds the names of the
// request being served. The names are only spelling hints: From's Names.Spell returns a
// name of the request's net/http header map in the client's spelling when the client sent
// one that matches it case-insensitively, else the canonical key. Anything the framing does
// not understand (HTTP/2 prior knowledge, an upgrade, a limit passed, a framing net/http
// would refuse) stops the tracking for the connection, whose requests then get canonical
// names.
//
// The same framing tells a request that carried both Content-Length and Transfer-Encoding
// (BothLengths), which net/http serves by the Transfer-Encoding without a trace of the
// length, and whose connection RFC 9112 says to close: every connection is followed for that,
// and those accepted while names are wanted keep the names too.
//
// Memory is bounded per connection: at most maxQueued header blocks read ahead of the one
// being served (pipelining), each with at most maxNamesBytes of names; a block over the
// limit gets no hints. HTTP/2 names are lower case on the wire, so Names for an HTTP/2
// request lower-case every name, as AWS sends them. Over TLS, TLSListener tracks the
// decrypted HTTP/1.x connections, after a handshake it does itself to learn the protocol.
package rawheader

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/portico-dev/portico/dataplane/h1"
)

const (
	// maxNamesBytes bounds the names kept of one header block.
	maxNamesBytes = 8 << 10
	// keptNamesBytes is the largest names buffer a connection keeps between requests.
	keptNamesBytes = 1 << 10
	// maxQueued bounds the header blocks kept ahead of the request being served.
	maxQueued = 8
	// maxValue bounds the Content-Length and Transfer-Encoding values read.
	maxValue = 64
	// maxHexDigits is the longest chunk size net/http takes.
	maxHexDigits = 16
)

// Listener returns l whose connections follow their requests' framing, and keep header
// names for those accepted while on returns true (nil: always); the choice holds for the
// connection's life.
func Listener(l net.Listener, on func() bool) net.Listener {
	return &listener{Listener: l, on: on}
}

type listener struct {
	net.Listener
	on func() bool
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	return newConn(c, l.on == nil || l.on()), nil
}

// newConn follows c's framing, keeping the header names when names is set.
func newConn(c net.Conn, names bool) *Conn {
	rc := &Conn{Conn: c}
	rc.p.framingOnly = !names
	return rc
}

// Install sets srv's ConnContext and ConnState hooks (chaining any already set) so that
// requests find the names their connection kept.
func Install(srv *http.Server) {
	prevCtx, prevState := srv.ConnContext, srv.ConnState
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prevCtx != nil {
			ctx = prevCtx(ctx, c)
		}
		if rc := connOf(c); rc != nil {
			return context.WithValue(ctx, connKey{}, rc)
		}
		return ctx
	}
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		if rc := connOf(c); rc != nil {
			rc.stateChanged(s)
		}
		if prevState != nil {
			prevState(c, s)
		}
	}
}

type connKey struct{}

// block is what one header block leaves: the names in the client's spelling, one per line,
// and a digest of "METHOD request-target" to check it against the request it is given to.
type block struct {
	names       string
	sum         uint64
	bothLengths bool // Content-Length and Transfer-Encoding (see BothLengths)
}

// Conn is a connection that follows the framing of what it reads, and keeps its header names
// unless it follows the framing only.
type Conn struct {
	net.Conn

	mu      sync.Mutex
	p       parser
	queue   []block // parsed, not yet started by net/http
	current block   // the request being served; zero for no hints
}

// Read reads from the connection and follows the framing of what it read.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		if !c.p.dead {
			c.p.feed(b[:n], c.push)
		}
		c.mu.Unlock()
	}
	return n, err
}

// ReadFrom keeps the underlying connection's io.ReaderFrom (sendfile, splice) for responses.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite keeps the underlying connection's half-close, which net/http uses to close
// a connection without resetting what the client still reads.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// push queues a parsed block; called with mu held.
func (c *Conn) push(b block) {
	if len(c.queue) >= maxQueued {
		c.p.dead = true
		return
	}
	c.queue = append(c.queue, b)
}

func (c *Conn) stateChanged(s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateActive:
		// net/http read one more request: the oldest block parsed is its header block.
		c.current = block{}
		if len(c.queue) > 0 {
			c.current = c.queue[0]
			// Shifted rather than resliced, so the array is reused: it holds at most
			// maxQueued blocks, and usually one.
			n := copy(c.queue, c.queue[1:])
			c.queue[n] = block{}
			c.queue = c.queue[:n]
		}
	case http.StateHijacked, http.StateClosed:
		c.p.dead = true
		c.current, c.queue = block{}, nil
	}
}

// BothLengths reports whether r, which must be the request its connection is serving, came
// with both a Content-Length and a Transfer-Encoding header: net/http reads its body by the
// Transfer-Encoding (RFC 9112 allows it) and leaves no trace of the length, but a proxy or
// balancer in front may have framed it by the length and be about to send what net/http
// takes for the rest of the body as the next request, or the reverse. Answer 400 and close
// the connection, as nginx does. It is false for requests of connections that are not
// followed (HTTP/2, a framing the parser gave up on).
func BothLengths(r *http.Request) bool {
	if r.ProtoMajor != 1 {
		return false
	}
	if _, both, ok := h1.RequestHead(r.Context()); ok {
		return both
	}
	c, _ := r.Context().Value(connKey{}).(*Conn)
	if c == nil {
		return false
	}
	c.mu.Lock()
	b := c.current
	c.mu.Unlock()
	return b.bothLengths && b.sum == requestLineSum(r.Method, r.RequestURI)
}

// Names spells a request's header names as its client sent them.
type Names struct {
	list  string // names, one per line
	head  string // or the whole head, from the h1 server
	lower bool
}

// From returns the names of r, which must be the request its connection is serving. The
// zero Names, for a request without them, spells every name canonically.
func From(r *http.Request) Names {
	if r.ProtoMajor == 2 {
		return Names{lower: true}
	}
	if head, _, ok := h1.RequestHead(r.Context()); ok {
		return Names{head: head}
	}
	c, _ := r.Context().Value(connKey{}).(*Conn)
	if c == nil {
		return Names{}
	}
	c.mu.Lock()
	b := c.current
	c.mu.Unlock()
	if b.names == "" || b.sum != requestLineSum(r.Method, r.RequestURI) {
		return Names{}
	}
	return Names{list: b.names}
}

// Spell returns key, a key of a net/http header map, as the client spelled it.
func (n Names) Spell(key string) string {
	if n.lower {
		return strings.ToLower(key)
	}
	for list := n.list; list != ""; {
		name, rest, _ := strings.Cut(list, "\n")
		if len(name) == len(key) && strings.EqualFold(name, key) {
			return name
		}
		list = rest
	}
	for name := range h1.HeadNames(n.head) {
		if len(name) == len(key) && strings.EqualFold(name, key) {
			return name
		}
	}
	return key
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func requestLineSum(method, target string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(method); i++ {
		h = (h ^ uint64(method[i])) * fnvPrime
	}
	h = (h ^ ' ') * fnvPrime
	for i := 0; i < len(target); i++ {
		h = (h ^ uint64(target[i])) * fnvPrime
	}
	return h
}
