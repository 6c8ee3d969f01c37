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

package limits

import (
	"fmt"
	"testing"
	"time"
)

// sameShard returns n keys that hash to one shard of m, to test eviction, which is per shard.
func sameShard(m *Memory, n int) []string {
	var keys []string
	first := m.shard("k0")
	for i := 0; len(keys) < n; i++ {
		k := fmt.Sprintf("k%d", i)
		if m.shard(k) == first {
			keys = append(keys, k)
		}
	}
	return keys
}

func TestMemoryEvictionCap(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxBuckets: 640})
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		if ok, _, _ := m.Take(t.Context(), fmt.Sprint(i), 1e-6, 1, now); !ok {
			t.Fatalf("key %d: a new bucket refused", i)
		}
	}
	if n := m.bucketCount(); n > 640 || n < 600 {
		t.Errorf("%d buckets after 10000 keys with a cap of 640", n)
	}
	if n := NewMemory(MemoryOptions{}).shards[0].maxBuckets; n*shardCount < DefaultMaxBuckets {
		t.Errorf("default cap %d per shard, below %d in all", n, DefaultMaxBuckets)
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxBuckets: 3 * shardCount})
	keys := sameShard(m, 4)
	a, b, c, d := keys[0], keys[1], keys[2], keys[3]
	s := m.shard(a)
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	for _, k := range []string{a, b, c} {
		m.Take(t.Context(), k, 1e-6, 1, now)
	}
	// a is used again (refused, but used), so b is now the least recently used.
	if ok, _, _ := m.Take(t.Context(), a, 1e-6, 1, now); ok {
		t.Fatal("drained bucket allowed")
	}
	m.Take(t.Context(), d, 1e-6, 1, now)
	if _, ok := s.buckets[b]; ok {
		t.Error("the least recently used bucket was kept")
	}
	for _, k := range []string{a, c, d} {
		if _, ok := s.buckets[k]; !ok {
			t.Errorf("bucket %s evicted, want b (%s)", k, b)
		}
	}
	// a kept its state: still drained.
	if ok, _, _ := m.Take(t.Context(), a, 1e-6, 1, now); ok {
		t.Error("a kept bucket was refilled")
	}
}

func TestMemoryEvictsFullFirst(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxBuckets: 3 * shardCount})
	keys := sameShard(m, 4)
	a, b, c, d := keys[0], keys[1], keys[2], keys[3]
	s := m.shard(a)
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	m.Take(t.Context(), a, 1e-6, 1, now) // oldest, and empty for days
	m.Take(t.Context(), b, 1000, 1, now) // full again a millisecond later
	m.Take(t.Context(), c, 1e-6, 1, now)
	m.Take(t.Context(), d, 1e-6, 1, now.Add(time.Second))
	if _, ok := s.buckets[b]; ok {
		t.Error("the full bucket was kept")
	}
	if _, ok := s.buckets[a]; !ok {
		t.Error("the least recently used bucket was evicted though it was not full and another was")
	}
	if n := len(s.buckets); n != 3 {
		t.Errorf("%d buckets in the shard, want 3", n)
	}
	// The recency list and the map agree.
	n := 0
	for e := s.head; e != nil; e = e.next {
		if s.buckets[e.key] != e {
			t.Errorf("listed bucket %s not in the map", e.key)
		}
		n++
	}
	if n != len(s.buckets) {
		t.Errorf("%d listed buckets, %d in the map", n, len(s.buckets))
	}
}
