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

// Package h1 is the proxy's HTTP/1.x server: the plain listener's engine, in place of
// net/http's server, which costs a third of a small request's CPU on one core (a goroutine
// and a read per request to notice a client leaving, a header map cloned and its keys
// sorted per response, a response and its buffers allocated per request). It keeps what the
// request path is built on: requests are the *http.Request that http.ReadRequest makes, by
// its rules (framing and request smuggling defences are net/http's; a parser of its own
// reads the common case for less work, and leaves the rest to http.ReadRequest: see
// readRequest), handlers are http.Handlers, and the ResponseWriter supports http.Flusher,
// http.Hijacker (WebSocket upgrades) and http.ResponseController (deadlines, full duplex).
//
// The connection's handling follows net/http's server, rule by rule (the functions say
// which): keep-alive and Connection: close for HTTP/1.0 and 1.1, a response's framing
// (Content-Length when the handler ends within the first 2 KiB, else chunked, or closed
// for HTTP/1.0; none for HEAD, 1xx, 204 and 304), a sniffed Content-Type, Date, trailers,
// 1xx responses, 100 Continue sent when the handler first reads the body, a body the
// handler left unread read (up to 256 KiB) before the answer or the connection closed,
// 431, 400, 501 and 505 with net/http's texts, panics logged (but http.ErrAbortHandler),
// ConnContext and ConnState, Shutdown and Close.
//
// The differences, each for the CPU it saves or because the public API allows no better:
//   - a client that goes away is noticed (and the request's context cancelled) only once
//     the request has run for ClientWatchDelay, not at once: the server looks at its
//     connections' requests every ClientWatchDelay/2, and a goroutine reads only from the
//     connection of a request that ran that long;
//   - headers changed through a map kept from before WriteHeader may still be sent while
//     the response is not yet committed (net/http clones the map at WriteHeader; calling
//     Header() again after WriteHeader does snapshot it here too);
//   - http.ReadRequest drops the Host header, so an absolute-form request without one is
//     served by its target's host, and an empty Host header in HTTP/1.1 is refused;
//   - every request is StateActive once, also one read wholly from the buffer (pipelined),
//     which net/http skips;
//   - a request whose body failed to read (bad chunking, a timeout) closes the connection;
//   - http.MaxBytesReader cannot tell this server to close the connection (the interface
//     it looks for is unexported): the unread rest of the body decides, as above.
//
// Connections that open with HTTP/2's preface (prior knowledge, h2c) are handed, with what
// was read of them, to H2C, a net/http server.
package h1

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ClientWatchDelay is how long a request runs before its connection is watched for the
// client going away. Watching costs a goroutine and a read; requests shorter than this
// finish before a departure would matter.
const ClientWatchDelay = 100 * time.Millisecond

// Server serves HTTP/1.x on the listeners given to Serve.
type Server struct {
	// Handler serves every request.
	Handler http.Handler
	// ReadHeaderTimeout bounds reading a request's line and headers; zero: no bound.
	ReadHeaderTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a kept-alive connection; zero:
	// no bound.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers; beyond it the client gets 431.
	// Zero: http.DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// ConnContext and ConnState are http.Server's hooks, with the same meaning.
	ConnContext func(ctx context.Context, c net.Conn) context.Context
	ConnState   func(net.Conn, http.ConnState)
	// H2C serves connections that start with HTTP/2's preface; nil: they get 505 and are closed.
	H2C *http.Server
	// ErrorLog logs handler panics and accept errors; nil: the log package's logger.
	ErrorLog *log.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
	watches   watchList // the connections whose request the client may leave
	h2cOnce   sync.Once
	h2cLis    *handoff
}

// ErrServerClosed is http.ErrServerClosed: Serve returns it after Shutdown or Close.
var ErrServerClosed = http.ErrServerClosed

// Serve accepts connections on l and serves each on a goroutine of its own, until l fails
// or the server is shut down.
func (s *Server) Serve(l net.Listener) error {
	if !s.track(l) {
		return ErrServerClosed
	}
	defer s.untrack(l)
	// ServerContextKey tells handlers that a server recovers their panics (ReverseProxy
	// aborts a response whose backend failed mid-body by panicking with ErrAbortHandler).
	std := s.H2C
	if std == nil {
		std = &http.Server{}
	}
	base := context.WithValue(context.Background(), http.ServerContextKey, std)
	var backoff time.Duration
	for {
		rwc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of files, for instance: wait and try again, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logf("h1: accept error: %v; retrying in %v", err, backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := newConn(s, rwc)
		if !s.add(c) {
			_ = rwc.Close()
			return ErrServerClosed
		}
		ctx := context.WithValue(base, http.LocalAddrContextKey, rwc.LocalAddr())
		if s.ConnContext != nil {
			ctx = s.ConnContext(ctx, rwc)
		}
		s.setState(rwc, http.StateNew)
		go c.serve(ctx)
	}
}

// Shutdown stops accepting, closes idle connections and waits for the others to finish
// their request, or for ctx to end: http.Server.Shutdown's contract. Hijacked connections
// are not waited for. H2C is shut down alongside.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.closeListeners()
	h2done := make(chan error, 1)
	if s.H2C != nil {
		go func() { h2done <- s.H2C.Shutdown(ctx) }()
	} else {
		h2done <- nil
	}
	// Poll as net/http does: often at first, then every half second.
	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for !s.closeIdle() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			wait = min(2*wait, 500*time.Millisecond)
			timer.Reset(wait)
		}
	}
	select {
	case err := <-h2done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.rwc.Close()
	}
	s.mu.Unlock()
	if s.H2C != nil {
		return s.H2C.Close()
	}
	return nil
}

func (s *Server) track(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) untrack(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		_ = l.Close()
	}
	s.listeners = nil
	if s.h2cLis != nil {
		_ = s.h2cLis.Close()
	}
}

func (s *Server) add(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[*conn]struct{})
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// closeIdle closes the connections waiting for a request, reporting whether none is left.
// A connection still new after five seconds counts as idle, as in net/http.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().Unix()
	for c := range s.conns {
		st, since := c.getState()
		if st == http.StateIdle || (st == http.StateNew && now-since > 5) {
			_ = c.rwc.Close()
			delete(s.conns, c)
		}
	}
	return len(s.conns) == 0
}

func (s *Server) setState(c net.Conn, st http.ConnState) {
	if s.ConnState != nil {
		s.ConnState(c, st)
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// serveH2C hands c (which replays what was read of it) to the H2C server, started with the
// first such connection; false if that server is done, and c closed.
func (s *Server) serveH2C(c net.Conn) bool {
	s.h2cOnce.Do(func() {
		s.mu.Lock()
		s.h2cLis = newHandoff(c.LocalAddr())
		if s.closing.Load() {
			_ = s.h2cLis.Close()
		}
		s.mu.Unlock()
		go func() {
			_ = s.H2C.Serve(s.h2cLis)
			// Serve returned (shut down): nobody accepts any longer.
			_ = s.h2cLis.Close()
		}()
	})
	if !s.h2cLis.give(c) {
		_ = c.Close()
		return false
	}
	return true
}
