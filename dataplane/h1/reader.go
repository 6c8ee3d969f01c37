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

package h1

import (
	"errors"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// connReader is what a connection's bufio.Reader reads from: it bounds what a request's
// header may take (remain), and lets a watch read one byte in the background, while a
// handler runs, to notice the client going away.
//
// Reads by the connection and by the watch never overlap: the watch is armed only once
// the request's body is read to its end (or it has none), and stopWatch, which waits for
// the watch's read to end, runs before the connection is read again or handed over.
type connReader struct {
	rwc net.Conn
	// rw reads and writes rwc: through its socket without the scheduler's system call
	// bookkeeping when it is one (rawio). The connection writes through it too.
	rw     io.ReadWriter
	remain int64
	// hasByte and byteBuf hold a byte the watch read (the start of a pipelined request):
	// written by the watch before it closes done, read by the connection after stopWatch.
	hasByte bool
	byteBuf [1]byte

	// dl is the read deadline set, in Unix nanoseconds (0: none), so that the connection
	// can leave a deadline that still serves: set by the connection's goroutine, the watch's
	// and a handler's (http.ResponseController, maybe from a transport reading the body).
	dl atomic.Int64

	// The watch, guarded by mu: armWatch may run on the goroutine reading a body (a
	// transport's), stopWatch on the connection's, fire on the timer's.
	mu       sync.Mutex
	timer    *time.Timer
	pending  bool            // the timer is set: it fires, and waits on for a later request
	since    time.Time       // when the watch was armed
	armed    bool            // the timer may start the watch
	running  bool            // the watch's read started
	done     chan struct{}   // closed when the watch's read ended
	rctx     *requestContext // the request's, ended when the client went away
	aborting bool            // stopWatch ended the read: its error is not the client's

	// tap records a head that http.ReadRequest reads (readRequestInto).
	tap headTap
}

// setDeadline sets the read deadline and keeps it.
func (cr *connReader) setDeadline(t time.Time) error {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	cr.dl.Store(ns)
	return cr.rwc.SetReadDeadline(t)
}

// clearDeadline removes the read deadline, if one is set.
func (cr *connReader) clearDeadline() {
	if cr.dl.Load() != 0 {
		_ = cr.setDeadline(timeZero)
	}
}

// atLeast gives the next read d from now, and at most a quarter more: a deadline set for
// the last request, moments ago, is left as it is. Setting one is a timer update in the
// runtime; this way a kept-alive connection pays it about once in a quarter of d, rather
// than three times per request. Zero d: no deadline.
func (cr *connReader) atLeast(now time.Time, d time.Duration) {
	if d <= 0 {
		cr.clearDeadline()
		return
	}
	lo := now.Add(d).UnixNano()
	if cur := cr.dl.Load(); cur >= lo && cur <= lo+int64(d/4) {
		return
	}
	_ = cr.setDeadline(now.Add(d + d/4))
}

func (cr *connReader) setLimit(n int64) { cr.remain = n }
func (cr *connReader) noLimit()         { cr.remain = math.MaxInt64 }
func (cr *connReader) hitLimit() bool   { return cr.remain <= 0 }

func (cr *connReader) Read(p []byte) (int, error) {
	if cr.remain <= 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > cr.remain {
		p = p[:cr.remain]
	}
	if cr.hasByte {
		p[0] = cr.byteBuf[0]
		cr.hasByte = false
		cr.remain--
		cr.tap.record(p[:1])
		return 1, nil
	}
	n, err := cr.rw.Read(p)
	cr.remain -= int64(n)
	cr.tap.record(p[:n])
	return n, err
}

// armWatch starts watching the connection ClientWatchDelay after now; rctx is the request's,
// ended when the client goes away. Requests that end sooner cost no goroutine, and no
// timer update: the timer set for an earlier request is left to fire, and then waits on
// for what is left of the current one's delay (fire). A kept-alive connection busy with
// short requests so updates its timer about once per ClientWatchDelay.
func (cr *connReader) armWatch(rctx *requestContext, now time.Time) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.armed {
		return
	}
	cr.rctx = rctx
	cr.armed = true
	cr.since = now
	if cr.pending {
		return
	}
	cr.pending = true
	if cr.timer == nil {
		cr.timer = time.AfterFunc(ClientWatchDelay, cr.fire)
		return
	}
	cr.timer.Reset(ClientWatchDelay)
}

// fire runs on the timer's goroutine: it becomes the watch, once the watch has been armed
// for ClientWatchDelay. A fire set for an earlier request finds the watch disarmed, or
// armed for a later one, for which it sets the timer again.
func (cr *connReader) fire() {
	cr.mu.Lock()
	if !cr.armed || cr.running || cr.hasByte {
		cr.pending = false
		cr.mu.Unlock()
		return
	}
	if left := ClientWatchDelay - time.Since(cr.since); left > 0 {
		cr.timer.Reset(left)
		cr.mu.Unlock()
		return
	}
	cr.pending = false
	cr.running = true
	cr.aborting = false
	done := make(chan struct{})
	cr.done = done
	rctx := cr.rctx
	cr.mu.Unlock()

	// The connection may have left the idle deadline set (atLeast): the watch reads for
	// as long as the request runs.
	cr.clearDeadline()
	n, err := cr.rwc.Read(cr.byteBuf[:])
	cr.mu.Lock()
	aborted := cr.aborting
	cr.mu.Unlock()
	switch {
	case n == 1:
		// The client sent the next request (pipelining) or more bytes: it is there.
		cr.hasByte = true
	case err != nil && (!aborted || !errors.Is(err, os.ErrDeadlineExceeded)):
		rctx.cancel()
	}
	close(done)
}

// stopWatch disarms the watch and waits for its read to end, so that the connection can be
// read again (or handed over).
func (cr *connReader) stopWatch() {
	cr.mu.Lock()
	if !cr.armed {
		cr.mu.Unlock()
		return
	}
	cr.armed = false // the timer, left set, finds the watch disarmed, or armed again (fire)
	if !cr.running {
		cr.mu.Unlock()
		return
	}
	cr.aborting = true
	done := cr.done
	cr.mu.Unlock()
	_ = cr.setDeadline(aLongTimeAgo)
	<-done
	_ = cr.setDeadline(timeZero)
	cr.mu.Lock()
	cr.running, cr.rctx = false, nil
	cr.mu.Unlock()
}

// aLongTimeAgo is a deadline in the past, which makes a pending read return.
var aLongTimeAgo = time.Unix(1, 0)
