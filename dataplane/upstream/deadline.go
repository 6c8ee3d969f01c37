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
	"time"
)

// A request's deadline on its connection, set lazily.
//
// Each exchange holds its reads and writes to the request's deadline (its context's, the
// route's timeout) through the connection's own deadline. Setting one is a timer update in
// the runtime and two clock reads, about 2% of a proxied request's instructions; and under
// load consecutive requests on a connection have deadlines milliseconds apart. So a
// connection keeps the deadline an earlier request set (armed) while it comes before the
// new request's (due) by no more than an eighth of the time it leaves: a 29 s timeout sets
// it again about every 3 s. A deadline kept is early, never late. When it passes before the
// request's own, the timeout it gives is not the request's: the read or write that got it
// sets the request's deadline and goes on (rearm), so that the request still has exactly
// its time. With a response header timeout, which sets a read deadline of its own, every
// request sets its deadline.

// setDeadline gives the exchange starting the deadline d (zero: none). The time it leaves is
// counted from when the connection went idle, a moment before now: a connection idle long
// has its deadline set again anyway, as its kept one falls far short of d.
func (pc *persistConn) setDeadline(d time.Time) {
	pc.due = d
	if d.IsZero() && pc.armed.IsZero() {
		pc.early = false
		return // none, as before
	}
	if !d.IsZero() && !pc.armed.IsZero() && !pc.armed.After(d) && d.Sub(pc.armed) <= pc.armed.Sub(pc.idleSince)/8 &&
		pc.pool.t.opts.ResponseHeaderTimeout <= 0 {
		pc.early = pc.armed.Before(d)
		return
	}
	_ = pc.conn.SetDeadline(d)
	pc.armed, pc.early = d, false
}

// rearm reports whether err is the timeout of a deadline kept from an earlier request that
// passed before the current one's, having set the current one's: the call that failed may
// then go on.
func (pc *persistConn) rearm(err error) bool {
	if !pc.early || !isTimeout(err) || pc.cancelled.Load() || !time.Now().Before(pc.due) {
		return false
	}
	_ = pc.conn.SetDeadline(pc.due)
	pc.armed, pc.early = pc.due, false
	return !pc.keepInterrupted()
}

// keepInterrupted puts the interrupt's past deadline back when it ran, reporting whether it
// did: a deadline set while it ran would undo it, and the call would wait for that one (the
// interrupt sets cancelled before its deadline).
func (pc *persistConn) keepInterrupted() bool {
	if !pc.cancelled.Load() {
		return false
	}
	_ = pc.conn.SetDeadline(aLongTimeAgo)
	return true
}

// deadlineWriter writes to the connection, going on past a kept deadline's early timeout.
type deadlineWriter struct{ pc *persistConn }

func (w deadlineWriter) Write(p []byte) (int, error) {
	written := 0
	for {
		n, err := w.pc.rw.Write(p[written:])
		written += n
		if err == nil || !w.pc.rearm(err) {
			return written, err
		}
	}
}

// sendLater keeps the request for the first read of the answer (connReader.Read), which
// sends it and waits in one call, when the connection's socket allows it (pc.rio) and no
// other request to the backend is in flight. Under load, writing at once and yielding
// (roundTrip's Gosched) is cheaper: the other requests run meanwhile and the read finds the
// answer there, where a parked goroutine costs the netpoller's wake-up on top (3% more CPU
// per request at saturation, paired runs). At rest there is nothing to yield to, and the
// read would find nothing: one failed system call less a request.
func (w deadlineWriter) sendLater(b []byte) bool {
	if w.pc.rio == nil || w.pc.pool.inUse.Load() > 1 {
		return false
	}
	w.pc.cr.pending = b
	return true
}
