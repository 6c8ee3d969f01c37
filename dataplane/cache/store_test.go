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
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/router"
)

// TestMemoryBound floods a small cache with distinct keys: it never holds more than its
// capacity, and keeps the most recent entries.
func TestMemoryBound(t *testing.T) {
	f := newFixture()
	s := stageSnap("ns/prod", "pets")
	s.Cache.CapacityBytes = 10 << 10
	b := &backend{respond: func(w http.ResponseWriter, _ *http.Request, _ int64) {
		_, _ = w.Write([]byte(strings.Repeat("x", 300)))
	}}
	r := route("/pets", getOnly, "querystring.id")
	h := f.build(t, s, r, proxy.VariantStable, b)
	for i := range 1000 {
		call(t, h, r, "GET", "/pets?id="+strconv.Itoa(i))
		if n, _ := f.store.Bytes("ns/prod", "ns/pets"); n > s.Cache.CapacityBytes {
			t.Fatalf("after %d keys the cache holds %d bytes, over %d", i+1, n, s.Cache.CapacityBytes)
		}
	}
	n, entries := f.store.Bytes("ns/prod", "ns/pets")
	// Full: no room left for one more entry (each is charged about the same).
	if entries < 10 || n < s.Cache.CapacityBytes-n/int64(entries) {
		t.Errorf("%d entries, %d bytes: the cache does not fill up", entries, n)
	}
	calls := b.calls.Load()
	expect(t, call(t, h, r, "GET", "/pets?id=999"), 200, strings.Repeat("x", 300), "Hit")
	expect(t, call(t, h, r, "GET", "/pets?id=0"), 200, strings.Repeat("x", 300), "Miss")
	if b.calls.Load() != calls+1 {
		t.Errorf("backend calls %d, want %d", b.calls.Load(), calls+1)
	}
}

// TestCapacityShrinkOnReload rebuilds the step with a smaller capacity, as a reload does:
// the same cache shrinks at once, keeping its most recent entries.
func TestCapacityShrinkOnReload(t *testing.T) {
	f := newFixture()
	s := stageSnap("ns/prod", "pets")
	b := &backend{}
	r := route("/pets", getOnly, "querystring.id")
	old := f.build(t, s, r, proxy.VariantStable, b)
	for i := range 100 {
		call(t, old, r, "GET", "/pets?id="+strconv.Itoa(i))
	}
	before, _ := f.store.Bytes("ns/prod", "ns/pets")

	s2 := stageSnap("ns/prod", "pets")
	s2.Cache.CapacityBytes = before / 4
	h := f.build(t, s2, r, proxy.VariantStable, b)
	n, entries := f.store.Bytes("ns/prod", "ns/pets")
	if n > s2.Cache.CapacityBytes || entries == 0 {
		t.Fatalf("after the shrink: %d bytes in %d entries, capacity %d", n, entries, s2.Cache.CapacityBytes)
	}
	expect(t, call(t, h, r, "GET", "/pets?id=99"), 200, "body 100", "Hit")
	expect(t, call(t, h, r, "GET", "/pets?id=0"), 200, "body 101", "Miss")
	runtime.KeepAlive(old)
}

// TestUnreferencedCacheDropped checks that a stage cache no handler refers to any more (a
// deleted stage) leaves the store.
func TestUnreferencedCacheDropped(t *testing.T) {
	f := newFixture()
	func() {
		r := route("/pets", getOnly)
		h := f.build(t, stageSnap("ns/gone", "pets"), r, proxy.VariantStable, &backend{})
		call(t, h, r, "GET", "/pets")
		if n, _ := f.store.Bytes("ns/gone", "ns/pets"); n == 0 {
			t.Fatal("nothing cached")
		}
	}()
	for range 10 {
		runtime.GC()
		f.store.mu.Lock()
		left := len(f.store.caches)
		f.store.mu.Unlock()
		if left == 0 {
			return
		}
	}
	t.Error("the cache of a stage no handler uses is still in the store")
}

func TestFlush(t *testing.T) {
	f := newFixture()
	b := &backend{}
	r := route("/pets", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	call(t, h, r, "GET", "/pets")
	f.store.Flush("ns/prod", "ns/pets")
	if n, entries := f.store.Bytes("ns/prod", "ns/pets"); n != 0 || entries != 0 {
		t.Fatalf("%d bytes in %d entries after a flush", n, entries)
	}
	expect(t, call(t, h, r, "GET", "/pets"), 200, "body 2", "Miss")
}

// BenchmarkCacheHit serves hits through the step, with a path parameter and a query string
// in the key.
func BenchmarkCacheHit(b *testing.B) {
	f := newFixture()
	r := route("/pets/{petId}", getOnly, "path.petId", "querystring.lang")
	h := f.build(b, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, &backend{})
	call(b, h, r, "GET", "/pets/7?lang=en")
	req := httptest.NewRequest("GET", "/pets/7?lang=en", nil)
	rc := &reqctx.Request{ID: "bench"}
	tree, err := router.New([]router.Route{{Path: r.GetPath(), Methods: getOnly}})
	if err != nil {
		b.Fatal(err)
	}
	tree.Lookup("GET", "/pets/7", &rc.Params)
	req = req.WithContext(reqctx.With(req.Context(), rc))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Header().Get(HeaderCache) != "Hit" {
			b.Fatal("miss")
		}
	}
}
