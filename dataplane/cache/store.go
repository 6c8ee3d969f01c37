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

// Package cache is a stage's response cache, as Amazon API Gateway's stage cache: GET and
// HEAD responses of a route kept for a TTL, keyed by method, resource path and the route's
// cache key parameters, in a per-stage LRU bounded in bytes. Entries live in a Store that
// outlives configurations; the proxy step (NewStep) serves hits and fills misses.
package cache

import (
	"container/list"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// MaxItemBytes is the largest entry (headers and body) the cache keeps, as AWS caps items.
const MaxItemBytes = 1 << 20

// What an entry costs beyond the bytes of its body and of its header names and values, so
// that a stage's capacity bounds the memory its cache takes, not only the content it holds:
// counting content alone, a cache of small answers took ten times its capacity. Measured by
// TestEntryOverhead (Go 1.26, amd64; go test -run EntryOverhead -v prints the figures): an
// answer with a 16-byte body, Content-Type and Content-Length, under a 32-byte key, takes
// 469 bytes of heap, 409 beyond its content (the key included); each further header field
// adds about 70 bytes. A shared level adds 78 bytes (hashedOverhead). (Measured on Go
// 1.26.8: TestEntryOverhead prints the figures.)
const (
	// entryOverhead is the fixed cost of one entry: the entry itself, its element of the
	// LRU list, its slot in the index (at the index's usual load). The key's bytes count
	// apart (keyCharge).
	entryOverhead = 240
	// hashedOverhead is, with a shared level, an entry's slot in the index by the SHA-256
	// of its key, by which another replica's invalidation finds it.
	hashedOverhead = 80
	// fieldOverhead is the cost of one header field beyond its name and values: its
	// element of the entry's fields (a string and a slice header, 40 bytes), and the
	// rounding of its allocations to their size classes.
	fieldOverhead = 55
	// valueOverhead is the cost of one header value beyond its bytes: its string header in
	// the backing array of the field's value slice.
	valueOverhead = 16
)

// keyCharge is what the key of an entry costs beyond entryOverhead: its bytes, held once by
// the entry and the index, and with a shared level the slot of its hash in the index by
// hash (hashedOverhead). Keys are as long as the request makes them (header and query
// values), so they count as content does.
func (c *stageCache) keyCharge(key string) int64 {
	n := int64(len(key))
	if c.hashed != nil {
		n += hashedOverhead
	}
	return n
}

// charge is what an entry with header and body costs against its cache's capacity. The
// body counts by its capacity: the bytes it holds on to, not only those it uses.
func charge(header []field, body []byte) int64 {
	n := int64(entryOverhead + cap(body))
	for _, f := range header {
		n += int64(fieldOverhead + len(f.Name))
		for _, v := range f.Values {
			n += int64(valueOverhead + len(v))
		}
	}
	return n
}

// StoreOptions configure a Store.
type StoreOptions struct {
	// Now is the clock entries expire by; time.Now when nil.
	Now func() time.Time
	// Shared, when not nil, is a second level behind every stage cache, shared with the
	// other proxy replicas (see Shared). Local hits never reach it.
	Shared Shared
}

// Store holds the response caches of every stage, one per stage and API so that stages and
// APIs never share entries. It is created once and outlives configurations: a reload finds
// the same caches (and applies a new capacity in place). A stage cache no configuration
// refers to any more is dropped by the garbage collector, so that a deleted stage does not
// pin its entries forever.
type Store struct {
	now    func() time.Time
	shared Shared

	mu     sync.Mutex
	caches map[cacheID]weak.Pointer[stageCache]
}

type cacheID struct{ stage, api string }

// NewStore returns an empty Store.
func NewStore(opts StoreOptions) *Store {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{now: opts.Now, shared: opts.Shared, caches: map[cacheID]weak.Pointer[stageCache]{}}
	if s.shared != nil {
		s.shared.OnDelete(s.dropShared)
	}
	return s
}

// stage returns the cache of stage key and API, created if needed, with its capacity set to
// capacity; shrinking evicts at once. Handlers hold the returned pointer: it is what keeps
// the cache alive.
func (s *Store) stage(key, api string, capacity int64) *stageCache {
	id := cacheID{key, api}
	s.mu.Lock()
	c := s.caches[id].Value()
	if c == nil {
		c = &stageCache{
			now: s.now, shared: s.shared, sharedPrefix: key + ":" + api + ":",
			entries: map[string]*list.Element{}, flights: map[string]*flight{},
		}
		if s.shared != nil {
			c.hashed = map[[32]byte]*list.Element{}
		}
		s.caches[id] = weak.Make(c)
		// A newer cache may have taken the slot by the time the old one is collected.
		runtime.AddCleanup(c, func(id cacheID) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.caches[id].Value() == nil {
				delete(s.caches, id)
			}
		}, id)
	}
	s.mu.Unlock()
	c.setCapacity(capacity)
	return c
}

// Bytes is what the entries of stage key and API cost against its capacity (bodies, headers,
// keys and the fixed overhead of each, see charge), and their number; zero when the stage has
// no cache.
func (s *Store) Bytes(key, api string) (size int64, entries int) {
	s.mu.Lock()
	c := s.caches[cacheID{key, api}].Value()
	s.mu.Unlock()
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, c.lru.Len()
}

// Flush drops every entry of stage key and API, as AWS's "flush stage cache", from this
// proxy's level; the shared level's entries expire by themselves.
func (s *Store) Flush(key, api string) {
	s.mu.Lock()
	c := s.caches[cacheID{key, api}].Value()
	s.mu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Init()
	clear(c.entries)
	clear(c.hashed)
	c.size = 0
}

// entry is one cached response.
type entry struct {
	// key is the entry's key (handler.appendKey); sum, its SHA-256, with a shared level.
	key    string
	sum    [32]byte
	status int
	// header is the stored fields, sorted by name: a hit ranges over a slice, cheaper than
	// over a map, to copy them into the response's header.
	header []field
	body   []byte
	// size is what the entry is charged against the capacity (charge).
	size    int64
	expires time.Time
	// stored is when the backend's answer was stored, which a hit's Age counts from.
	stored time.Time
}

// field is one stored header field: a canonical name (as the backend's header map had it)
// and its values. They are kept sorted by name (httpsyntax.SortFields), which makes an
// entry's encoding one sequence of bytes and its duplicate names neighbours.
type field = httpsyntax.Field

// flight is a backend call other requests for the same key wait for.
type flight struct {
	// key is the key the flight fills; sum, its SHA-256, set by fromShared with a shared
	// level, for the entry the flight stores.
	key  string
	sum  [32]byte
	done chan struct{}
	// entry is what the call stored; nil when its response was not cacheable, and the
	// followers call the backend themselves.
	entry *entry
	// waiters counts the followers, for tests.
	waiters int
}

// stageCache is one stage's LRU, guarded by its own mutex: stages never contend.
type stageCache struct {
	now func() time.Time
	// shared is the level behind this one, nil without; sharedPrefix starts its keys.
	shared       Shared
	sharedPrefix string

	mu       sync.Mutex
	capacity int64
	size     int64
	lru      list.List // of *entry, most recently used first
	entries  map[string]*list.Element
	flights  map[string]*flight
	// hashed indexes the entries by the SHA-256 of their key when there is a shared level,
	// whose keys name entries by it (dropShared); nil without.
	hashed map[[32]byte]*list.Element
}

func (c *stageCache) setCapacity(capacity int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.capacity = capacity
	c.evict()
}

// evict drops least recently used entries until the cache fits its capacity.
func (c *stageCache) evict() {
	for c.size > c.capacity {
		back := c.lru.Back()
		if back == nil {
			return
		}
		c.remove(back)
	}
}

func (c *stageCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*entry)
	delete(c.entries, e.key)
	if c.hashed != nil && c.hashed[e.sum] == el {
		delete(c.hashed, e.sum)
	}
	c.size -= e.size
}

// lookup returns the live entry of key, or the flight filling it (leader false), or makes
// the caller the leader of a new flight (leader true). With invalidate, a live entry is
// dropped rather than returned. Only a new flight copies key: a hit allocates nothing.
func (c *stageCache) lookup(key []byte, invalidate bool) (e *entry, f *flight, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[string(key)]; ok {
		e := el.Value.(*entry)
		switch {
		case invalidate || !c.now().Before(e.expires):
			c.remove(el)
		default:
			c.lru.MoveToFront(el)
			return e, nil, false
		}
	}
	if f, ok := c.flights[string(key)]; ok {
		f.waiters++
		return nil, f, false
	}
	f = &flight{key: string(key), done: make(chan struct{})}
	c.flights[f.key] = f
	return nil, f, true
}

// finish ends the leader's flight, storing e under its key when it is not nil, and releases
// the followers.
func (c *stageCache) finish(f *flight, e *entry) {
	c.mu.Lock()
	if c.flights[f.key] == f {
		delete(c.flights, f.key)
	}
	if e != nil {
		e.key, e.sum = f.key, f.sum
		e.size += c.keyCharge(e.key)
	}
	if e != nil && e.size <= c.capacity {
		if el, ok := c.entries[e.key]; ok {
			c.remove(el)
		}
		el := c.lru.PushFront(e)
		c.entries[e.key] = el
		if c.hashed != nil {
			// Another key with the same SHA-256 is not known to exist; were there one, its
			// entry goes, so that both indexes name the same entries.
			if old, ok := c.hashed[e.sum]; ok {
				c.remove(old)
			}
			c.hashed[e.sum] = el
		}
		c.size += e.size
		c.evict()
	}
	c.mu.Unlock()
	f.entry = e
	close(f.done)
}
