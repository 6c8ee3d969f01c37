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
	"net"
	"testing"
	"time"
)

// The list starts a request's watch once it has run for ClientWatchDelay, and keeps a
// connection listed while its request is not yet due and for watchLinger after it.
func TestWatchListStartsDueWatchesAndDropsQuietConnections(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	// Marked looking, the list starts no goroutine: the test looks, at the times it gives.
	l := watchList{looking: true}
	cr := &connReader{rwc: server, list: &l}
	t0 := time.Unix(1000, 0)
	rctx := newRequestContext(connContext())

	cr.armWatch(rctx, t0)
	if len(l.readers) != 1 || !cr.listed {
		t.Fatalf("armed: listed %v, %d in the list", cr.listed, len(l.readers))
	}
	if !l.look(t0.Add(ClientWatchDelay-time.Millisecond)) || cr.running {
		t.Fatal("a request not yet due: its watch started, or the list emptied")
	}
	if l.look(t0.Add(ClientWatchDelay)) || !cr.running || cr.listed {
		t.Fatalf("a request due: running %v, listed %v", cr.running, cr.listed)
	}
	// The client leaves: the watch's read ends and cancels the request.
	_ = client.Close()
	select {
	case <-rctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the departed client's request was not cancelled")
	}
	cr.stopWatch()

	// Served again: listed again; quiet for watchLinger: dropped, and the list is done.
	next := newRequestContext(connContext())
	t1 := t0.Add(time.Second)
	l.looking = true
	cr.armWatch(next, t1)
	cr.stopWatch() // the request ended within the delay: no watch
	if !l.look(t1.Add(ClientWatchDelay)) || cr.running {
		t.Fatal("a quiet connection dropped at once, or watched")
	}
	if l.look(t1.Add(watchLinger)) || cr.listed || len(l.readers) != 0 {
		t.Fatalf("quiet for watchLinger: listed %v, %d in the list", cr.listed, len(l.readers))
	}
	if next.Err() != nil {
		t.Error("a request that ended in time was cancelled")
	}

	// A connection closed is dropped at the next look, without waiting for watchLinger.
	l.looking = true
	cr.armWatch(newRequestContext(connContext()), t1)
	cr.leave()
	if l.look(t1) || len(l.readers) != 0 {
		t.Fatalf("a closed connection kept: %d in the list", len(l.readers))
	}
}

// A request that ends just as its watch starts stops it: the watch's read is ended by the
// deadline stopWatch sets, which the watch must not clear after the fact.
func TestStopWatchJustAfterItStarts(t *testing.T) {
	for i := range 200 {
		client, server := net.Pipe()
		l := watchList{looking: true}
		cr := &connReader{rwc: server, list: &l}
		t0 := time.Unix(1000, 0)
		cr.armWatch(newRequestContext(connContext()), t0)
		l.look(t0.Add(ClientWatchDelay)) // starts the watch's goroutine
		stopped := make(chan struct{})
		go func() {
			cr.stopWatch()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: stopWatch waits on a watch whose read never ends", i)
		}
		_ = client.Close()
		_ = server.Close()
	}
}
