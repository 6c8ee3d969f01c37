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
	"context"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

const (
	// shardCount spreads keys over this many independently locked maps, so that requests for
	// different keys rarely wait on one another. A power of two, so that a mask picks a shard.
	shardCount = 64

	// DefaultMaxBuckets is the bucket count a Memory keeps when MemoryOptions.MaxBuckets is 0.
	DefaultMaxBuckets = 100_000

	// DefaultCheckpointInterval is how often Run saves quota counters when neither its
	// argument nor MemoryOptions.CheckpointInterval says.
	DefaultCheckpointInterval = time.Second

	// nano is one token in the bucket's unit. Buckets count billionths of a token so that a
	// refill of elapsed nanoseconds times a rate in tokens per second is an integer count of
	// units, and comparing with one token is exact.
	nano = int64(1e9)

	// maxBurst keeps burst*nano within an int64; no configured burst comes near it.
	maxBurst = math.MaxInt64 / nano

	// evictScan is how many of the least recently used buckets eviction looks at for a full
	// one, which is safe to drop: a bucket is created full, so forgetting it changes nothing.
	evictScan = 4
)

// Never is the retryAfter of a bucket that will never hold a token: its rate is not positive
// or its burst is below one.
const Never = time.Duration(math.MaxInt64)

// MemoryOptions configures a Memory. The zero value is usable.
type MemoryOptions struct {
	// MaxBuckets caps the token buckets kept (DefaultMaxBuckets when 0). Past it, the least
	// recently used bucket of a shard is dropped to make room, preferring one that is full.
	// Dropping a bucket that is not full gives its key a full bucket on its next request.
	MaxBuckets int

	// CheckpointInterval is how often Run saves quota counters when its interval argument is
	// not positive (DefaultCheckpointInterval when 0). A restart loses at most the counts of
	// the last interval: that many requests a restarted proxy may let through again. Shorter
	// intervals lose less and write more.
	CheckpointInterval time.Duration

	// Now is the clock of Run and LoadMemory, which drop quota windows that have ended
	// (time.Now when nil). Take and Consume never read it: their callers pass the time.
	Now func() time.Time

	// Log receives checkpoint errors from Run. The zero Logger discards them.
	Log logr.Logger
}

// Memory is a Store in the memory of one proxy: each replica enforces its own limits. Quota
// counters survive a restart through Save and LoadMemory (or Run); token buckets do not, and
// a restarted proxy's buckets start full, as after an idle spell. Keys hash to shardCount
// shards, each with its own lock, so there is no lock common to all requests.
type Memory struct {
	seed   maphash.Seed
	opts   MemoryOptions
	shards [shardCount]shard
}

// shard is the state of the keys that hash to it, under its own lock.
type shard struct {
	mu         sync.Mutex
	maxBuckets int
	buckets    map[string]*bucket
	// head and tail are the most and least recently used buckets, for eviction.
	head, tail *bucket
	quotas     map[string]*counter
	// Keeps the locks of neighbouring shards off one cache line, so that contention on one
	// shard does not slow the others.
	_ [64]byte
}

// bucket is a token bucket, refilled lazily when used.
type bucket struct {
	key    string
	tokens int64 // in billionths of a token
	last   int64 // Unix nanoseconds up to which refill is accounted for
	rate   float64
	burst  int64
	// prev is more recently used, next less.
	prev, next *bucket
}

// counter is the count of one key in its latest window; earlier windows are dropped.
type counter struct {
	start, end int64 // Unix nanoseconds
	used       int64
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxBuckets <= 0 {
		opts.MaxBuckets = DefaultMaxBuckets
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = DefaultCheckpointInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Memory{seed: maphash.MakeSeed(), opts: opts}
	// Each shard gets an equal part of the cap: keys hash evenly, and a shard never needs to
	// look at another to decide what to evict.
	perShard := max(1, (opts.MaxBuckets+shardCount-1)/shardCount)
	for i := range m.shards {
		m.shards[i].maxBuckets = perShard
		m.shards[i].buckets = make(map[string]*bucket)
		m.shards[i].quotas = make(map[string]*counter)
	}
	return m
}

func (m *Memory) shard(key string) *shard {
	return &m.shards[maphash.String(m.seed, key)&(shardCount-1)]
}

// Take implements Store. A bucket refills at the rate given now for all the time since it was
// last used: the store cannot know when a limit changed, only that it has.
func (m *Memory) Take(_ context.Context, key string, rate float64, burst int64, now time.Time) (bool, time.Duration, error) {
	burst = min(max(burst, 0), maxBurst)
	capacity := burst * nano
	t := now.UnixNano()

	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	if b == nil {
		b = s.add(key, t)
		b.tokens = capacity
		b.last = t
	} else {
		s.touch(b)
		b.refill(t, rate, capacity)
		b.tokens = min(b.tokens, capacity)
	}
	b.rate, b.burst = rate, burst
	if b.tokens >= nano {
		b.tokens -= nano
		return true, 0, nil
	}
	return false, b.wait(t, rate, capacity), nil
}

// refill adds the tokens earned from b.last to t, up to capacity.
func (b *bucket) refill(t int64, rate float64, capacity int64) {
	elapsed := t - b.last
	if elapsed <= 0 {
		// Concurrent callers may pass times a little out of order; time never runs back.
		return
	}
	if rate <= 0 {
		b.last = t
		return
	}
	earned := float64(elapsed) * rate
	if room := capacity - b.tokens; earned >= float64(room) {
		b.tokens = max(b.tokens, capacity)
		b.last = t
		return
	}
	whole := int64(earned)
	b.tokens += whole
	if rate >= 1 {
		// Every nanosecond earns a unit or more: dropping the fraction loses less than a
		// billionth of a token per call.
		b.last = t
		return
	}
	// Slower buckets advance only by the time that earned whole units, so that the fraction
	// is earned later instead of lost: one used every nanosecond still refills. Rounding the
	// time down credits less than a unit too much per call.
	b.last += min(elapsed, int64(float64(whole)/rate))
}

// wait is how long from t until b holds one token, at rate up to capacity.
func (b *bucket) wait(t int64, rate float64, capacity int64) time.Duration {
	if rate <= 0 || capacity < nano {
		return Never
	}
	need := nano - b.tokens
	pending := t - b.last // already elapsed but not yet earned (less than one unit's worth)
	w := math.Ceil(float64(need)/rate) - float64(pending)
	if w >= float64(math.MaxInt64) {
		return Never
	}
	d := max(int64(w), 1)
	// Float division may round either way: step to the least d at which refill, computing as
	// it does, yields the token, so that a client retrying after d is never refused.
	for int64(float64(d+pending)*rate) < need {
		d++
	}
	for d > 1 && int64(float64(d-1+pending)*rate) >= need {
		d--
	}
	return time.Duration(d)
}

// full reports whether b, refilled to t, is at its burst.
func (b *bucket) full(t int64) bool {
	capacity := b.burst * nano
	if b.tokens >= capacity {
		return true
	}
	elapsed := t - b.last
	return b.rate > 0 && elapsed > 0 && float64(elapsed)*b.rate >= float64(capacity-b.tokens)
}

// add creates the bucket of key at the front of the recency list, evicting one first if the
// shard is at its cap.
func (s *shard) add(key string, t int64) *bucket {
	if len(s.buckets) >= s.maxBuckets {
		s.evict(t)
	}
	b := &bucket{key: key}
	s.buckets[key] = b
	s.pushFront(b)
	return b
}

// evict drops a full bucket among the least recently used few, else the least recently used.
func (s *shard) evict(t int64) {
	victim := s.tail
	for b, i := s.tail, 0; b != nil && i < evictScan; b, i = b.prev, i+1 {
		if b.full(t) {
			victim = b
			break
		}
	}
	if victim == nil {
		return
	}
	s.unlink(victim)
	delete(s.buckets, victim.key)
}

func (s *shard) pushFront(b *bucket) {
	b.prev, b.next = nil, s.head
	if s.head != nil {
		s.head.prev = b
	}
	s.head = b
	if s.tail == nil {
		s.tail = b
	}
}

func (s *shard) unlink(b *bucket) {
	if b.prev != nil {
		b.prev.next = b.next
	} else {
		s.head = b.next
	}
	if b.next != nil {
		b.next.prev = b.prev
	} else {
		s.tail = b.prev
	}
	b.prev, b.next = nil, nil
}

// touch makes b the most recently used bucket.
func (s *shard) touch(b *bucket) {
	if s.head == b {
		return
	}
	s.unlink(b)
	s.pushFront(b)
}

// Consume implements Store. Only the latest window of a key is kept: another window
// replaces it, starting at 0. A request for a window that ended when the kept one began,
// which can race a boundary, is allowed (if limit is positive) without being counted, since
// that window is over. A window that starts earlier but is not over (a plan's period or
// offset changed: DAY to MONTH) is the current one, and replaces the kept one as a later
// window does.
func (m *Memory) Consume(_ context.Context, key string, window Window, limit int64) (bool, int64, error) {
	start, end := window.Start.UnixNano(), window.End.UnixNano()
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.quotas[key]
	switch {
	case c == nil:
		c = &counter{start: start, end: end}
		s.quotas[key] = c
	case start < c.start && end <= c.start:
		return limit > 0, 0, nil
	case start != c.start || end != c.end:
		c.start, c.end, c.used = start, end, 0
	}
	if c.used >= limit {
		return false, c.used, nil
	}
	c.used++
	return true, c.used, nil
}

// Used implements Store. The count of a window that is not the key's latest is 0.
func (m *Memory) Used(_ context.Context, key string, window Window) (int64, error) {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.quotas[key]; c != nil && c.start == window.Start.UnixNano() && c.end == window.End.UnixNano() {
		return c.used, nil
	}
	return 0, nil
}

// prune drops the counters of windows that ended by t: no request counts against them again,
// and keys gone from configuration would otherwise stay forever.
func (m *Memory) prune(t time.Time) {
	end := t.UnixNano()
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for k, c := range s.quotas {
			if c.end <= end {
				delete(s.quotas, k)
			}
		}
		s.mu.Unlock()
	}
}

// bucketCount is the number of buckets kept, for tests.
func (m *Memory) bucketCount() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.buckets)
		s.mu.Unlock()
	}
	return n
}
