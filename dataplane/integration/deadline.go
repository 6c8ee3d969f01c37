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

package integration

import (
	"context"
	"net/http"
	"time"

	leanhttp "github.com/portico-dev/portico/dataplane/upstream"
	"github.com/portico-dev/portico/internal/clock"
	"github.com/portico-dev/portico/internal/reqend"
)

// deadlineCtx is the route's timeout on the lean forwarding path when the transport holds the
// request to its context's deadline by itself (upstream.Transport.EnforcesDeadline: the
// connection's deadlines bound the dial, the exchange and the body). context.WithTimeout would
// arm a timer, register with the request's context, and make a Done channel that only the
// timer closes: a tenth of an HTTP_PROXY request's own instructions, for a timeout that the
// connection enforces anyway. This one has the deadline and an Err that turns at it, and the
// request's Done: closed when the client goes away (which still interrupts the exchange),
// not at the deadline.
type deadlineCtx struct {
	context.Context // the request's
	deadline        time.Time
	// hints answer leanhttp.HintsKey: the 1xx handler, the header's check, the outgoing
	// fields as a list (forward), and Start, the clock.Now the deadline was counted from, as
	// the call began, which is also the integration's start (upstream.RoundTrip); zero once
	// a retry cleared it.
	hints leanhttp.Hints
}

// Value answers the lean transport's key; other keys go to the request's.
func (c *deadlineCtx) Value(k any) any {
	if _, ok := k.(leanhttp.HintsKey); ok {
		return &c.hints
	}
	return c.Context.Value(k)
}

func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *deadlineCtx) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !clock.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// OnEnd and StopOnEnd pass reqend's registration on to the request's context.
func (c *deadlineCtx) OnEnd(f func()) (uint64, bool) { return reqend.OnEnd(c.Context, f) }
func (c *deadlineCtx) StopOnEnd(id uint64) bool      { return reqend.StopOnEnd(c.Context, id) }

// enforcesDeadline reports whether t holds out to its context's deadline by itself, so that
// out may carry a deadlineCtx.
func enforcesDeadline(t http.RoundTripper, out *http.Request) bool {
	e, ok := t.(interface{ EnforcesDeadline(*http.Request) bool })
	return ok && e.EnforcesDeadline(out)
}
