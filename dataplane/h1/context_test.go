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
	"errors"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

type ctxKey string

func connContext() context.Context {
	return context.WithValue(context.Background(), ctxKey("conn"), "c1")
}

// The request's context ends as a WithCancel context does: Done closes, Err and Cause say
// Canceled, and values come from the connection's context.
func TestRequestContextEnds(t *testing.T) {
	for _, early := range []bool{false, true} {
		c := newRequestContext(connContext())
		var done <-chan struct{}
		if early {
			done = c.Done()
		}
		if c.Err() != nil || context.Cause(c) != nil {
			t.Fatalf("before the end: %v, %v", c.Err(), context.Cause(c))
		}
		if c.Value(ctxKey("conn")) != "c1" {
			t.Fatalf("value: %v", c.Value(ctxKey("conn")))
		}
		c.cancel()
		c.cancel()
		if !early {
			done = c.Done()
		}
		select {
		case <-done:
		default:
			t.Fatalf("Done (asked for early: %v) not closed", early)
		}
		if !errors.Is(c.Err(), context.Canceled) || !errors.Is(context.Cause(c), context.Canceled) {
			t.Fatalf("after the end: %v, %v", c.Err(), context.Cause(c))
		}
	}
}

// OnEnd's functions run once, when the request ends, unless stopped; one registered after
// the end runs at once, and its stop reports that it ran.
func TestRequestContextOnEnd(t *testing.T) {
	c := newRequestContext(connContext())
	var ran []string
	_, _ = c.OnEnd(func() { ran = append(ran, "a") })
	id, ok := c.OnEnd(func() { ran = append(ran, "b") })
	_, _ = c.OnEnd(func() { ran = append(ran, "c") })
	if !ok || !c.StopOnEnd(id) || c.StopOnEnd(id) {
		t.Fatal("stop: the first stop reports true, the second false")
	}
	c.cancel()
	c.cancel()
	if len(ran) != 2 || ran[0] != "a" || ran[1] != "c" {
		t.Fatalf("ran %v, want [a c]", ran)
	}
	id, _ = c.OnEnd(func() { ran = append(ran, "late") })
	if len(ran) != 3 || c.StopOnEnd(id) {
		t.Fatalf("a late OnEnd: ran %v", ran)
	}
}

// Children made through wrappers (WithValue, as a tracer's span does) and context.AfterFunc
// end with the request, and cost no goroutine each: the context package finds the standard
// child the request's context makes when first needed.
func TestRequestContextChildren(t *testing.T) {
	c := newRequestContext(connContext())
	before := runtime.NumGoroutine()
	var children []context.Context
	for i := range 100 {
		wrapped := context.WithValue(c, ctxKey("span"), i)
		child, cancel := context.WithTimeout(wrapped, time.Hour)
		defer cancel()
		children = append(children, child)
	}
	ran := make(chan struct{})
	stop := context.AfterFunc(context.WithValue(c, ctxKey("x"), 1), func() { close(ran) })
	defer stop()
	if n := runtime.NumGoroutine() - before; n >= 50 {
		t.Fatalf("%d goroutines for 100 children", n)
	}
	c.cancel()
	for i, child := range children {
		select {
		case <-child.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("child %d not ended", i)
		}
		if !errors.Is(child.Err(), context.Canceled) {
			t.Fatalf("child %d: %v", i, child.Err())
		}
	}
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("AfterFunc did not run")
	}
}

// A connection context that ends (a ConnContext hook's) ends the request's, with its error.
func TestRequestContextParentEnds(t *testing.T) {
	parent, cancel := context.WithTimeout(connContext(), time.Hour)
	c := newRequestContext(parent)
	ended := make(chan struct{})
	_, _ = c.OnEnd(func() { close(ended) })
	cancel()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the request's context did not end with its connection's")
	}
	<-c.Done()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("err %v", c.Err())
	}
}

// The request's context is one allocation, and OnEnd and its stop none.
func TestRequestContextAllocations(t *testing.T) {
	parent := connContext()
	f := func() {}
	n := testing.AllocsPerRun(100, func() {
		c := newRequestContext(parent)
		id, _ := c.OnEnd(f)
		c.StopOnEnd(id)
		c.cancel()
	})
	if n != 1 {
		t.Fatalf("%v allocations, want 1", n)
	}
}

// A request's context is one allocation per request, of the 160-byte size class: a field
// added past it makes every request allocate 16 bytes more.
func TestRequestContextSize(t *testing.T) {
	if n := unsafe.Sizeof(requestContext{}); n > 160 {
		t.Errorf("requestContext is %d bytes, past the 160-byte size class", n)
	}
}
