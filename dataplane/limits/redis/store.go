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

// Package redis is a limits.Store kept in Redis, shared by every proxy replica: token buckets
// and quota counters are updated by Lua scripts, atomically, so that N replicas enforce one
// quota exactly and draw on one bucket.
//
// When Redis is unreachable the store fails open, as API Gateway does when its own limiter is
// unavailable: Take and Consume admit the request and return no error, the failure is counted
// in portico_limits_store_errors_total and logged at most once per interval. Requests
// admitted during an outage are tallied in memory and added to their quota counters when
// Redis answers again, so an outage does not hand out free quota; counts already in Redis
// survive it. Buckets need no reconciliation: they refill by themselves. The reconciliation
// is as good as the proxy's memory: a proxy that exits during an outage loses its tally, a
// tally holds at most 100,000 counters, and a request whose script ran but whose answer was
// lost is counted twice (erring on the side of the quota, by at most the requests in flight
// when Redis went away). Once one call fails, the store stops asking Redis and pings it
// instead, so that an outage costs requests no latency; Healthy says which state it is in.
//
// Buckets run on the callers' clocks at microsecond precision (the now passed to Take), not
// on Redis's: see takeLua for why replicas with skewed clocks do not fight over a bucket.
package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	goredis "github.com/redis/go-redis/v9"

	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/internal/quota"
	"github.com/portico-dev/portico/internal/redisconn"
)

// Defaults of Options.
const (
	DefaultPrefix        = "portico:"
	DefaultLogInterval   = redisconn.DefaultLogInterval
	DefaultProbeInterval = time.Second
)

// defaultReadTimeout bounds the store's own calls, as the URL's default bounds requests'.
const defaultReadTimeout = redisconn.DefaultReadTimeout

// bucketMargin is added to a bucket's TTL beyond its full refill, so that a bucket never
// expires while it still holds less than a full refill, whatever the rounding.
const bucketMargin = time.Minute

// quotaGrace keeps a quota counter a day past its window's end, so that usage reports read
// the last window after it closes.
const quotaGrace = 24 * time.Hour

// Options configure a Store.
type Options struct {
	redisconn.Config
	// ProbeInterval is how often an unreachable Redis is pinged until it answers;
	// DefaultProbeInterval when zero. In between, Take and Consume fail open at once instead
	// of waiting for Redis to time out.
	ProbeInterval time.Duration
}

// Store is a limits.Store in Redis. It is safe for concurrent use; Close releases it.
type Store struct {
	client        *goredis.Client
	prefix        string
	log           logr.Logger
	now           func() time.Time
	probeInterval time.Duration
	metrics       *metrics

	// healthy is false from a failed Redis call until a probe succeeds and the tally of the
	// outage is reconciled.
	healthy atomic.Bool

	// unreachable says "Redis unreachable" at most once per log interval, without a lock.
	unreachable redisconn.FailOpenLog

	mu sync.Mutex
	// tally counts the requests Consume admitted while Redis was unreachable, by counter key;
	// guarded by mu, as are the fields below.
	tally     map[string]*pending
	downSince time.Time
	probing   bool // a probe goroutine runs
	closed    bool

	done chan struct{}
	wg   sync.WaitGroup
}

var _ limits.Store = (*Store)(nil)

// New returns a Store on the Redis server at opts.URL. It does not connect: a proxy starts
// while Redis is down, failing open until Redis answers.
func New(opts Options) (*Store, error) {
	ro, err := redisconn.ParseURL(opts.URL, "redis limits store")
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Store{
		client:        goredis.NewClient(ro),
		prefix:        opts.Prefix,
		log:           opts.Log,
		now:           opts.Now,
		probeInterval: opts.ProbeInterval,
		metrics:       m,
		tally:         map[string]*pending{},
		done:          make(chan struct{}),
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.probeInterval <= 0 {
		s.probeInterval = DefaultProbeInterval
	}
	s.unreachable = redisconn.FailOpenLog{Log: s.log, Now: s.now, Interval: opts.LogInterval, RetryEvery: s.probeInterval}
	s.healthy.Store(true)
	return s, nil
}

// Close stops the recovery probe and closes the connections to Redis. Requests tallied
// during an outage that has not ended are lost.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.done)
	s.wg.Wait()
	return s.client.Close()
}

// Healthy reports whether Redis answered the store's last call: when false, Take and Consume
// fail open without asking Redis, until a probe finds it back.
func (s *Store) Healthy() bool {
	return s.healthy.Load()
}

// Take implements limits.Store. The bucket's clock is the callers' now, truncated to the
// microsecond, so replicas with skewed clocks share a bucket without refilling it twice (see
// takeLua); retryAfter is rounded up to the microsecond. On any Redis error it admits the
// request and returns no error.
func (s *Store) Take(ctx context.Context, key string, rate float64, burst int64, now time.Time) (bool, time.Duration, error) {
	if !s.healthy.Load() {
		s.failOpen(opTake, nil)
		return true, 0, nil
	}
	res, err := takeScript.Run(ctx, s.client, []string{s.bucketKey(key)},
		strconv.FormatFloat(rate, 'g', -1, 64),
		burst,
		now.UnixMicro(),
		bucketMargin.Milliseconds(),
	).Int64Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("take script returned %d values, want 2", len(res))
	}
	if err != nil {
		if !redisconn.CallerGone(ctx, err) {
			s.markDown()
			s.failOpen(opTake, err)
		}
		return true, 0, nil
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	if res[1] < 0 {
		return false, limits.Never, nil
	}
	return false, time.Duration(res[1]) * time.Microsecond, nil
}

// Consume implements limits.Store. On any Redis error it admits the request and returns no
// error, with used 0 since the count is unknown; the request is tallied and added to the
// counter when Redis answers again.
func (s *Store) Consume(ctx context.Context, key string, window limits.Window, limit int64) (bool, int64, error) {
	ck := s.counterKey(key, window)
	expireAt := window.End.Add(quotaGrace).UnixMilli()
	if !s.healthy.Load() {
		s.failOpenCounted(ck, expireAt, nil)
		return true, 0, nil
	}
	res, err := consumeScript.Run(ctx, s.client, []string{ck}, limit, expireAt).Int64Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("consume script returned %d values, want 2", len(res))
	}
	if err != nil {
		if redisconn.CallerGone(ctx, err) {
			return true, 0, nil
		}
		// Whether the script ran is unknown: a timeout after it ran counts the request twice
		// once reconciled, which errs on the side of the quota.
		s.markDown()
		s.failOpenCounted(ck, expireAt, err)
		return true, 0, nil
	}
	return res[0] == 1, res[1], nil
}

// Used implements limits.Store. It feeds reports, not admission, so a Redis error is
// returned, not papered over.
func (s *Store) Used(ctx context.Context, key string, window limits.Window) (int64, error) {
	n, err := s.client.Get(ctx, s.counterKey(key, window)).Int64()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		s.metrics.errors.WithLabelValues(opUsed).Inc()
		return 0, fmt.Errorf("redis limits store: quota %q: %w", key, err)
	}
	return n, nil
}

// mgetBatch bounds the keys of one MGET, so that one command never blocks Redis for long.
const mgetBatch = 1000

var _ quota.ManyReader = (*Store)(nil)

// UsedMany returns the counts of keys in window, with one MGET per mgetBatch keys.
func (s *Store) UsedMany(ctx context.Context, keys []string, window limits.Window) ([]int64, error) {
	out := make([]int64, 0, len(keys))
	for batch := range slices.Chunk(keys, mgetBatch) {
		rkeys := make([]string, len(batch))
		for i, k := range batch {
			rkeys[i] = s.counterKey(k, window)
		}
		vals, err := s.client.MGet(ctx, rkeys...).Result()
		if err != nil {
			s.metrics.errors.WithLabelValues(opUsed).Inc()
			return nil, fmt.Errorf("redis limits store: %d quota counters: %w", len(batch), err)
		}
		for i, v := range vals {
			var n int64
			if v != nil {
				str, _ := v.(string)
				if n, err = strconv.ParseInt(str, 10, 64); err != nil {
					return nil, fmt.Errorf("redis limits store: quota %q holds %q, not a count", batch[i], str)
				}
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// bucketKey is the Redis key of a token bucket.
func (s *Store) bucketKey(key string) string {
	return s.prefix + "b:" + key
}

// counterKey is the Redis key of a quota counter in one window: the window's start and end
// are part of the key, so a new window starts from zero and the old one expires by itself,
// and a period or offset change whose window starts at the same instant (DAY to a WEEK
// starting today) counts afresh too.
func (s *Store) counterKey(key string, w limits.Window) string {
	return s.prefix + "q:" + key + ":" + strconv.FormatInt(w.Start.Unix(), 10) + "-" + strconv.FormatInt(w.End.Unix(), 10)
}
