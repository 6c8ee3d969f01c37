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
	"net"
	"sync"
	"sync/atomic"
)

// Listener returns l serving at most n connections at once (n <= 0: DefaultMaxConnections).
// Accept waits for a served connection to close before taking the next one from the
// kernel: connections over the cap wait in the listen backlog, costing the proxy no memory
// and no file, and are served in turn (or refused by the kernel once the backlog is full).
//
// golang.org/x/net/netutil.LimitListener does the same, but its connections hide
// *net.TCPConn's CloseWrite, which net/http needs to close a connection after an error
// answer (431, 408) without the client's unread bytes turning it into a reset that loses
// the answer.
func Listener(l net.Listener, n int) net.Listener {
	return NewSlots(n).Listener(l)
}

// Slots are a cap on the connections served at once that several listeners share (the
// proxy's HTTP and HTTPS listeners): the cap is the process's files and memory, whichever
// listener the clients come through. A listener waits for a free slot before it accepts, so
// that connections over the cap wait in the kernel's backlog, and takes one after: of two
// listeners that found the last slot free at once, one holds its accepted connection (a file,
// no memory) unserved until another closes.
type Slots struct {
	mu   sync.Mutex
	cond *sync.Cond
	used int
	max  int
}

// NewSlots returns n slots; zero or less: DefaultMaxConnections().
func NewSlots(n int) *Slots {
	if n <= 0 {
		n = DefaultMaxConnections()
	}
	s := &Slots{max: n}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Listener returns l capped by the slots.
func (s *Slots) Listener(l net.Listener) net.Listener {
	return &limitListener{Listener: l, slots: s}
}

// await returns once a slot is free, taking it when take is set, or false once closed says
// the listener is closed.
func (s *Slots) await(closed *atomic.Bool, take bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.used >= s.max && !closed.Load() {
		s.cond.Wait()
	}
	if closed.Load() {
		return false
	}
	if take {
		s.used++
	}
	return true
}

func (s *Slots) release() {
	s.mu.Lock()
	s.used--
	s.mu.Unlock()
	s.cond.Broadcast()
}

type limitListener struct {
	net.Listener
	slots  *Slots
	closed atomic.Bool // set by Close: Accept stops waiting for a slot
}

func (l *limitListener) Accept() (net.Conn, error) {
	if !l.slots.await(&l.closed, false) {
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if !l.slots.await(&l.closed, true) {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &tcpConn{TCPConn: tc, release: l.slots.release}, nil
	}
	return &conn{Conn: c, release: l.slots.release}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	// Under the lock, so that a waiter between its check and its Wait cannot miss it.
	l.slots.mu.Lock()
	l.closed.Store(true)
	l.slots.mu.Unlock()
	l.slots.cond.Broadcast()
	return err
}

// tcpConn keeps *net.TCPConn's methods (CloseWrite, ReadFrom for sendfile and splice) and
// gives back its slot on Close.
type tcpConn struct {
	*net.TCPConn
	once    sync.Once
	release func()
}

// Socket returns the socket c reads and writes as it is (rawio).
func (c *tcpConn) Socket() *net.TCPConn { return c.TCPConn }

func (c *tcpConn) Close() error {
	err := c.TCPConn.Close()
	c.once.Do(c.release)
	return err
}

// conn is any other connection, giving back its slot on Close.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
