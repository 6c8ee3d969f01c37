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
	"io"
	"sync"
)

// Writer writes whole lines to an io.Writer shared by every request: each line goes out in
// one Write under a lock, so lines of concurrent requests never interleave. It outlives
// configurations.
type Writer struct {
	mu  sync.Mutex
	out io.Writer
}

// NewWriter returns a Writer on out.
func NewWriter(out io.Writer) *Writer { return &Writer{out: out} }

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Write formats e with f and writes the line. Write errors are dropped: a full disk or a
// closed pipe must not fail requests.
func (w *Writer) Write(f *Format, e *Entry) {
	bp := bufs.Get().(*[]byte)
	b := f.Append((*bp)[:0], e)
	b = append(b, '\n')
	w.mu.Lock()
	_, _ = w.out.Write(b)
	w.mu.Unlock()
	if cap(b) <= 64<<10 {
		*bp = b
		bufs.Put(bp)
	}
}
