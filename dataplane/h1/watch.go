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
	"sync"
	"time"

	"github.com/portico-dev/portico/internal/clock"
)

// watchTick is how often a server looks at its listed connections: a request is watched
// from ClientWatchDelay to ClientWatchDelay+watchTick after it was armed.
const watchTick = ClientWatchDelay / 2

// watchLinger is how long a connection stays listed after its last request was armed: one
// that serves again within it costs no lock of the list's.
const watchLinger = time.Second

// watchList starts the watch of the connections whose request has run for ClientWatchDelay.
// One goroutine per server looks at the listed connections every watchTick, while any is
// listed, instead of a timer per connection: a timer left set by each connection fired
// every ClientWatchDelay while it served, each firing a goroutine and, when the CPU was
// idle, a timer interrupt (about 300 a second for 32 connections at 2,000 requests/s), and
// once per request for a connection that sends fewer than ten a second.
type watchList struct {
	mu      sync.Mutex
	readers []*connReader
	looking bool // the goroutine runs
}

// add lists cr, which its armWatch found unlisted.
func (l *watchList) add(cr *connReader) {
	l.mu.Lock()
	l.readers = append(l.readers, cr)
	if !l.looking {
		l.looking = true
		go l.loop()
	}
	l.mu.Unlock()
}

// loop looks at the listed connections every watchTick, until none is listed.
func (l *watchList) loop() {
	t := time.NewTicker(watchTick)
	defer t.Stop()
	for range t.C {
		if !l.look(clock.Now()) {
			return
		}
	}
}

// look has each listed connection start its watch when due, drops those that need no more
// looking at, and reports whether any is left (false: the goroutine ends, and the next add
// starts another).
func (l *watchList) look(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	kept := l.readers[:0]
	for _, cr := range l.readers {
		if cr.look(now) {
			kept = append(kept, cr)
		}
	}
	clear(l.readers[len(kept):])
	l.readers = kept
	if len(kept) == 0 {
		l.looking = false
	}
	return l.looking
}
