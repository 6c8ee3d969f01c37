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

package jwt

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// Verification cache sizing. Shards keep concurrent requests from queueing on one lock.
const (
	cacheEntries = 10000
	cacheShards  = 16
	// cacheGrace keeps an entry past the token's expiry for authorizers with a clock skew
	// leeway; past it the entry is dropped, and a larger leeway only costs a verification.
	cacheGrace = 10 * time.Minute
)

// cacheKey names a verified token: the SHA-256 of the token (never the token, which is a
// credential) and the key set that verified it, since the same token may be sent to
// authorizers trusting different providers.
type cacheKey struct {
	set *keySet
	sum [sha256.Size]byte
}

// resultCache holds the tokens whose signature verified, with their parsed claims, so that a
// client sending the same token again costs a hash and a map lookup. Only verified tokens
// enter it: invalid tokens cannot evict valid ones. It is an LRU bounded to cacheEntries.
type resultCache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu      sync.Mutex
	entries map[cacheKey]*list.Element
	order   list.List // of *cacheEntry, most recently used first
}

type cacheEntry struct {
	key    cacheKey
	claims *claims
}

func newResultCache() *resultCache {
	c := &resultCache{}
	for i := range c.shards {
		c.shards[i].entries = map[cacheKey]*list.Element{}
	}
	return c
}

func (c *resultCache) shard(k cacheKey) *cacheShard { return &c.shards[k.sum[0]%cacheShards] }

// get returns the cached claims of k, or nil.
func (c *resultCache) get(k cacheKey, now time.Time) *claims {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[k]
	if !ok {
		return nil
	}
	entry := e.Value.(*cacheEntry)
	if now.After(entry.claims.expiry.Add(cacheGrace)) {
		s.order.Remove(e)
		delete(s.entries, k)
		return nil
	}
	s.order.MoveToFront(e)
	return entry.claims
}

// put caches the claims of k, evicting the least recently used entry of a full shard.
func (c *resultCache) put(k cacheKey, cl *claims) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[k]; ok {
		e.Value.(*cacheEntry).claims = cl
		s.order.MoveToFront(e)
		return
	}
	if s.order.Len() >= cacheEntries/cacheShards {
		oldest := s.order.Back()
		s.order.Remove(oldest)
		delete(s.entries, oldest.Value.(*cacheEntry).key)
	}
	s.entries[k] = s.order.PushFront(&cacheEntry{key: k, claims: cl})
}

// len is the number of cached entries.
func (c *resultCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += s.order.Len()
		s.mu.Unlock()
	}
	return n
}
