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

// Package rawio reads and writes a TCP connection's socket with raw system calls, for the
// proxy's hot path: the same non-blocking reads and writes as net.Conn's, through the same
// netpoller (syscall.RawConn), without the scheduler's system call bookkeeping around them.
//
// net.Conn's Read and Write enter the system call through the runtime (entersyscall), so
// that a call that blocks can hand its processor to another thread. Once the proxy has had
// nothing to do for a moment, the runtime's monitor thread (sysmon) sleeps, and the first
// such call wakes it with a futex. At 5,000 proxied requests/s on one core that was 0.7
// futex calls, 0.5 monitor sleeps and 2 context switches per request (nginx: 0.75), and
// about a sixth of the CPU. A socket's descriptor here is non-blocking: a read or a write
// returns at once, with data or EAGAIN, in microseconds, and has nothing to hand over. So
// these go straight to the kernel (syscall.RawSyscall), and EAGAIN waits on the netpoller
// as net.Conn's does, under the connection's deadlines.
//
// They are recvfrom and sendto rather than read and write, as nginx's recv: the same socket
// calls, without the file layer that read and write pass through on their way to the
// socket (about a tenth of a microsecond a call here). sendto also says MSG_NOSIGNAL, so a
// write to a connection the peer has closed fails with EPIPE and raises no SIGPIPE.
package rawio

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/portico-dev/portico/internal/race"
)

// Conn reads and writes the socket of a connection. Reads may run alongside writes; each
// direction is one call at a time, as net.Conn's.
type Conn struct {
	c  net.Conn
	rc syscall.RawConn

	// The current read's and write's, for the functions RawConn calls (made once: a
	// closure per call would allocate).
	rmu   sync.Mutex
	rbuf  []byte
	rn    int
	rerr  syscall.Errno
	rwait func() // ReadBeforeWait's, called at the first EAGAIN
	readF func(uintptr) bool

	wmu    sync.Mutex
	wbuf   []byte
	wn     int
	werr   syscall.Errno
	wzero  bool
	writeF func(uintptr) bool

	sendReadF func(uintptr) bool // SendThenRead's, made on its first call
}

// Socket is a connection that wraps a TCP connection without changing its reads and writes
// (edge's listener's, which gives back its slot on Close), so that New may use the socket.
type Socket interface {
	Socket() *net.TCPConn
}

// New returns a Conn for c's socket, or nil when c is neither a *net.TCPConn nor a Socket
// (TLS, a test's pipe), or under the race detector: c's own Read and Write serve then.
// Package syscall's calls tell the detector that a write to any descriptor happens before a
// read that follows it, an order that tests, above all, rely on; raw calls would not, and
// going through package syscall here deepens an idle connection's parked stack past its
// first 4 KiB (TestWebSocketLoad's budget). make test runs rawio, h1, upstream and the proxy
// without the detector as well.
func New(c net.Conn) *Conn {
	if race.Enabled {
		return nil
	}
	return newConn(c)
}

// ReadWriter is what reads and writes c: its socket's Conn when New gives one, c itself
// otherwise.
func ReadWriter(c net.Conn) io.ReadWriter {
	if r := New(c); r != nil {
		return r
	}
	return c
}

func newConn(c net.Conn) *Conn {
	var sock *net.TCPConn
	switch c := c.(type) {
	case *net.TCPConn:
		sock = c
	case Socket:
		sock = c.Socket()
	default:
		return nil
	}
	rc, err := sock.SyscallConn()
	if err != nil {
		return nil
	}
	r := &Conn{c: c, rc: rc}
	r.readF = r.readFD
	r.writeF = r.writeFD
	return r
}

// readFD is RawConn.Read's function: one read into rbuf, false (wait) on EAGAIN.
func (r *Conn) readFD(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(unsafe.SliceData(r.rbuf))), uintptr(len(r.rbuf)), 0, 0, 0)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if w := r.rwait; w != nil {
				r.rwait = nil
				w()
			}
			return false
		}
		r.rn, r.rerr = int(n), e
		return true
	}
}

// writeFD is RawConn.Write's function: writes wbuf from wn on, false (wait) on EAGAIN.
func (r *Conn) writeFD(fd uintptr) bool {
	for r.wn < len(r.wbuf) {
		n, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&r.wbuf[r.wn])), uintptr(len(r.wbuf)-r.wn),
			syscall.MSG_NOSIGNAL, 0, 0)
		switch e {
		case 0:
			if n == 0 {
				r.wzero = true // as net's: a write that takes nothing is the end
				return true
			}
			r.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			r.werr = e
			return true
		}
	}
	return true
}

// Read reads into p as net.Conn's Read does: io.EOF at the stream's end, and errors as
// *net.OpError of the "read" operation (a deadline's satisfies os.ErrDeadlineExceeded).
func (r *Conn) Read(p []byte) (int, error) { return r.read(p, nil) }

// ReadBeforeWait reads into p as Read does, and when nothing has come yet calls beforeWait,
// once, before it waits: a caller that needs a deadline only for a wait (an idle timeout)
// sets it there. Within the one read, a byte that comes while beforeWait runs still wakes
// the wait (the netpoller's readiness was reset before the first attempt), so the caller
// does not try again after setting it: a failed system call less than trying, then setting
// the deadline, then reading. beforeWait does not run when the read fails before looking
// (a deadline that has passed, a closed connection).
func (r *Conn) ReadBeforeWait(p []byte, beforeWait func()) (int, error) {
	return r.read(p, beforeWait)
}

func (r *Conn) read(p []byte, beforeWait func()) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.rmu.Lock()
	r.rbuf, r.rn, r.rerr, r.rwait = p, 0, 0, beforeWait
	err := r.rc.Read(r.readF)
	n, e := r.rn, r.rerr
	r.rbuf, r.rwait = nil, nil
	r.rmu.Unlock()

	switch {
	case err != nil:
		return 0, r.opError("read", err)
	case e != 0:
		return 0, r.opError("read", os.NewSyscallError("read", e))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p as net.Conn's Write does, waiting while the socket's buffer is full.
func (r *Conn) Write(p []byte) (int, error) {
	r.wmu.Lock()
	r.wbuf, r.wn, r.werr, r.wzero = p, 0, 0, false
	err := r.rc.Write(r.writeF)
	n, e, zero := r.wn, r.werr, r.wzero
	r.wbuf = nil
	r.wmu.Unlock()
	switch {
	case err != nil:
		return n, r.opError("write", err)
	case e != 0:
		return n, r.opError("write", os.NewSyscallError("write", e))
	case zero:
		return n, r.opError("write", io.ErrUnexpectedEOF)
	}
	return n, nil
}

// SendThenRead writes w, then reads into p as Read does, in one RawConn.Read: for a client
// that sends a request and waits for its answer on the same goroutine. Read would first try
// the socket, find nothing (the peer has only just been sent the request) and then wait;
// here the netpoller's readiness is reset before the send, so the wait begins at once and
// an answer however quick still ends it: one failed system call fewer per exchange that
// waits, the usual case below saturation.
//
// sent is how much of w went out. The send does not wait: a socket whose buffer w does not
// fit in returns with sent < len(w), n == 0 and no error, and the caller writes the rest
// (Write) and reads (Read) as usual. An error with sent < len(w) is the write's; with all of
// w sent, the read's.
func (r *Conn) SendThenRead(w, p []byte) (sent, n int, err error) {
	if len(w) == 0 {
		n, err = r.Read(p)
		return 0, n, err
	}
	r.rmu.Lock()
	r.wmu.Lock()
	if r.sendReadF == nil {
		r.sendReadF = r.sendReadFD
	}
	r.wbuf, r.wn, r.werr, r.wzero = w, 0, 0, false
	r.rbuf, r.rn, r.rerr, r.rwait = p, 0, 0, nil
	rerr := r.rc.Read(r.sendReadF)
	sent, werr, wzero := r.wn, r.werr, r.wzero
	n, e := r.rn, r.rerr
	r.wbuf, r.rbuf = nil, nil
	r.wmu.Unlock()
	r.rmu.Unlock()

	switch {
	case werr != 0:
		return sent, 0, r.opError("write", os.NewSyscallError("write", werr))
	case wzero:
		return sent, 0, r.opError("write", io.ErrUnexpectedEOF)
	case rerr != nil:
		op := "read"
		if sent < len(w) {
			op = "write" // a deadline passed, or the connection closed, before the send
		}
		return sent, 0, r.opError(op, rerr)
	case sent < len(w):
		return sent, 0, nil // the socket's buffer is full: the caller writes the rest
	case e != 0:
		return sent, 0, r.opError("read", os.NewSyscallError("read", e))
	case n == 0 && len(p) > 0:
		return sent, 0, io.EOF
	}
	return sent, n, nil
}

// sendReadFD is SendThenRead's function for RawConn.Read: the send on the first call, then
// false (wait) without trying a read; a read on the calls after.
func (r *Conn) sendReadFD(fd uintptr) bool {
	if r.wn < len(r.wbuf) {
		if !r.writeFD(fd) || r.werr != 0 || r.wzero {
			return true // EAGAIN (the rest for the caller's Write), or the write failed
		}
		return false
	}
	return r.readFD(fd)
}

// opError is err as net.Conn's operation op reports it: RawConn's own errors (a deadline, a
// closed connection) name their operation "raw-read" or "raw-write".
func (r *Conn) opError(op string, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		e := *oe
		e.Op = op
		return &e
	}
	return &net.OpError{Op: op, Net: "tcp", Source: r.c.LocalAddr(), Addr: r.c.RemoteAddr(), Err: err}
}

// Peek looks for a byte to read on fd without taking it nor waiting (recv with MSG_PEEK and
// MSG_DONTWAIT), into b, and returns the call's error: EAGAIN when there is none.
func Peek(fd uintptr, b []byte) syscall.Errno {
	for {
		n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e == 0 && n == 0 {
			return 0 // the end of the stream: readable
		}
		return e
	}
}
