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
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockingWriter blocks every Write until released, then records.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got.Write(p)
}

func (b *blockingWriter) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got.String()
}

// A queued Writer never makes the request wait on its output: with the output blocked,
// lines queue up to the bound, the rest are dropped and counted, and once the output moves
// the queued lines come out whole and in order.
func TestQueueNeverBlocks(t *testing.T) {
	out := &blockingWriter{release: make(chan struct{})}
	f := Parse("$context.requestId")
	w := NewQueue(out, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			w.Write(f, &Entry{RequestID: fmt.Sprintf("request-%04d", i)}) // 13 bytes a line
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Write blocked on a blocked output")
	}
	if d := w.Dropped(); d < 900 || d > 1000-1000/13 {
		t.Errorf("dropped %d lines of 1000, want those past the 1000-byte queue", d)
	}
	close(out.release)
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if uint64(len(lines))+w.Dropped() != 1000 || lines[0] != "request-0000" {
		t.Fatalf("%d lines written, %d dropped; first %q", len(lines), w.Dropped(), lines[0])
	}
	for i := 1; i < len(lines); i++ {
		if len(lines[i]) != 12 || lines[i] <= lines[i-1] {
			t.Fatalf("line %d %q after %q", i, lines[i], lines[i-1])
		}
	}
	// Flush with the output blocked gives up with the context.
	out2 := &blockingWriter{release: make(chan struct{})}
	w2 := NewQueue(out2, 0)
	w2.Write(f, &Entry{RequestID: "x"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w2.Flush(ctx); err == nil {
		t.Error("Flush returned with the output blocked")
	}
	close(out2.release)
	if err := w2.Flush(context.Background()); err != nil || out2.String() != "x\n" {
		t.Errorf("after release: %q, %v", out2.String(), err)
	}
}
