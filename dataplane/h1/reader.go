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

	"github.com/portico-dev/portico/internal/clock"
	"github.com/portico-dev/portico/internal/rawio"
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
	rw io.ReadWriter
	// idle, while next waits for a request with rw the socket's rawio.Conn, is the idle
	// timeout that its read sets before it waits (idleWait, as beforeWait), when it must;
	// waited reports that it did.
	idle     time.Duration
	waited   bool
	idleWait func()
	remain   int64
	// hasByte and byteBuf hold a byte the watch read (the start of a pipelined request):
	// written by the watch before it closes done, read by the connection after stopWatch.
	hasByte bool
	byteBuf [1]byte

	// dl is the read deadline set, in Unix nanoseconds (0: none), so that the connection
	// can leave a deadline that still serves: set by the connection's goroutine, the watch's
	// and a handler's (http.ResponseController, maybe from a transport reading the body).
	dl atomic.Int64

	// list is the server's, whose goroutine starts the watch (look).
	list *watchList
	// The watch, guarded by mu: armWatch may run on the goroutine reading a body (a
	// transport's), stopWatch on the connection's, look on the list's.
	mu       sync.Mutex
	listed   bool            // in list
	gone     bool            // the connection is closed or handed over (leave)
	since    time.Time       // when the watch was last armed
	armed    bool            // the list may start the watch
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

// setIdle is idleWait: the wait for the next request begins, under the idle timeout.
func (cr *connReader) setIdle() {
	cr.waited = true
	cr.atLeast(clock.Now(), cr.idle)
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
	var n int
	var err error
	if cr.idle > 0 {
		n, err = cr.rw.(*rawio.Conn).ReadBeforeWait(p, cr.idleWait)
	} else {
		n, err = cr.rw.Read(p)
	}
	cr.remain -= int64(n)
	cr.tap.record(p[:n])
	return n, err
}

// armWatch starts watching the connection ClientWatchDelay after now (or up to watchTick
// later); rctx is the request's, ended when the client goes away. Requests that end sooner
// cost no goroutine and no timer: the server's list looks at the connection, listed by its
// first request and kept for watchLinger after its last.
func (cr *connReader) armWatch(rctx *requestContext, now time.Time) {
	cr.mu.Lock()
	if cr.armed {
		cr.mu.Unlock()
		return
	}
	cr.rctx = rctx
	cr.armed = true
	cr.since = now
	add := !cr.listed
	cr.listed = true
	cr.mu.Unlock()
	if add {
		cr.list.add(cr) // outside mu: the list's lock comes first (look)
	}
}

// look runs on the list's goroutine, under its lock: it starts the watch of a request armed
// for ClientWatchDelay, and reports whether the connection stays listed: while its request
// is not yet due, or for watchLinger after its last one.
func (cr *connReader) look(now time.Time) bool {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	switch {
	case cr.gone:
	case cr.armed && !cr.running && !cr.hasByte:
		if now.Sub(cr.since) < ClientWatchDelay {
			return true
		}
		cr.running = true
		cr.aborting = false
		cr.done = make(chan struct{})
		// The connection may have left the idle deadline set (atLeast): the watch reads
		// for as long as the request runs. Cleared here, under mu, rather than by the
		// watch: a stopWatch that comes before the watch's goroutine runs sets its
		// deadline in the past after this, and the read ends at once.
		cr.clearDeadline()
		go cr.watch(cr.done, cr.rctx)
	case !cr.armed && now.Sub(cr.since) < watchLinger:
		return true
	}
	// Gone, watched, or with a byte of the next request already read, or quiet: the next
	// armWatch (if any) lists it again.
	cr.listed = false
	return false
}

// watch reads a byte of the connection while the request runs: the start of the next one
// (the client pipelines), or the end, which cancels the request's context, unless stopWatch
// ended the read.
func (cr *connReader) watch(done chan struct{}, rctx *requestContext) {
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
	cr.armed = false
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

// leave stops the watch for good: the connection is closed or handed over, and the list
// drops it at its next look rather than keep it (and its memory) for watchLinger.
func (cr *connReader) leave() {
	cr.stopWatch()
	cr.mu.Lock()
	cr.gone = true
	cr.mu.Unlock()
}

// aLongTimeAgo is a deadline in the past, which makes a pending read return.
var aLongTimeAgo = time.Unix(1, 0)
