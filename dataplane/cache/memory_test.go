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

package cache

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// shape is a kind of response: its body size and how many header fields beyond
// Content-Type and Content-Length it has.
type shape struct {
	body, extra int
}

// fill stores entries from to to-1, of shape s, in c, each captured as the step
// captures a backend's answer, with header values allocated per response as a backend
// client allocates them.
func fill(c *stageCache, s shape, from, to int) {
	req := httptest.NewRequest(http.MethodGet, "/pets", nil)
	rc := &reqctx.Request{}
	payload := []byte(strings.Repeat("x", s.body))
	expires := c.now().Add(time.Hour)
	for i := from; i < to; i++ {
		cw := newCapture(httptest.NewRecorder())
		h := cw.Header()
		h["Content-Type"] = []string{strings.Clone("application/json")}
		h["Content-Length"] = []string{strconv.Itoa(s.body)}
		for j := range s.extra {
			h["X-Field-"+strconv.Itoa(j)] = []string{"value-" + strconv.Itoa(i)}
		}
		cw.WriteHeader(http.StatusOK)
		_, _ = cw.Write(payload)
		e := cw.entry(req, rc)
		// A key as the step writes it for GET /pets/{id} with the parameter path.id.
		k := appendString(nil, http.MethodGet)
		k = appendString(k, "/pets/{id}")
		k = appendString(k, "")
		k = binary.AppendVarint(k, 3)
		k = appendString(k, "path.id")
		k = binary.AppendUvarint(k, 1)
		k = appendString(k, strconv.Itoa(i))
		_, f, _ := c.lookup(k, false)
		// With a shared level, a miss there (it is empty) hashes the key for the entry.
		c.fromShared(context.Background(), k, f, false)
		e.expires = expires
		c.finish(f, e)
	}
}

// heapAfterGC is the live heap once garbage is collected.
func heapAfterGC() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestEntryOverhead measures the heap entries of several shapes take, with and without a
// shared level, and checks that what they are charged (charge and keyCharge, with
// entryOverhead, fieldOverhead, valueOverhead and hashedOverhead) is close: capacity then
// bounds memory whatever the answers look like. -v prints the figures.
func TestEntryOverhead(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	t.Run("local", func(t *testing.T) { measureEntries(t, nil) })
	t.Run("shared", func(t *testing.T) { measureEntries(t, newFakeShared()) })
}

func measureEntries(t *testing.T, shared Shared) {
	const n = 20000
	for _, s := range []shape{{0, 0}, {16, 0}, {64, 2}, {256, 6}, {16, 8}, {1000, 1}, {4096, 3}} {
		store := NewStore(StoreOptions{Shared: shared})
		before := heapAfterGC()
		c := store.stage("ns/prod", "ns/pets", 1<<40)
		fill(c, s, 0, n)
		perEntry := float64(heapAfterGC()-before) / n
		size, entries := store.Bytes("ns/prod", "ns/pets")
		charged := float64(size) / float64(entries)
		content := float64(s.body)
		for _, f := range c.lru.Front().Value.(*entry).header {
			content += float64(len(f.Name) + len(f.Values[0]))
		}
		t.Logf("body %4d, %d fields: %7.0f bytes of heap per entry, charged %7.0f, content %5.0f, overhead %4.0f",
			s.body, s.extra+2, perEntry, charged, content, perEntry-content)
		if perEntry > 1.1*charged || perEntry < 0.8*charged {
			t.Errorf("body %d, %d fields: %.0f bytes of heap per entry, charged %.0f", s.body, s.extra+2, perEntry, charged)
		}
		runtime.KeepAlive(c)
	}
}

// TestCapacityBoundsHeap fills a 4 MiB cache with many more small answers than it holds: the
// heap it takes stays within 1.5 times its capacity (counting bodies alone, it took ten).
func TestCapacityBoundsHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	const capacity = 4 << 20
	store := NewStore(StoreOptions{})
	before := heapAfterGC()
	c := store.stage("ns/prod", "ns/pets", capacity)
	for i := range 10 {
		fill(c, shape{body: 32, extra: 1}, i*10000, (i+1)*10000)
	}
	grown := heapAfterGC() - before
	size, entries := store.Bytes("ns/prod", "ns/pets")
	t.Logf("%d entries charged %d bytes; heap grew %d bytes (%.2fx capacity)", entries, size, grown, float64(grown)/capacity)
	if size > capacity {
		t.Fatalf("charged %d, over the capacity %d", size, capacity)
	}
	if float64(grown) > 1.5*capacity {
		t.Errorf("heap grew %d bytes for a capacity of %d: %.2fx", grown, capacity, float64(grown)/capacity)
	}
	runtime.KeepAlive(c)
}

// What an entry keeps of the backend's header is a copy: the upstream client cuts names and
// values from memory its connection shares among many answers (upstream's blocks), which an
// entry kept for hours would otherwise hold whole.
func TestCaptureCopiesHeader(t *testing.T) {
	head := "X-Kept: a value of the backend's"
	w := httptest.NewRecorder()
	c := newCapture(w)
	w.Header()[head[:6]] = []string{head[8:]}
	c.WriteHeader(http.StatusOK)
	if len(c.header) != 1 {
		t.Fatalf("captured %d fields, want 1", len(c.header))
	}
	f := c.header[0]
	if f.Name != "X-Kept" || len(f.Values) != 1 || f.Values[0] != head[8:] {
		t.Fatalf("captured %q %q", f.Name, f.Values)
	}
	within := func(s string) bool {
		p, start := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(head)))
		return p >= start && p < start+uintptr(len(head))
	}
	if within(f.Name) || within(f.Values[0]) {
		t.Error("the entry's header shares the backend's memory")
	}
}
