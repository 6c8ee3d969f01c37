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

package rawheader

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// TLSListener is tls.NewListener(l, cfg) whose HTTP/1.x connections follow their requests'
// framing, as Listener's do, and keep header names for those accepted while on returns true
// (nil: always).
//
// Requests are only readable once decrypted, and whether a connection speaks HTTP/1.x is only
// known once ALPN has chosen, so such a connection is handshaken here, in a goroutine of its
// own bounded by handshakeTimeout (zero: no bound, as for net/http; pass the server's
// ReadHeaderTimeout, from which net/http takes its own), so that a slow or silent client
// never holds up Accept for the others. Then Accept returns:
//
//   - for HTTP/1.x (ALPN "http/1.1", or none), a Conn over the *tls.Conn that also has
//     ConnectionState, from which net/http fills Request.TLS (SNI, client certificates) as
//     it does for a *tls.Conn;
//   - for any other protocol (h2), or after a failed handshake, the *tls.Conn itself, which
//     net/http serves as it always does: its own handshake call returns the result at once,
//     so HTTP/2 by ALPN, the handshake error log and the 400 answer to plain HTTP sent to the
//     TLS port are net/http's.
//
// Close stops handshakes in progress.
func TLSListener(l net.Listener, cfg *tls.Config, handshakeTimeout time.Duration, on func() bool) net.Listener {
	ctx, cancel := context.WithCancel(context.Background())
	return &tlsListener{Listener: l, cfg: cfg, timeout: handshakeTimeout, on: on,
		ready: make(chan net.Conn), errs: make(chan error), ctx: ctx, cancel: cancel}
}

type tlsListener struct {
	net.Listener
	cfg     *tls.Config
	timeout time.Duration
	on      func() bool

	start sync.Once
	// ready takes connections to Accept, errs the underlying listener's errors.
	ready chan net.Conn
	errs  chan error
	// ctx is done once Close is called.
	ctx    context.Context
	cancel context.CancelFunc
}

func (l *tlsListener) Accept() (net.Conn, error) {
	l.start.Do(func() { go l.acceptLoop() })
	select {
	case c := <-l.ready:
		if l.ctx.Err() != nil { // closed meanwhile: nobody is left to serve it
			_ = c.Close()
			return nil, net.ErrClosed
		}
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

func (l *tlsListener) Close() error {
	l.cancel()
	return l.Listener.Close()
}

// acceptLoop takes connections from the underlying listener for as long as it is open.
func (l *tlsListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			// Passed on as net/http would get it: it retries temporary errors and returns
			// (closing this listener) on others.
			select {
			case l.errs <- err:
			case <-l.ctx.Done():
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go l.handshake(tls.Server(c, l.cfg), l.on == nil || l.on())
	}
}

// handshake runs tc's handshake and passes the connection on as TLSListener says.
func (l *tlsListener) handshake(tc *tls.Conn, names bool) {
	if l.timeout > 0 {
		_ = tc.SetDeadline(time.Now().Add(l.timeout))
	}
	var c net.Conn = tc
	if err := tc.HandshakeContext(l.ctx); err == nil {
		_ = tc.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		switch st.NegotiatedProtocol {
		case "", "http/1.1", "http/1.0": // those net/http serves itself rather than by TLSNextProto
			c = &tlsConn{Conn: newConn(tc, names), state: st}
		}
	}
	l.deliver(c)
}

// deliver hands c to Accept, or closes it once the listener is closed.
func (l *tlsListener) deliver(c net.Conn) {
	select {
	case l.ready <- c:
	case <-l.ctx.Done():
		_ = c.Close()
	}
}

// tlsConn is a Conn over a *tls.Conn whose handshake is done.
type tlsConn struct {
	*Conn
	state tls.ConnectionState
}

// ConnectionState is what net/http sets Request.TLS from for a connection that is not a
// *tls.Conn.
func (c *tlsConn) ConnectionState() tls.ConnectionState { return c.state }

// connOf returns the Conn of a connection from a Listener or a TLSListener, else nil.
func connOf(c net.Conn) *Conn {
	switch c := c.(type) {
	case *Conn:
		return c
	case *tlsConn:
		return c.Conn
	}
	return nil
}
