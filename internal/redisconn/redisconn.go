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

// Package redisconn holds what the data plane's Redis clients share: the limits store and
// the shared response cache both sit on the request path, so both connect with short
// timeouts and no retries, fail open when Redis is unreachable, and say so in the log at most
// once per interval rather than once per request.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
)

// Config is what every Portico Redis client is configured with; the limits store and the
// shared cache embed it in their Options.
type Config struct {
	// URL is the Redis server, as redis://[user:password@]host:port[/db][?options], or
	// rediss:// for TLS; the options are go-redis's (dial_timeout, read_timeout, pool_size,
	// max_retries, ...). Unless set there, connections time out after 1s and reads after
	// 500ms, and commands are not retried: a retried script may count a request twice, and a
	// request is better served without Redis than held.
	URL string
	// Prefix starts every key the client writes; the client's default when empty. Distinct
	// prefixes let several Portico installations share one Redis.
	Prefix string
	// Log receives the fail-open and recovery messages.
	Log logr.Logger
	// Registerer, when not nil, registers the client's metrics.
	Registerer prometheus.Registerer
	// Now is the clock of the log and retry intervals; time.Now when nil. Buckets, quota
	// windows and cache entries use the instants their callers pass, or Redis's clock.
	Now func() time.Time
	// LogInterval is the least time between two "Redis unreachable" messages;
	// DefaultLogInterval when zero.
	LogInterval time.Duration
}

// Connection defaults, used when the URL does not set them: a slow or unreachable Redis must
// cost a request little before it fails open.
const (
	DefaultDialTimeout = time.Second
	DefaultReadTimeout = 500 * time.Millisecond
)

// DefaultLogInterval is the least time between two "Redis unreachable" messages, unless a
// FailOpenLog says otherwise.
const DefaultLogInterval = 10 * time.Second

// ParseURL parses a redis:// (or rediss://) URL into go-redis options, defaulting what the
// URL leaves unset for a client on the request path: 1s to connect, 500ms to read, no
// retried commands (a request is better served without Redis than held) and one dial per
// attempt. what names the client in errors ("redis limits store").
func ParseURL(raw, what string) (*goredis.Options, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s: no URL", what)
	}
	ro, err := goredis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	q := u.Query()
	if !q.Has("dial_timeout") {
		ro.DialTimeout = DefaultDialTimeout
	}
	if !q.Has("read_timeout") {
		ro.ReadTimeout = DefaultReadTimeout
	}
	if !q.Has("max_retries") {
		ro.MaxRetries = -1 // go-redis's "none"
	}
	// One dial per attempt: retried dials to a refused port only delay failing open.
	ro.DialerRetries = 1
	return ro, nil
}

// CallerGone reports whether err is the caller abandoning the request, not Redis failing.
func CallerGone(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && ctx.Err() != nil
}

// FailOpenLog logs "Redis unreachable, failing open" at most once per Interval, with the
// number of failures it kept quiet about since the last message. It takes no lock: it is
// called on the request path, by every request that fails open.
type FailOpenLog struct {
	Log logr.Logger
	// Now is the clock of the interval; time.Now when nil.
	Now func() time.Time
	// Interval is the least time between two messages; DefaultLogInterval when zero.
	Interval time.Duration
	// RetryEvery is how often Redis is tried again while unreachable, for the message.
	RetryEvery time.Duration

	// lastLog is when the message was last logged (unix nanoseconds on Now), and suppressed
	// the failures since.
	lastLog    atomic.Int64
	suppressed atomic.Int64
	// lastErr is Redis's last error, logged when a request fails open without asking it.
	lastErr atomic.Pointer[error]
}

// Failed records one operation op that failed open. err is Redis's error, or nil when Redis
// was not asked because it is thought down; the last error seen is logged then.
func (l *FailOpenLog) Failed(op string, err error) {
	if err != nil {
		l.lastErr.Store(&err)
	}
	interval := l.Interval
	if interval <= 0 {
		interval = DefaultLogInterval
	}
	now := l.now().UnixNano()
	last := l.lastLog.Load()
	if last != 0 && now-last < int64(interval) || !l.lastLog.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return
	}
	if err == nil {
		// Redis was not asked: report why it is thought down.
		if last := l.lastErr.Load(); last != nil {
			err = *last
		} else {
			err = errors.New("no answer from Redis")
		}
	}
	l.Log.Error(err, "Redis unreachable, failing open", "op", op,
		"suppressed", l.suppressed.Swap(0), "retryEvery", l.RetryEvery.String())
}

// NewErrorCounter returns the counter of a Redis client's failed operations, by operation
// (label op), with a series for each of ops from the start, so that dashboards and alerts see
// zeros, not gaps.
func NewErrorCounter(name, help string, ops ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"op"})
	for _, op := range ops {
		c.WithLabelValues(op)
	}
	return c
}

// Register registers cs with reg, when not nil; what names the client in the error.
func Register(reg prometheus.Registerer, what string, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("%s: metrics: %w", what, err)
		}
	}
	return nil
}

func (l *FailOpenLog) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}
