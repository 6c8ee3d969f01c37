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

package upstream

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testkit"
)

// deadlinePair is a persistConn over one end of a loopback TCP connection, and the other end.
// With counted, the persistConn's connection counts the deadlines set on it (and is read and
// written as a net.Conn, not as a socket).
func deadlinePair(t *testing.T, o Options, counted bool) (*persistConn, *testkit.DeadlineCounts, net.Conn) {
	t.Helper()
	var c net.Conn
	c, peer := testkit.TCPPair(t)
	var n *testkit.DeadlineCounts
	if counted {
		c, n = testkit.CountConnDeadlines(c)
	}
	tr, _ := newTransport(t, o)
	return newPersistConn(&pool{t: tr}, c), n, peer
}

// A connection keeps the deadline an earlier request set while it comes a little before the
// new request's, and sets it otherwise.
func TestDeadlineKeptWhileClose(t *testing.T) {
	pc, cc, _ := deadlinePair(t, Options{}, true)
	base := time.Now()
	pc.idleSince = base
	for _, step := range []struct {
		name  string
		d     time.Time
		sets  int64
		early bool
	}{
		{"none, none before", time.Time{}, 0, false},
		{"first", base.Add(10 * time.Second), 1, false},
		{"the same", base.Add(10 * time.Second), 1, false},
		{"a millisecond later: kept", base.Add(10*time.Second + time.Millisecond), 1, true},
		{"an eighth of the time left later: kept", base.Add(10*time.Second + 1250*time.Millisecond), 1, true},
		{"more than that later", base.Add(10*time.Second + 1251*time.Millisecond), 2, false},
		{"earlier", base.Add(5 * time.Second), 3, false},
		{"none", time.Time{}, 4, false},
	} {
		pc.setDeadline(step.d)
		if set := cc.Read.Load(); set != step.sets || pc.early != step.early || !pc.due.Equal(step.d) {
			t.Fatalf("%s: %d set, early %v, due %v; want %d, %v", step.name, set, pc.early, pc.due, step.sets, step.early)
		}
	}

	pc, cc, _ = deadlinePair(t, Options{ResponseHeaderTimeout: time.Minute}, true)
	pc.idleSince = base
	pc.setDeadline(base.Add(10 * time.Second))
	pc.setDeadline(base.Add(10*time.Second + time.Millisecond))
	if set := cc.Read.Load(); set != 2 {
		t.Errorf("with a response header timeout: %d set, want every request's", set)
	}
}

// early arms pc with a deadline in d that comes before its request's, due.
func early(t *testing.T, pc *persistConn, d, due time.Time) {
	t.Helper()
	if err := pc.conn.SetDeadline(d); err != nil {
		t.Fatal(err)
	}
	pc.armed, pc.due, pc.early = d, due, true
}

// A kept deadline that passes before the request's own is not the request's timeout: reads
// and writes go on until the request's deadline, and end there.
func TestEarlyDeadlineGoesOn(t *testing.T) {
	t.Run("read", func(t *testing.T) {
		pc, _, peer := deadlinePair(t, Options{}, false)
		early(t, pc, time.Now().Add(20*time.Millisecond), time.Now().Add(time.Minute))
		time.AfterFunc(200*time.Millisecond, func() { _, _ = peer.Write([]byte("late")) })
		b := make([]byte, 8)
		n, err := pc.cr.Read(b)
		if err != nil || string(b[:n]) != "late" {
			t.Fatalf("read %q, %v; want the answer after the kept deadline", b[:n], err)
		}
	})
	t.Run("write", func(t *testing.T) {
		pc, _, peer := deadlinePair(t, Options{}, false)
		early(t, pc, time.Now().Add(-time.Second), time.Now().Add(time.Minute)) // passed already
		if n, err := (deadlineWriter{pc}).Write([]byte("hello")); n != 5 || err != nil {
			t.Fatalf("write: %d, %v", n, err)
		}
		b := make([]byte, 5)
		if _, err := io.ReadFull(peer, b); err != nil || string(b) != "hello" {
			t.Fatalf("peer read %q, %v", b, err)
		}
	})
	t.Run("the request's deadline ends it", func(t *testing.T) {
		pc, _, _ := deadlinePair(t, Options{}, false)
		due := time.Now().Add(300 * time.Millisecond)
		early(t, pc, time.Now().Add(20*time.Millisecond), due)
		_, err := pc.cr.Read(make([]byte, 8))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v, want the deadline", err)
		}
		if now := time.Now(); now.Before(due) {
			t.Errorf("the read ended %v before the request's deadline", due.Sub(now))
		}
	})
	t.Run("an interrupt ends it", func(t *testing.T) {
		pc, _, _ := deadlinePair(t, Options{}, false)
		due := time.Now().Add(time.Minute)
		early(t, pc, time.Now().Add(20*time.Millisecond), due)
		time.AfterFunc(100*time.Millisecond, pc.interrupt)
		_, err := pc.cr.Read(make([]byte, 8))
		if !errors.Is(err, os.ErrDeadlineExceeded) || !pc.cancelled.Load() {
			t.Fatalf("read: %v, cancelled %v; want the interrupt's deadline", err, pc.cancelled.Load())
		}
		if time.Now().After(due) {
			t.Error("the read waited for the request's deadline past the interrupt")
		}
	})
}

// At rest, the lean writer's request goes out with the first read of the answer (sendLater,
// connReader.sendThenRead): all of it when the socket's buffer takes it; when it does not,
// the rest is written as any request is, and the answer read after it.
func TestRequestSentWithTheFirstRead(t *testing.T) {
	pc, _, peer := deadlinePair(t, Options{}, false)
	if pc.rio == nil {
		t.Skip("no socket of our own (the race detector): requests are written at once")
	}
	// Under load (another request to the backend in flight) the request is written at once,
	// and the caller yields before reading (roundTrip's Gosched).
	pc.pool.inUse.Store(2)
	if (deadlineWriter{pc}).sendLater([]byte("x")) || pc.cr.pending != nil {
		t.Fatal("sendLater kept a request under load")
	}
	pc.pool.inUse.Store(1)
	for _, size := range []int{64, 8 << 20} {
		req := make([]byte, size)
		for i := range req {
			req[i] = byte('a' + i%26)
		}
		if !(deadlineWriter{pc}).sendLater(req) {
			t.Fatal("sendLater refused a socket's connection")
		}
		got := make(chan []byte, 1)
		go func() {
			b := make([]byte, size)
			if _, err := io.ReadFull(peer, b); err != nil {
				got <- nil
				return
			}
			got <- b
			_, _ = peer.Write([]byte("answer"))
		}()
		p := make([]byte, 16)
		n, err := pc.cr.Read(p)
		for err == nil && n < len("answer") {
			var m int
			m, err = pc.cr.Read(p[n:])
			n += m
		}
		if err != nil || string(p[:n]) != "answer" || pc.cr.pending != nil {
			t.Fatalf("%d bytes: read %q, %v, pending %d", size, p[:n], err, len(pc.cr.pending))
		}
		if b := <-got; string(b) != string(req) {
			t.Fatalf("%d bytes: the peer got %d bytes, not the request", size, len(b))
		}
	}
}
