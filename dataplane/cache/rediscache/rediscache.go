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

// Package rediscache is the response cache's shared level (cache.Shared) in Redis: every
// proxy replica reads the entries the others filled, so that N replicas call a backend once
// per key and TTL instead of N times. Entries are written with PX set to the time they have
// left, so every replica drops them at the same moment, under
// "portico:cache:<stage key>:<api>:<hex key>".
//
// When Redis is unreachable the cache fails open to each proxy's own LRU: requests are served
// (the backend is called on a local miss), the failure is counted in
// portico_cache_redis_errors_total and logged at most once per interval. After a failure
// Redis is left alone for a retry interval, so that an outage costs requests no time; then
// one request tries it again, and the first that succeeds brings the sharing back. There is
// nothing to reconcile: what was not shared during the outage is refetched at most once per
// replica.
//
// An invalidation (Cache-Control: max-age=0) deletes the Redis entry and publishes its key on
// "portico:cache:invalidate"; every replica subscribes and drops its own copy, so that none
// serves the old answer until its TTL. Messages are not queued: a replica cut off from Redis
// when one is published keeps its copy until it expires.
package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/portico-dev/portico/dataplane/cache"
	"github.com/portico-dev/portico/internal/redisconn"
)

// Defaults of Options.
const (
	DefaultPrefix        = "portico:cache:"
	DefaultLogInterval   = redisconn.DefaultLogInterval
	DefaultRetryInterval = time.Second
)

// Operations, as the op label of portico_cache_redis_errors_total.
const (
	opGet    = "get"
	opSet    = "set"
	opDelete = "delete"
)

// Options configure a Cache.
type Options struct {
	redisconn.Config
	// RetryInterval is how long Redis is left alone after a failure; DefaultRetryInterval
	// when zero.
	RetryInterval time.Duration
}

// Cache is a cache.Shared in Redis, safe for concurrent use; Close releases it.
type Cache struct {
	client *goredis.Client
	prefix string
	// id tells this replica's invalidation messages from the others'.
	id            string
	channel       string
	log           logr.Logger
	now           func() time.Time
	retryInterval time.Duration

	errors  *prometheus.CounterVec
	healthy prometheus.GaugeFunc

	// retryAt is 0 while Redis answers; after a failure, when (unix nanoseconds on now) the
	// next request may try it again. Until then, calls fail open without asking Redis.
	retryAt     atomic.Int64
	unreachable redisconn.FailOpenLog

	mu     sync.Mutex
	pubsub *goredis.PubSub // the invalidation subscription, once OnDelete started it
	// onDelete are the functions OnDelete registered.
	onDelete []func(key string)
	closed   bool
	wg       sync.WaitGroup
}

var _ cache.Shared = (*Cache)(nil)

// New returns a Cache on the Redis server at opts.URL. It does not connect: a proxy starts
// while Redis is down, with its local cache only until Redis answers.
func New(opts Options) (*Cache, error) {
	ro, err := redisconn.ParseURL(opts.URL, "redis cache")
	if err != nil {
		return nil, err
	}
	c := &Cache{
		prefix: opts.Prefix, log: opts.Log, now: opts.Now, retryInterval: opts.RetryInterval,
		errors: redisconn.NewErrorCounter("portico_cache_redis_errors_total",
			"Shared response cache operations that failed, or were skipped while Redis was unreachable, "+
				"by operation (get, set, delete); the proxy's own cache answered alone.",
			opGet, opSet, opDelete),
	}
	// Read from retryAt when scraped, so that it never disagrees with Healthy.
	c.healthy = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "portico_cache_redis_healthy",
		Help: "1 while the shared response cache's Redis answers, 0 while each proxy caches alone.",
	}, func() float64 {
		if c.Healthy() {
			return 1
		}
		return 0
	})
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	c.channel = c.prefix + "invalidate"
	var id [8]byte
	_, _ = rand.Read(id[:]) // never fails (crypto/rand)
	c.id = hex.EncodeToString(id[:])
	if c.now == nil {
		c.now = time.Now
	}
	if c.retryInterval <= 0 {
		c.retryInterval = DefaultRetryInterval
	}
	c.unreachable = redisconn.FailOpenLog{Log: c.log, Now: c.now, Interval: opts.LogInterval, RetryEvery: c.retryInterval}
	if err := redisconn.Register(opts.Registerer, "redis cache", c.errors, c.healthy); err != nil {
		return nil, err
	}
	c.client = goredis.NewClient(ro)
	return c, nil
}

// Close stops the invalidation subscription and closes the connections to Redis.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	if c.pubsub != nil {
		_ = c.pubsub.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
	return c.client.Close()
}

// OnDelete implements cache.Shared: it subscribes to the invalidation channel and calls f
// with each key another replica deleted. It does not wait for Redis: go-redis subscribes in
// the background, and again after every outage. One subscription serves every f.
func (c *Cache) OnDelete(f func(key string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.onDelete = append(c.onDelete, f)
	if c.pubsub != nil {
		return
	}
	ps := c.client.Subscribe(context.Background()) // no channel yet: does not dial
	c.pubsub = ps
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		// The channel is kept even when Redis does not answer, and subscribed on reconnection.
		_ = ps.Subscribe(context.Background(), c.channel)
		for msg := range ps.Channel() {
			from, key, ok := strings.Cut(msg.Payload, " ")
			if !ok || from == c.id {
				continue
			}
			c.mu.Lock()
			fs := c.onDelete
			c.mu.Unlock()
			for _, f := range fs {
				f(key)
			}
		}
	}()
}

// Healthy reports whether Redis answered the last call: when false, calls fail open without
// asking it until the retry interval has passed.
func (c *Cache) Healthy() bool { return c.retryAt.Load() == 0 }

// Get implements cache.Shared: the value and its remaining time to live, read in one
// transaction so that they belong together.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, time.Duration, bool) {
	if !c.allow(opGet) {
		return nil, 0, false
	}
	var get *goredis.StringCmd
	var pttl *goredis.DurationCmd
	_, err := c.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		get = p.Get(ctx, c.prefix+key)
		pttl = p.PTTL(ctx, c.prefix+key)
		return nil
	})
	if errors.Is(err, goredis.Nil) {
		c.answered()
		return nil, 0, false
	}
	if err != nil {
		c.failed(ctx, opGet, err)
		return nil, 0, false
	}
	c.answered()
	value, err := get.Bytes()
	// PTTL is negative for a key without expiry (not one of ours) or one gone meanwhile.
	if err != nil || pttl.Val() <= 0 {
		return nil, 0, false
	}
	return value, pttl.Val(), true
}

// Set implements cache.Shared, in whole milliseconds, at least one.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) {
	if !c.allow(opSet) {
		return
	}
	c.result(ctx, opSet, c.client.Set(ctx, c.prefix+key, value, max(ttl, time.Millisecond)).Err())
}

// Delete implements cache.Shared: the entry is deleted and its key published to the other
// replicas, in one round trip.
func (c *Cache) Delete(ctx context.Context, key string) {
	if !c.allow(opDelete) {
		return
	}
	_, err := c.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Del(ctx, c.prefix+key)
		p.Publish(ctx, c.channel, c.id+" "+key)
		return nil
	})
	c.result(ctx, opDelete, err)
}

// allow reports whether op may ask Redis: always while it answers; after a failure, only once
// the retry interval has passed, and then for one caller at a time, which tries it again.
// A call not allowed fails open.
func (c *Cache) allow(op string) bool {
	at := c.retryAt.Load()
	if at == 0 {
		return true
	}
	now := c.now().UnixNano()
	if now >= at && c.retryAt.CompareAndSwap(at, now+int64(c.retryInterval)) {
		return true
	}
	c.errors.WithLabelValues(op).Inc()
	c.unreachable.Failed(op, nil)
	return false
}

func (c *Cache) result(ctx context.Context, op string, err error) {
	if err != nil {
		c.failed(ctx, op, err)
		return
	}
	c.answered()
}

// answered records that Redis answered: the first answer after an outage brings sharing back.
func (c *Cache) answered() {
	at := c.retryAt.Load()
	if at != 0 && c.retryAt.CompareAndSwap(at, 0) {
		c.log.Info("Redis reachable again, sharing cached responses")
	}
}

// failed records a failed call, unless the caller left: Redis is left alone for the retry
// interval.
func (c *Cache) failed(ctx context.Context, op string, err error) {
	if redisconn.CallerGone(ctx, err) {
		return
	}
	c.retryAt.Store(c.now().Add(c.retryInterval).UnixNano())
	c.errors.WithLabelValues(op).Inc()
	c.unreachable.Failed(op, err)
}
