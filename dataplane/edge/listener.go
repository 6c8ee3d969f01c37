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
	if n <= 0 {
		n = DefaultMaxConnections()
	}
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	closeOnce sync.Once
	done      chan struct{} // closed by Close: Accept stops waiting for a slot
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	release := func() { <-l.sem }
	if tc, ok := c.(*net.TCPConn); ok {
		return &tcpConn{TCPConn: tc, release: release}, nil
	}
	return &conn{Conn: c, release: release}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
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
