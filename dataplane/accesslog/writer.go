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

package accesslog

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
)

// Writer writes whole lines to an io.Writer shared by every request: lines of concurrent
// requests never interleave. It outlives configurations.
//
// A Writer made by NewWriter writes each line on the request's goroutine. One made by
// NewQueue only appends the line to a bounded queue that a goroutine of its own writes out:
// a stdout that blocks (a full pipe, a stalled log collector) must not hold requests, as
// every request would wait on it. A line that does not fit in the queue is dropped and
// counted (Dropped): memory stays bounded whatever the writer's speed.
type Writer struct {
	out io.Writer
	max int // queue mode: the most bytes queued; 0 writes on the caller's goroutine

	mu      sync.Mutex
	queue   []byte // lines waiting for the writing goroutine
	spare   []byte // the writing goroutine's last batch, reused
	writes  int    // bytes the writing goroutine has in hand: queue and writes share max
	writing bool   // the writing goroutine runs; it exits once the queue is empty
	idle    chan struct{}

	dropped atomic.Uint64
}

// NewWriter returns a Writer writing each line to out on the caller's goroutine.
func NewWriter(out io.Writer) *Writer { return &Writer{out: out} }

// DefaultQueueBytes is NewQueue's bound when given none: some seconds of lines at tens of
// thousands of requests a second.
const DefaultQueueBytes = 4 << 20

// NewQueue returns a Writer whose lines are written to out by a goroutine of its own,
// through a queue of at most maxBytes (DefaultQueueBytes when not positive), the lines being
// written included. The goroutine runs only while lines wait.
func NewQueue(out io.Writer, maxBytes int) *Writer {
	if maxBytes <= 0 {
		maxBytes = DefaultQueueBytes
	}
	return &Writer{out: out, max: maxBytes}
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Write formats e with f and writes or queues the line. Write errors are dropped: a full
// disk or a closed pipe must not fail requests.
func (w *Writer) Write(f *Format, e *Entry) {
	bp := bufs.Get().(*[]byte)
	b := f.Append((*bp)[:0], e)
	b = append(b, '\n')
	if w.max > 0 {
		w.enqueue(b)
	} else {
		w.mu.Lock()
		_, _ = w.out.Write(b)
		w.mu.Unlock()
	}
	if cap(b) <= 64<<10 {
		*bp = b
		bufs.Put(bp)
	}
}

func (w *Writer) enqueue(line []byte) {
	w.mu.Lock()
	if w.writes+len(w.queue)+len(line) > w.max {
		w.mu.Unlock()
		w.dropped.Add(1)
		return
	}
	w.queue = append(w.queue, line...)
	start := !w.writing
	w.writing = true
	w.mu.Unlock()
	if start {
		go w.drain()
	}
}

// drain writes the queue out, batch by batch, until it finds it empty.
func (w *Writer) drain() {
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.writing = false
			if w.idle != nil {
				close(w.idle)
				w.idle = nil
			}
			w.mu.Unlock()
			return
		}
		batch := w.queue
		w.queue = w.spare[:0]
		w.writes = len(batch)
		w.mu.Unlock()
		_, _ = w.out.Write(batch)
		if cap(batch) > w.max {
			batch = nil // grown past the bound by append's rounding: not kept
		}
		w.mu.Lock()
		w.spare = batch
		w.writes = 0
		w.mu.Unlock()
	}
}

// Dropped returns how many lines did not fit in the queue.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Flush waits until the queued lines are written, or ctx ends (a writer that stays
// blocked). Lines queued meanwhile are waited for too.
func (w *Writer) Flush(ctx context.Context) error {
	for {
		w.mu.Lock()
		if !w.writing {
			w.mu.Unlock()
			return nil
		}
		if w.idle == nil {
			w.idle = make(chan struct{})
		}
		idle := w.idle
		w.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
