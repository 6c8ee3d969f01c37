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
	rwc    net.Conn
	remain int64
	// hasByte and byteBuf hold a byte the watch read (the start of a pipelined request):
	// written by the watch before it closes done, read by the connection after stopWatch.
	hasByte bool
	byteBuf [1]byte

	// The watch, guarded by mu: armWatch may run on the goroutine reading a body (a
	// transport's), stopWatch on the connection's, fire on the timer's.
	mu       sync.Mutex
	timer    *time.Timer
	armed    bool          // the timer may start the watch
	running  bool          // the watch's read started
	done     chan struct{} // closed when the watch's read ended
	cancel   func()        // ends the request when the client went away
	aborting bool          // stopWatch ended the read: its error is not the client's
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
		return 1, nil
	}
	n, err := cr.rwc.Read(p)
	cr.remain -= int64(n)
	return n, err
}

// armWatch starts watching the connection after ClientWatchDelay; cancel ends the request
// when the client goes away. Requests that end sooner cost a timer reset, no goroutine.
func (cr *connReader) armWatch(cancel func()) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.armed {
		return
	}
	cr.cancel = cancel
	cr.armed = true
	if cr.timer == nil {
		cr.timer = time.AfterFunc(ClientWatchDelay, cr.fire)
		return
	}
	cr.timer.Reset(ClientWatchDelay)
}

// fire runs on the timer's goroutine: it becomes the watch. A fire left from an earlier
// request finds the watch disarmed, or armed for the current one (then it starts early).
func (cr *connReader) fire() {
	cr.mu.Lock()
	if !cr.armed || cr.running || cr.hasByte {
		cr.mu.Unlock()
		return
	}
	cr.running = true
	cr.aborting = false
	done := make(chan struct{})
	cr.done = done
	cancel := cr.cancel
	cr.mu.Unlock()

	n, err := cr.rwc.Read(cr.byteBuf[:])
	cr.mu.Lock()
	aborted := cr.aborting
	cr.mu.Unlock()
	switch {
	case n == 1:
		// The client sent the next request (pipelining) or more bytes: it is there.
		cr.hasByte = true
	case err != nil && (!aborted || !errors.Is(err, os.ErrDeadlineExceeded)):
		cancel()
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
	cr.timer.Stop() // a fire already on its way finds the watch disarmed, or running
	if !cr.running {
		cr.mu.Unlock()
		return
	}
	cr.aborting = true
	done := cr.done
	cr.mu.Unlock()
	_ = cr.rwc.SetReadDeadline(aLongTimeAgo)
	<-done
	_ = cr.rwc.SetReadDeadline(timeZero)
	cr.mu.Lock()
	cr.running, cr.cancel = false, nil
	cr.mu.Unlock()
}

// aLongTimeAgo is a deadline in the past, which makes a pending read return.
var aLongTimeAgo = time.Unix(1, 0)
