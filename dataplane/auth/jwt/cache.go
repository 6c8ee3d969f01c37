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
	"sync"
	"time"
	"unsafe"
)

// Verification cache sizing. Shards keep concurrent requests from queueing on one lock.
const (
	cacheEntries = 10000
	// cacheBytes bounds the bytes of the tokens held, so that 10,000 tokens of the largest
	// size accepted (maxTokenBytes) cannot take 160 MB: at that size a shard keeps 128.
	cacheBytes  = 32 << 20
	shardBits   = 4
	cacheShards = 1 << shardBits
	// cacheGrace keeps an entry past the token's expiry for authorizers with a clock skew
	// leeway; past it the entry is dropped, and a larger leeway only costs a verification.
	cacheGrace = 10 * time.Minute
)

// cacheKey names a verified token: the token itself and the key set that verified it, since
// the same token may be sent to authorizers trusting different providers.
//
// The token, not a digest of it: hashing a token of 500 bytes to 2 KB with SHA-256 was most of
// what a cached token cost per request, where the map's own hash and compare cost a tenth of
// it. The trade-off: verified tokens, which are bearer credentials until they expire, stay in
// the proxy's memory for as long as they are cached (until evicted, or expired plus
// cacheGrace), where a digest would not have let one be read back from a memory dump. What
// keeps it safe otherwise:
//   - the lookup is exact: the entry the map finds by the token's last bytes (tail) is the
//     token's only when the whole token and the key set are equal to its; no truncated or
//     non-cryptographic hash decides whether a token is the one verified;
//   - only tokens whose signature verified enter, so a client cannot fill the cache with
//     tokens of its own making, and the cache is bounded (cacheEntries and cacheBytes);
//   - the cache's copy of a token is wiped when its entry goes;
//   - tokens are still never logged, and never leave the process.
type cacheKey struct {
	set   *keySet
	token string
}

// resultCache holds the tokens whose signature verified, with their parsed claims, so that a
// client sending the same token again costs a map lookup. Only verified tokens enter it:
// invalid tokens cannot evict valid ones. It is an LRU bounded to cacheEntries tokens and
// cacheBytes of them.
type resultCache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.Mutex
	// entries holds each entry by its token's tail: its last eight bytes, of the signature,
	// which no two tokens verified share (48 bits of it in base64url). Keyed by the whole
	// token (and key set), a lookup hashed a bearer token's 600 bytes or more; by a
	// 32-byte tail, it still hashed a string and picked the shard with another hash; by a
	// word, the map's lookup is its cheapest, and the word picks the shard too. A token
	// whose tail matches another's finds that entry, is not it (the comparison of the whole
	// key decides), and is verified.
	entries map[uint64]*list.Element
	order   list.List // of *cacheEntry, most recently used first
	bytes   int       // of the tokens held
}

type cacheEntry struct {
	key    cacheKey
	claims *claims
	// verified is when the token was verified, in Unix nanoseconds: a reader whose
	// authorizer's resultTtlSeconds has passed since verifies it again.
	verified int64
}

func newResultCache() *resultCache {
	c := &resultCache{}
	for i := range c.shards {
		c.shards[i].entries = map[uint64]*list.Element{}
	}
	return c
}

// tail is the word that keys a token's entry: its last eight bytes (all of a shorter one).
func tail(token string) uint64 {
	if len(token) < 8 {
		var w uint64
		for i := range len(token) {
			w = w<<8 | uint64(token[i])
		}
		return w
	}
	b := token[len(token)-8:]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// shard picks the shard of a tail: the top bits of its product by 2^64 over the golden ratio
// (Fibonacci hashing), which mixes all its bytes in. It only spreads the locks: only
// verified tokens enter a shard, so no client can crowd one, and the comparison of the whole
// key after the shard's lookup decides identity.
func (c *resultCache) shard(t uint64) *cacheShard {
	return &c.shards[(t*0x9e3779b97f4a7c15)>>(64-shardBits)]
}

// get returns the cached claims of k, or nil; nil too when they were verified ttl or longer
// before now. The reader's ttl, not the writer's: authorizers of different resultTtlSeconds
// share a key set's entries, and a lowered resultTtlSeconds applies to those cached already.
func (c *resultCache) get(k cacheKey, now time.Time, ttl time.Duration) *claims {
	t := tail(k.token)
	s := c.shard(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[t]
	if !ok {
		return nil
	}
	entry := e.Value.(*cacheEntry)
	if entry.key != k {
		return nil // another token that ends alike, or the token verified by another key set
	}
	if entry.claims.stale(now.Unix()) {
		s.remove(e)
		return nil
	}
	if now.UnixNano()-entry.verified >= int64(ttl) {
		return nil // the verification that follows replaces the entry
	}
	s.order.MoveToFront(e)
	return entry.claims
}

// put caches the claims of k, verified at now, evicting the least recently used entries of a
// full shard.
func (c *resultCache) put(k cacheKey, cl *claims, now time.Time) {
	if k.token == "" || len(k.token) > cacheBytes/cacheShards {
		return // no token is either, since maxTokenBytes is smaller; keeps own and wipe simple
	}
	t := tail(k.token)
	s := c.shard(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[t]; ok {
		if entry := e.Value.(*cacheEntry); entry.key == k {
			entry.claims, entry.verified = cl, now.UnixNano()
			s.order.MoveToFront(e)
			return
		}
		s.remove(e) // the tail's last token, for another key set (or by chance): this one replaces it
	}
	for s.order.Len() >= cacheEntries/cacheShards || s.bytes+len(k.token) > cacheBytes/cacheShards {
		s.remove(s.order.Back())
	}
	// The request's token may share memory with the rest of the request: the cache keeps a
	// copy of its own, which remove wipes.
	k.token = own(k.token)
	s.entries[t] = s.order.PushFront(&cacheEntry{key: k, claims: cl, verified: now.UnixNano()})
	s.bytes += len(k.token)
}

// remove drops e and wipes its copy of the token, which nothing else refers to once it is
// out of the map and the list.
func (s *cacheShard) remove(e *list.Element) {
	entry := e.Value.(*cacheEntry)
	s.order.Remove(e)
	delete(s.entries, tail(entry.key.token))
	s.bytes -= len(entry.key.token)
	wipe(entry.key.token)
}

// own returns a copy of a non-empty token in memory of its own, for wipe to clear.
func own(token string) string {
	b := make([]byte, len(token))
	copy(b, token)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// wipe clears a string made by own. Only the cache ever sees those strings (get returns
// claims, never keys), so no reader can see one change.
func wipe(token string) {
	clear(unsafe.Slice(unsafe.StringData(token), len(token)))
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
