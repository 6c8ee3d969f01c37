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

// Package h1test measures servers without the kernel: a connection in memory that sends
// the same request each time the server answered the last one. A server's CPU per request
// on it is its own work (parsing, handler, writing), steady on a busy machine, where a
// loopback benchmark's figure moves with what the kernel spends waking the other side.
package h1test

import (
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// Conn is one client connection in memory. Once the previous answer was written (one Write
// ending with a flush), Request can be read, in one Read or in pieces; until then Read
// waits, as a client waiting for its answer would leave the connection quiet (a server's
// background read, net/http's, then waits too, until the server aborts it with a read
// deadline in the past). After N requests Read returns io.EOF.
type Conn struct {
	Request []byte

	mu       sync.Mutex
	left     int
	off      int           // how much of the current request was read
	cur      []byte        // the current request: Request, or nil before the first
	turn     chan struct{} // a token: the next request may be read
	deadline chan struct{} // closed when the read deadline passed
	closed   chan struct{}
	once     sync.Once
	done     chan struct{}
	answered int
}

// NewConn returns a connection that sends request n times.
func NewConn(request string, n int) *Conn {
	c := &Conn{Request: []byte(request), left: n, turn: make(chan struct{}, 1),
		deadline: make(chan struct{}), closed: make(chan struct{}), done: make(chan struct{})}
	c.turn <- struct{}{}
	return c
}

// Done is closed when the server answered the last request.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Read returns what is left of the current request, or waits for the answer to it and
// returns the next.
func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.off < len(c.cur) {
		n := copy(p, c.cur[c.off:])
		c.off += n
		c.mu.Unlock()
		return n, nil
	}
	dl := c.deadline
	c.mu.Unlock()
	select {
	case <-c.turn:
	case <-dl:
		return 0, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, net.ErrClosed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left == 0 {
		return 0, io.EOF
	}
	c.left--
	c.cur = c.Request
	c.off = copy(p, c.cur)
	return c.off, nil
}

// Write counts an answer per call: the servers measured write a small response at once.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.answered++
	last := c.left == 0
	c.mu.Unlock()
	if last {
		c.once.Do(func() { close(c.done) })
	}
	select {
	case c.turn <- struct{}{}:
	default:
	}
	return len(p), nil
}

// Close ends the connection: pending and later reads fail.
func (c *Conn) Close() error {
	c.once.Do(func() { close(c.done) })
	select {
	case <-c.closed:
	default:
		close(c.closed)
	}
	return nil
}

// LocalAddr is a made-up server address.
func (c *Conn) LocalAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

// RemoteAddr is a made-up client address.
func (c *Conn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }

// SetDeadline sets the read deadline: writes never wait.
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline wakes a pending Read when t is in the past (how servers abort a read);
// later deadlines never pass here.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.IsZero() && !t.After(time.Now()) {
		select {
		case <-c.deadline:
		default:
			close(c.deadline)
		}
		return nil
	}
	select {
	case <-c.deadline:
		c.deadline = make(chan struct{})
	default:
	}
	return nil
}

// SetWriteDeadline does nothing: writes never wait.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }

// Listener hands out one connection, then blocks until closed.
type Listener struct {
	conn   net.Conn
	once   sync.Once
	closed chan struct{}
	given  bool
	mu     sync.Mutex
}

// NewListener returns a listener whose only connection is c.
func NewListener(c net.Conn) *Listener { return &Listener{conn: c, closed: make(chan struct{})} }

// Accept returns the connection once, then waits for Close.
func (l *Listener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if !l.given {
		l.given = true
		l.mu.Unlock()
		return l.conn, nil
	}
	l.mu.Unlock()
	<-l.closed
	return nil, net.ErrClosed
}

// Close makes Accept return net.ErrClosed.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is the connection's local address.
func (l *Listener) Addr() net.Addr { return l.conn.LocalAddr() }

// Bench serves b.N copies of request on one connection in memory with serve (a server's
// Serve), and reports allocations. close stops the server.
func Bench(b *testing.B, serve func(net.Listener) error, close func() error, request string) {
	b.Helper()
	c := NewConn(request, b.N)
	l := NewListener(c)
	b.ReportAllocs()
	b.ResetTimer()
	go func() { _ = serve(l) }()
	<-c.Done()
	b.StopTimer()
	_ = close()
}
