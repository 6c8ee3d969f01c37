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

package testkit

import (
	"net"
	"sync/atomic"
	"time"
)

// DeadlineCounts counts the deadlines set on the connections of a CountDeadlines listener:
// each is a timer update in the runtime, which the request path avoids.
type DeadlineCounts struct{ Read, Write atomic.Int64 }

// CountDeadlines wraps l: the connections it accepts count their deadlines in the result.
func CountDeadlines(l net.Listener) (net.Listener, *DeadlineCounts) {
	n := new(DeadlineCounts)
	return countingListener{Listener: l, n: n}, n
}

// CountConnDeadlines wraps c: the deadlines set on it count in the result.
func CountConnDeadlines(c net.Conn) (net.Conn, *DeadlineCounts) {
	n := new(DeadlineCounts)
	return countingConn{Conn: c, n: n}, n
}

type countingListener struct {
	net.Listener
	n *DeadlineCounts
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, n: l.n}, nil
}

type countingConn struct {
	net.Conn
	n *DeadlineCounts
}

func (c countingConn) SetReadDeadline(t time.Time) error {
	c.n.Read.Add(1)
	return c.Conn.SetReadDeadline(t)
}

func (c countingConn) SetWriteDeadline(t time.Time) error {
	c.n.Write.Add(1)
	return c.Conn.SetWriteDeadline(t)
}

func (c countingConn) SetDeadline(t time.Time) error {
	c.n.Read.Add(1)
	c.n.Write.Add(1)
	return c.Conn.SetDeadline(t)
}
