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

package redis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	goredis "github.com/redis/go-redis/v9"

	"github.com/portico-dev/portico/dataplane/limits"
)

// newStore returns a Store on srv, closed at cleanup.
func newStore(t testing.TB, srv *server, opts Options) *Store {
	t.Helper()
	opts.URL = srv.url()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Two proxies sharing one Redis enforce one quota and one bucket, exactly.
func TestReplicasShareLimits(t *testing.T) {
	srv := startRedis(t)
	replicas := []*Store{newStore(t, srv, Options{}), newStore(t, srv, Options{})}
	w, err := limits.QuotaWindow(limits.Day, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const n = 50
	var quota, bucket atomic.Int64
	var wg sync.WaitGroup
	for i := range 2 * n {
		s := replicas[i%2]
		wg.Go(func() {
			ok, _, err := s.Consume(context.Background(), "shared/quota", w, n)
			if err != nil {
				t.Error(err)
			}
			if ok {
				quota.Add(1)
			}
			ok, _, err = s.Take(context.Background(), "shared/bucket", 1, n, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				bucket.Add(1)
			}
		})
	}
	wg.Wait()
	if got := quota.Load(); got != n {
		t.Errorf("%d requests through two replicas against a quota of %d: %d allowed", 2*n, n, got)
	}
	if got := bucket.Load(); got != n {
		t.Errorf("%d takes through two replicas from a bucket of %d: %d allowed", 2*n, n, got)
	}
	for i, s := range replicas {
		if used, err := s.Used(context.Background(), "shared/quota", w); err != nil || used != n {
			t.Errorf("replica %d: Used = %d, %v; want %d", i, used, err, n)
		}
	}
}

// A replica whose clock lags neither refills the bucket again nor moves its time back.
func TestSkewedClocks(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv, Options{})
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Second)
	take := func(at time.Time) bool {
		t.Helper()
		ok, _, err := s.Take(ctx, "skew", 1, 1, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take(t0) || !take(t0.Add(time.Second)) {
		t.Fatal("a full bucket, then one refilled after 1s: refused")
	}
	if take(t0.Add(500 * time.Millisecond)) {
		t.Error("a lagging replica got a token the bucket does not have")
	}
	// Refill counts from t0+1s, the latest time seen, not from the lagging t0+0.5s.
	if take(t0.Add(1900 * time.Millisecond)) {
		t.Error("refilled from the lagging replica's time")
	}
	if !take(t0.Add(2 * time.Second)) {
		t.Error("refused one refill interval after the latest take")
	}
}

// Buckets expire once they would be full again; quota counters a day after their window.
func TestExpiry(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv, Options{Prefix: "exp:"})
	ctx := context.Background()
	if _, _, err := s.Take(ctx, "b", 2, 10, time.Now()); err != nil {
		t.Fatal(err)
	}
	w, err := limits.QuotaWindow(limits.Day, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Consume(ctx, "q", w, 10); err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: srv.addr()})
	defer c.Close()
	// One token short of 10 at 2 per second: full after 500ms, plus the margin.
	ttl, err := c.PTTL(ctx, "exp:b:b").Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := 500*time.Millisecond + bucketMargin; ttl <= want-time.Second || ttl > want {
		t.Errorf("bucket TTL %v, want about %v", ttl, want)
	}
	key := fmt.Sprintf("exp:q:q:%d", w.Start.Unix())
	at, err := c.PExpireTime(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Duration(w.End.Add(quotaGrace).UnixMilli()) * time.Millisecond; at != want {
		t.Errorf("quota counter expires at %v, want %v (a day after the window)", at, want)
	}
}

// fakeClock is the clock of the fail-open log interval.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logLines collects log lines, for counting messages.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, args)
	}, funcr.Options{})
}

func (l *logLines) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, msg) {
			n++
		}
	}
	return n
}

// Redis stopped mid-traffic: the store fails open, counts and logs it, and when Redis comes
// back adds what it admitted meanwhile to the quota and resumes enforcing.
func TestFailOpenAndReconcile(t *testing.T) {
	srv := startRedis(t)
	clock := &fakeClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	var logs logLines
	reg := prometheus.NewRegistry()
	s := newStore(t, srv, Options{
		Log:           logs.logger(),
		Registerer:    reg,
		Now:           clock.now,
		LogInterval:   10 * time.Second,
		ProbeInterval: 20 * time.Millisecond,
	})
	ctx := context.Background()
	w, err := limits.QuotaWindow(limits.Day, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	consume := func(wantOK bool, wantUsed int64) {
		t.Helper()
		ok, used, err := s.Consume(ctx, "k", w, 10)
		if err != nil || ok != wantOK || used != wantUsed {
			t.Fatalf("Consume = %v, %d, %v; want %v, %d, nil", ok, used, err, wantOK, wantUsed)
		}
	}
	for i := int64(1); i <= 3; i++ {
		consume(true, i)
	}
	now := time.Now()
	if ok, _, err := s.Take(ctx, "b", 1, 1, now); !ok || err != nil {
		t.Fatalf("Take = %v, %v", ok, err)
	}

	srv.shutdown(t)
	// The bucket is empty, the quota not: while Redis is down both admit, used unknown.
	for range 5 {
		if ok, retry, err := s.Take(ctx, "b", 1, 1, now); !ok || retry != 0 || err != nil {
			t.Fatalf("Take with Redis down = %v, %v, %v; want true, 0, nil", ok, retry, err)
		}
	}
	for range 5 {
		consume(true, 0)
	}
	if s.Healthy() {
		t.Error("Healthy with Redis down")
	}
	if _, err := s.Used(ctx, "k", w); err == nil {
		t.Error("Used with Redis down: no error")
	}
	for op, want := range map[string]float64{opTake: 5, opConsume: 5, opUsed: 1} {
		if got := testutil.ToFloat64(s.metrics.errors.WithLabelValues(op)); got != want {
			t.Errorf("portico_limits_store_errors_total{op=%q} = %v, want %v", op, got, want)
		}
	}
	if got := testutil.ToFloat64(s.metrics.healthy); got != 0 {
		t.Errorf("portico_limits_store_healthy = %v with Redis down", got)
	}
	const msg = "Redis unreachable, failing open"
	if n := logs.count(msg); n != 1 {
		t.Errorf("%q logged %d times within one interval, want once", msg, n)
	}
	clock.advance(10 * time.Second)
	consume(true, 0)
	if n := logs.count(msg); n != 2 {
		t.Errorf("%q logged %d times over two intervals, want twice", msg, n)
	}

	srv.start(t)
	deadline := time.Now().Add(10 * time.Second)
	for !s.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("not healthy 10s after Redis came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The three counted before the outage survived it, and the six admitted during it were
	// added: the quota of 10 has one request left.
	if used, err := s.Used(ctx, "k", w); err != nil || used != 9 {
		t.Errorf("Used after recovery = %d, %v; want 3 before the outage + 6 during it", used, err)
	}
	consume(true, 10)
	consume(false, 10)
	// The bucket drained before the outage is enforced again.
	if ok, _, err := s.Take(ctx, "b", 1, 1, now); ok || err != nil {
		t.Errorf("Take after recovery = %v, %v; want refused, the bucket is empty", ok, err)
	}
	if ok, _, err := s.Take(ctx, "b", 1, 1, now.Add(time.Second)); !ok || err != nil {
		t.Errorf("Take after recovery and a refill = %v, %v; want allowed", ok, err)
	}
	if got := testutil.ToFloat64(s.metrics.healthy); got != 1 {
		t.Errorf("portico_limits_store_healthy = %v after recovery", got)
	}
	if n := logs.count("Redis reachable again"); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	if n, err := testutil.GatherAndCount(reg, "portico_limits_store_errors_total"); err != nil || n != 4 {
		t.Errorf("portico_limits_store_errors_total on the registry: %d series, %v; want 4", n, err)
	}
}

// A caller that gives up is not Redis failing.
func TestCanceledCaller(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, _, err := s.Take(ctx, "b", 1, 1, time.Now()); !ok || err != nil {
		t.Errorf("Take with a canceled context = %v, %v", ok, err)
	}
	w, _ := limits.QuotaWindow(limits.Day, 0, time.Now())
	if ok, _, err := s.Consume(ctx, "q", w, 1); !ok || err != nil {
		t.Errorf("Consume with a canceled context = %v, %v", ok, err)
	}
	if !s.Healthy() {
		t.Error("a canceled caller marked Redis down")
	}
	if got := testutil.ToFloat64(s.metrics.errors.WithLabelValues(opTake)); got != 0 {
		t.Errorf("a canceled caller counted as a store error: %v", got)
	}
}

func TestClientOptions(t *testing.T) {
	for _, bad := range []string{"", "http://localhost:6379", "redis://localhost:6379/notadb"} {
		if _, err := New(Options{URL: bad}); err == nil {
			t.Errorf("New(%q): no error", bad)
		}
	}
	ro, err := clientOptions("redis://localhost:6379/2")
	if err != nil {
		t.Fatal(err)
	}
	if ro.DB != 2 || ro.DialTimeout != defaultDialTimeout || ro.ReadTimeout != defaultReadTimeout || ro.MaxRetries != -1 {
		t.Errorf("defaults: db %d, dial %v, read %v, retries %d", ro.DB, ro.DialTimeout, ro.ReadTimeout, ro.MaxRetries)
	}
	ro, err = clientOptions("redis://localhost:6379?dial_timeout=3s&read_timeout=2s&max_retries=2")
	if err != nil {
		t.Fatal(err)
	}
	if ro.DialTimeout != 3*time.Second || ro.ReadTimeout != 2*time.Second || ro.MaxRetries != 2 {
		t.Errorf("URL options ignored: dial %v, read %v, retries %d", ro.DialTimeout, ro.ReadTimeout, ro.MaxRetries)
	}
	// Metrics registered twice on one registry is a wiring mistake, reported, not a panic.
	reg := prometheus.NewRegistry()
	s, err := New(Options{URL: "redis://localhost:6379", Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := New(Options{URL: "redis://localhost:6379", Registerer: reg}); err == nil {
		t.Error("a second store on one registry: no error")
	}
}

func BenchmarkTake(b *testing.B) {
	srv := startRedis(b)
	s := newStore(b, srv, Options{})
	ctx := context.Background()
	b.Run("one key", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.Take(ctx, "bench", 1e9, 1e9, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel, key per goroutine", func(b *testing.B) {
		var id atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			key := fmt.Sprintf("bench/%d", id.Add(1))
			for pb.Next() {
				if _, _, err := s.Take(ctx, key, 1e9, 1e9, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	if !s.Healthy() {
		b.Fatal("Redis failed during the benchmark: the numbers are of failing open")
	}
}

// Every request admitted around an outage is counted once Redis is back, however the
// requests interleave with the store going down and reconciling.
func TestReconcileUnderLoad(t *testing.T) {
	srv := startRedis(t)
	s := newStore(t, srv, Options{Log: logr.Discard(), ProbeInterval: 5 * time.Millisecond})
	w, err := limits.QuotaWindow(limits.Day, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var admitted atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ok, _, err := s.Consume(context.Background(), "load", w, 1<<40)
				if err != nil || !ok {
					t.Errorf("Consume = %v, %v", ok, err)
					return
				}
				admitted.Add(1)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	srv.shutdown(t)
	time.Sleep(50 * time.Millisecond)
	srv.start(t)
	deadline := time.Now().Add(10 * time.Second)
	for !s.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("not healthy 10s after Redis came back")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	used, err := s.Used(context.Background(), "load", w)
	if err != nil {
		t.Fatal(err)
	}
	// A request whose script ran but whose answer was lost is counted twice (see Consume), so
	// the count may exceed what was admitted, never fall short of it.
	if got := admitted.Load(); used < got || used > got+8 {
		t.Errorf("%d requests admitted, %d counted", got, used)
	}
	t.Logf("%d requests admitted, %d counted", admitted.Load(), used)
}
