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
	"hash/maphash"
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
	cacheShards = 16
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
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.Mutex
	// entries holds each entry by its token's tail, a substring of the entry's own copy of
	// the token. The tail is of the signature, which no two tokens verified share: keyed by
	// the whole token (and key set), a lookup hashed a bearer token's 600 bytes or more, and
	// went through the map's generic path; by the tail, a cached JWT request costs about 220
	// instructions fewer (callgrind), the one comparison of the whole token after included.
	// A token whose tail matches another's finds that entry, is not it, and is verified.
	entries map[string]*list.Element
	order   list.List // of *cacheEntry, most recently used first
	bytes   int       // of the tokens held
}

type cacheEntry struct {
	key    cacheKey
	claims *claims
}

func newResultCache() *resultCache {
	c := &resultCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].entries = map[string]*list.Element{}
	}
	return c
}

// shard picks k's shard by a seeded hash of the token's tail (of its signature, for any
// token that can be cached), which only spreads the locks: the comparison of the whole key
// after the shard's lookup decides identity.
func (c *resultCache) shard(k cacheKey) *cacheShard {
	return &c.shards[maphash.String(c.seed, tail(k.token))%cacheShards]
}

// tail is the end of a token that picks its shard and keys its entry: tailBytes of it, all
// of a shorter one.
func tail(token string) string {
	return token[max(len(token)-tailBytes, 0):]
}

// tailBytes is how much of a token tail keeps.
const tailBytes = 32

// get returns the cached claims of k, or nil.
func (c *resultCache) get(k cacheKey, now time.Time) *claims {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[tail(k.token)]
	if !ok {
		return nil
	}
	entry := e.Value.(*cacheEntry)
	if entry.key != k {
		return nil // another token that ends alike, or the token verified by another key set
	}
	if now.After(entry.claims.expiry.Add(cacheGrace)) {
		s.remove(e)
		return nil
	}
	s.order.MoveToFront(e)
	return entry.claims
}

// put caches the claims of k, evicting the least recently used entries of a full shard.
func (c *resultCache) put(k cacheKey, cl *claims) {
	if k.token == "" || len(k.token) > cacheBytes/cacheShards {
		return // no token is either, since maxTokenBytes is smaller; keeps own and wipe simple
	}
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[tail(k.token)]; ok {
		if entry := e.Value.(*cacheEntry); entry.key == k {
			entry.claims = cl
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
	s.entries[tail(k.token)] = s.order.PushFront(&cacheEntry{key: k, claims: cl})
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
