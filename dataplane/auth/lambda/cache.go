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
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// cacheKey is a digest of an authorizer's identity and a request's identity source values.
// A digest bounds the memory a key takes whatever the token's length, and keeps tokens out
// of the heap once their request is done.
type cacheKey [sha256.Size]byte

// newCacheKey hashes the parts with their lengths, so that no two lists of parts collide by
// concatenation ("ab","c" against "a","bc").
func newCacheKey(parts ...string) cacheKey {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		_, _ = h.Write(n[:])
		_, _ = h.Write([]byte(p))
	}
	var k cacheKey
	h.Sum(k[:0])
	return k
}

// cache holds decisions, least recently used first out once it holds maxEntries entries
// or maxBytes of answers. It outlives configurations: the step's constructor owns it.
type cache struct {
	mu         sync.Mutex
	byKey      map[cacheKey]*list.Element
	lru        list.List // of *cacheEntry, most recent at the front
	bytes      int
	maxEntries int
	maxBytes   int
}

type cacheEntry struct {
	key cacheKey
	d   *decision
	at  time.Time
}

func newCache(maxEntries, maxBytes int) *cache {
	return &cache{byKey: make(map[cacheKey]*list.Element), maxEntries: maxEntries, maxBytes: maxBytes}
}

// get returns the decision stored under k if it is younger than ttl at now. The ttl is the
// reader's, not the writer's, so that lowering resultTtlSeconds takes effect on entries
// already cached.
func (c *cache) get(k cacheKey, now time.Time, ttl time.Duration) (*decision, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.at.Add(ttl)) || now.Before(e.at) {
		c.remove(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.d, true
}

// put stores d under k as of now, evicting the least recently used entries over the bounds.
func (c *cache) put(k cacheKey, d *decision, now time.Time) {
	if c.maxEntries <= 0 || d.size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[k]; ok {
		c.remove(el)
	}
	c.byKey[k] = c.lru.PushFront(&cacheEntry{key: k, d: d, at: now})
	c.bytes += d.size
	for c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

func (c *cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.byKey, e.key)
	c.bytes -= e.d.size
}

// len is the number of entries, for tests.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
