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

package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/race"
	"github.com/portico-dev/portico/internal/testkit"
)

// wrapped is a connection that keeps its socket's reads and writes (Socket).
type wrapped struct{ *net.TCPConn }

func (w wrapped) Socket() *net.TCPConn { return w.TCPConn }

func TestNew(t *testing.T) {
	c, _ := testkit.TCPPair(t)
	if got := New(c); (got == nil) != race.Enabled {
		t.Errorf("New under the race detector %v: %v", race.Enabled, got)
	}
	if newConn(c) == nil || newConn(wrapped{c}) == nil {
		t.Error("no Conn for a TCP connection")
	}
	p1, p2 := net.Pipe()
	defer func() { _ = p1.Close(); _ = p2.Close() }()
	if newConn(p1) != nil {
		t.Error("a Conn for a pipe")
	}
	if newConn(struct{ net.Conn }{c}) != nil {
		t.Error("a Conn for a wrapper that may change the reads (not a Socket)")
	}
}

// Four MiB each way at once: the writes find the buffers full and wait, the reads find
// nothing and wait, and every byte arrives in order.
func TestReadWrite(t *testing.T) {
	c, s := testkit.TCPPair(t)
	rc, rs := newConn(c), newConn(s)
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	errs := make(chan error, 2)
	for _, w := range []*Conn{rc, rs} {
		go func() {
			n, err := w.Write(data)
			if err == nil && n != len(data) {
				err = io.ErrShortWrite
			}
			errs <- err
		}()
	}
	for _, r := range []*Conn{rs, rc} {
		got := make([]byte, len(data))
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("the bytes read are not those written")
		}
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := rc.Read(nil); n != 0 || err != nil {
		t.Errorf("empty read: %d, %v", n, err)
	}
}

// ReadBeforeWait reads what has come without calling beforeWait; finding nothing, it calls
// it once and waits, and a byte sent while beforeWait runs (after the attempt that found
// nothing) ends the wait: the read's deadline, set there, would fail the test otherwise. A
// deadline set there holds the wait; one that passed before the read fails it without a call.
func TestReadBeforeWait(t *testing.T) {
	c, s := testkit.TCPPair(t)
	r := newConn(c)
	buf := make([]byte, 8)
	_, _ = s.Write([]byte("ab"))
	got := ""
	for len(got) < 2 { // the bytes may come apart: a wait for the second is allowed
		n, err := r.ReadBeforeWait(buf, func() {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		})
		if err != nil {
			t.Fatal(err)
		}
		got += string(buf[:n])
	}
	if got != "ab" {
		t.Fatalf("read %q; want ab", got)
	}
	calls := 0
	n, err := r.ReadBeforeWait(buf, func() {
		calls++
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		_, _ = s.Write([]byte("c"))
	})
	if err != nil || string(buf[:n]) != "c" || calls != 1 {
		t.Fatalf("byte sent before the wait: %q, %v, %d calls; want c, once", buf[:n], err, calls)
	}
	calls = 0
	_, err = r.ReadBeforeWait(buf, func() {
		calls++
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	})
	if !errors.Is(err, os.ErrDeadlineExceeded) || calls != 1 {
		t.Fatalf("deadline set before the wait: %v, %d calls; want a timeout, one call", err, calls)
	}
	calls = 0
	_, err = r.ReadBeforeWait(buf, func() { calls++ })
	if !errors.Is(err, os.ErrDeadlineExceeded) || calls != 0 {
		t.Fatalf("deadline passed before the read: %v, %d calls; want a timeout, none", err, calls)
	}
	_ = c.SetReadDeadline(time.Time{})
	_ = s.Close()
	if _, err := r.ReadBeforeWait(buf, func() {}); !errors.Is(err, io.EOF) {
		t.Fatalf("after the end: %v; want io.EOF", err)
	}
}

// SendThenRead sends, then waits for the answer without trying a read first, and gets it
// however quick (the peer here answers as soon as it reads); a send the socket's buffer
// cannot hold returns what went out for the caller to finish; errors are the write's until
// all is sent, then the read's.
func TestSendThenRead(t *testing.T) {
	c, s := testkit.TCPPair(t)
	r := newConn(c)
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := s.Read(buf)
			if err != nil {
				return
			}
			if _, err := s.Write(bytes.ToUpper(buf[:n])); err != nil {
				return
			}
		}
	}()
	p := make([]byte, 64)
	for range 100 {
		sent, n, err := r.SendThenRead([]byte("ping"), p)
		if err != nil || sent != 4 {
			t.Fatalf("SendThenRead: %d, %d, %v", sent, n, err)
		}
		got := string(p[:n])
		for len(got) < 4 { // the answer may come apart: the rest is a plain read
			m, err := r.Read(p)
			if err != nil {
				t.Fatal(err)
			}
			got += string(p[:m])
		}
		if got != "PING" {
			t.Fatalf("answer %q; want PING", got)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if sent, n, err := r.SendThenRead(nil, p); sent != 0 || n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("nothing to send, no answer: %d, %d, %v", sent, n, err)
	}
	_ = c.SetReadDeadline(time.Time{})
}

func TestSendThenReadBufferFullAndErrors(t *testing.T) {
	c, s := testkit.TCPPair(t)
	r := newConn(c)
	big := make([]byte, 64<<20) // more than the buffers hold, and nothing reads it
	sent, n, err := r.SendThenRead(big, make([]byte, 8))
	if err != nil || sent == 0 || sent >= len(big) || n != 0 {
		t.Fatalf("a send the buffers cannot hold: %d, %d, %v; want part of it sent, no error", sent, n, err)
	}
	var op *net.OpError
	_ = c.SetReadDeadline(time.Now().Add(-time.Second))
	if sent, _, err := r.SendThenRead([]byte("x"), make([]byte, 8)); sent != 0 || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &op) || op.Op != "write" {
		t.Errorf("a deadline passed before the send: %d, %v; want nothing sent, the write's timeout", sent, err)
	}
	_ = c.SetReadDeadline(time.Time{})

	_ = s.SetLinger(0)
	_ = s.Close() // a reset
	for {
		if _, _, err = r.SendThenRead([]byte("x"), make([]byte, 8)); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &op) {
		t.Errorf("send to a reset connection: %v", err)
	}

	c2, s2 := testkit.TCPPair(t)
	r2 := newConn(c2)
	go func() {
		b := make([]byte, 1)
		_, _ = s2.Read(b)
		_ = s2.Close()
	}()
	if sent, n, err := r2.SendThenRead([]byte("x"), make([]byte, 8)); sent != 1 || n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("the peer closes after the request: %d, %d, %v; want sent, io.EOF", sent, n, err)
	}
}

func TestEOF(t *testing.T) {
	c, s := testkit.TCPPair(t)
	_, _ = s.Write([]byte("ab"))
	_ = s.Close()
	r := newConn(c)
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "ab" {
		t.Fatalf("ReadAll: %q, %v", b, err)
	}
	if n, err := r.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %d, %v; want io.EOF", n, err)
	}
}

// Errors read as net.Conn's: a deadline's is a timeout of the "read" or "write" operation, a
// closed connection's net.ErrClosed, a reset one's the system call's error.
func TestErrors(t *testing.T) {
	c, s := testkit.TCPPair(t)
	r := newConn(c)
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := r.Read(make([]byte, 1))
	var op *net.OpError
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &op) || op.Op != "read" || !op.Timeout() {
		t.Errorf("read past the deadline: %v", err)
	}
	_ = c.SetReadDeadline(time.Time{})

	_ = c.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	big := make([]byte, 64<<20) // more than the buffers hold, and nothing reads it
	n, err := r.Write(big)
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &op) || op.Op != "write" || n >= len(big) {
		t.Errorf("write past the deadline: %d, %v", n, err)
	}

	_ = s.SetLinger(0)
	_ = s.Close() // a reset
	_ = c.SetWriteDeadline(time.Time{})
	for {
		if _, err = r.Write([]byte("x")); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &op) || op.Op != "write" {
		t.Errorf("write to a reset connection: %v", err)
	}

	_ = c.Close()
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read of a closed connection: %v", err)
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write to a closed connection: %v", err)
	}
}

// Peek tells nothing to read (EAGAIN) from bytes or the end, and takes nothing.
func TestPeek(t *testing.T) {
	c, s := testkit.TCPPair(t)
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	peek := func() (e syscall.Errno) {
		_ = rc.Read(func(fd uintptr) bool {
			var b [1]byte
			e = Peek(fd, b[:])
			return true
		})
		return e
	}
	if e := peek(); e != syscall.EAGAIN {
		t.Errorf("idle: %v, want EAGAIN", e)
	}
	_, _ = s.Write([]byte("x"))
	// Poll: the byte is on its way through the loopback.
	deadline := time.Now().Add(30 * time.Second)
	for peek() == syscall.EAGAIN {
		if time.Now().After(deadline) {
			t.Fatal("the byte never came")
		}
		time.Sleep(time.Millisecond)
	}
	if e := peek(); e != 0 {
		t.Errorf("with a byte: %v, want none", e)
	}
	b := make([]byte, 2)
	if n, _ := newConn(c).Read(b); n != 1 || b[0] != 'x' {
		t.Errorf("the byte peeked was taken: read %q", b[:n])
	}
	_ = s.Close()
	for peek() == syscall.EAGAIN {
		if time.Now().After(deadline) {
			t.Fatal("the end never came")
		}
		time.Sleep(time.Millisecond)
	}
}
