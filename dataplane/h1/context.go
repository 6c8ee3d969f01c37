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
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// requestContext is a request's context: it ends when the request does, when the response
// can no longer be written, or when the client goes away, as net/http's does.
//
// context.WithCancel costs two allocations per request, and the upstream client's
// context.AfterFunc on it, to interrupt an exchange when the client leaves, four more (its
// context, its stop function, the Done channel and the children map). This is one
// allocation, which the connection's next request reuses when nothing can reach it any more
// (reusable): the upstream client registers its interrupt with OnEnd, which allocates
// nothing, through the proxy's own context types that pass OnEnd on.
//
// Everything else a context is asked for works as for a WithCancel context, made the first
// time it is needed (a Done channel, a child context, context.AfterFunc, context.Cause):
// the standard child is then what Done, Err and Value answer with, so that the context
// package finds it as the parent of children made through any wrapper (WithValue
// included), without a goroutine per child.
type requestContext struct {
	context.Context // the connection's

	mu    sync.Mutex
	err   error // set when the request ended
	funcs []endFunc
	// inline holds funcs' first: the upstream client registers one per exchange and stops
	// it before the next. One, not more, keeps the allocation in the 160-byte size class.
	inline [1]endFunc
	nextID uint64
	// std is the standard cancelable child, made when first needed: nil until then.
	std atomic.Pointer[stdChild]
	// stopParent stops the watch on a cancelable connection context.
	stopParent func() bool
	// head is the request's head as sent (RequestHead).
	head rawHead
	// received is when the request's first byte came (Received).
	received time.Time
	// kept: the handler keeps the request past its end (KeepRequest).
	kept atomic.Bool
}

type endFunc struct {
	id uint64
	f  func()
}

type stdChild struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newRequestContext(parent context.Context) *requestContext {
	c := &requestContext{}
	c.init(parent)
	return c
}

// init makes c the new request's context over parent: a new one, or one reused (reusable).
// The ids OnEnd gives go on from the last request's, so that an id kept from it (which
// nothing should do) stops nothing of this one.
func (c *requestContext) init(parent context.Context) {
	*c = requestContext{Context: parent, nextID: c.nextID}
	c.funcs = c.inline[:0]
	if parent.Done() != nil {
		// Not the server's own connection contexts (values only): a ConnContext hook's.
		c.standard()
		c.stopParent = context.AfterFunc(parent, func() { c.end(parent.Err()) })
	}
}

// reusable reports whether the ended request's context may serve the connection's next
// request, as the server reuses the request's other memory: unless the handler keeps the
// request (KeepRequest, as the proxy does for a request something may still reach), and
// unless the context package holds it (a standard child: a Done channel was asked for, a
// child context or an AfterFunc made, which may outlive the request), or the connection's
// context watches it. Its allocation was about 1% of a proxied request's CPU.
func (c *requestContext) reusable() bool {
	return !c.kept.Load() && c.std.Load() == nil && c.stopParent == nil
}

// standard returns the standard child, making it if needed.
func (c *requestContext) standard() *stdChild {
	if s := c.std.Load(); s != nil {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.std.Load(); s != nil {
		return s
	}
	ctx, cancel := context.WithCancel(c.Context)
	s := &stdChild{ctx: ctx, cancel: cancel}
	if c.err != nil {
		cancel()
	}
	c.std.Store(s)
	return s
}

func (c *requestContext) Done() <-chan struct{} { return c.standard().ctx.Done() }

func (c *requestContext) Err() error {
	if s := c.std.Load(); s != nil {
		return s.ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value answers the context package's own lookup (the key context.Cause and the
// parent-finding of WithCancel and AfterFunc ask for) with the standard child's, so that it
// is made and found; every other key goes to the connection's context.
func (c *requestContext) Value(key any) any {
	switch key {
	case cancelCtxKey:
		return c.standard().ctx.Value(key)
	case headKey{}:
		return c
	}
	return c.Context.Value(key)
}

// OnEnd has f run when the request ends, on the goroutine that ends it (f must not block),
// or at once when it has ended; the id stops it. ok is always true: the proxy's context
// types pass OnEnd on and report false when the context under them has none.
func (c *requestContext) OnEnd(f func()) (id uint64, ok bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		f()
		return 0, true
	}
	c.nextID++
	id = c.nextID
	c.funcs = append(c.funcs, endFunc{id: id, f: f})
	c.mu.Unlock()
	return id, true
}

// StopOnEnd stops the function OnEnd registered as id, reporting whether it had not run.
func (c *requestContext) StopOnEnd(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.funcs {
		if e.id == id {
			c.funcs = append(c.funcs[:i], c.funcs[i+1:]...)
			return true
		}
	}
	return false
}

// end ends the request's context with err (context.Canceled, or the connection context's
// error) and runs the functions registered by OnEnd. Later calls do nothing.
func (c *requestContext) end(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	funcs := c.funcs
	c.funcs = nil
	s := c.std.Load()
	c.mu.Unlock()
	if s != nil {
		s.cancel()
	}
	for _, e := range funcs {
		e.f()
	}
	if c.stopParent != nil {
		c.stopParent()
	}
}

// cancel ends the request: its handler returned, its response can no longer be written, or
// its client went away.
func (c *requestContext) cancel() { c.end(context.Canceled) }

// cancelCtxKey is the key the context package looks its cancelable contexts up by, learnt
// from what context.Cause asks an ended context for (that key alone).
var cancelCtxKey = func() any {
	var p keyProbe
	_ = context.Cause(&p)
	// Should a later Go ask otherwise, nothing matches: children through wrappers then cost
	// a goroutine each, as for any custom context (TestRequestContextChildren says so).
	return p.key
}()

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

func (p *keyProbe) Err() error { return context.Canceled }
