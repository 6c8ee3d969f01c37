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

package lambda

import (
	"testing"
	"time"
)

func TestCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	c := newCache(2, 1000)
	now := newClock().Now()
	a, b, d := newCacheKey("a"), newCacheKey("b"), newCacheKey("d")
	c.put(a, &decision{size: 10}, now)
	c.put(b, &decision{size: 10}, now)
	if _, ok := c.get(a, now, time.Minute); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.put(d, &decision{size: 10}, now)
	if _, ok := c.get(b, now, time.Minute); ok {
		t.Fatal("b, the least recently used, was kept")
	}
	if _, ok := c.get(a, now, time.Minute); !ok {
		t.Fatal("a was evicted")
	}
	if c.len() != 2 {
		t.Fatalf("%d entries, want 2", c.len())
	}
}

func TestCacheBoundsBytes(t *testing.T) {
	c := newCache(100, 25)
	now := newClock().Now()
	c.put(newCacheKey("a"), &decision{size: 10}, now)
	c.put(newCacheKey("b"), &decision{size: 10}, now)
	c.put(newCacheKey("c"), &decision{size: 10}, now)
	if c.len() != 2 || c.bytes != 20 {
		t.Fatalf("%d entries of %d bytes, want 2 of 20", c.len(), c.bytes)
	}
	c.put(newCacheKey("huge"), &decision{size: 26}, now)
	if _, ok := c.get(newCacheKey("huge"), now, time.Minute); ok {
		t.Fatal("an answer larger than the whole cache was cached")
	}
}

func TestCacheTTLIsTheReaders(t *testing.T) {
	c := newCache(10, 1000)
	clock := newClock()
	k := newCacheKey("k")
	c.put(k, &decision{}, clock.Now())
	clock.Add(30 * time.Second)
	if _, ok := c.get(k, clock.Now(), 10*time.Second); ok {
		t.Fatal("an entry older than a lowered TTL was served")
	}
	if c.len() != 0 {
		t.Fatal("an expired entry was kept")
	}
}

func TestCacheKeysDoNotCollideByConcatenation(t *testing.T) {
	if newCacheKey("ab", "c") == newCacheKey("a", "bc") {
		t.Fatal("keys collide")
	}
}
