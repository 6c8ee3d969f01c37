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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/internal/quota"
	"github.com/portico-dev/portico/internal/redisconn"
	"github.com/portico-dev/portico/internal/redistest"
)

// newStore returns a Store on srv, closed at cleanup.
func newStore(t testing.TB, srv *redistest.Server, opts Options) *Store {
	t.Helper()
	opts.URL = srv.URL()
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
	srv := redistest.Start(t)
	replicas := []*Store{newStore(t, srv, Options{}), newStore(t, srv, Options{})}
	w, err := quota.WindowAt(quota.Day, 0, time.Now())
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
	srv := redistest.Start(t)
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
	srv := redistest.Start(t)
	s := newStore(t, srv, Options{Config: redisconn.Config{Prefix: "exp:"}})
	ctx := context.Background()
	if _, _, err := s.Take(ctx, "b", 2, 10, time.Now()); err != nil {
		t.Fatal(err)
	}
	w, err := quota.WindowAt(quota.Day, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Consume(ctx, "q", w, 10); err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer c.Close()
	// One token short of 10 at 2 per second: full after 500ms, plus the margin.
	ttl, err := c.PTTL(ctx, "exp:b:b").Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := 500*time.Millisecond + bucketMargin; ttl <= want-time.Second || ttl > want {
		t.Errorf("bucket TTL %v, want about %v", ttl, want)
	}
	key := fmt.Sprintf("exp:q:q:%d-%d", w.Start.Unix(), w.End.Unix())
	at, err := c.PExpireTime(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Duration(w.End.Add(quotaGrace).UnixMilli()) * time.Millisecond; at != want {
		t.Errorf("quota counter expires at %v, want %v (a day after the window)", at, want)
	}
}

// Connection defaults are tested in internal/redisconn.
func TestClientOptions(t *testing.T) {
	for _, bad := range []string{"", "http://localhost:6379", "redis://localhost:6379/notadb"} {
		if _, err := New(Options{Config: redisconn.Config{URL: bad}}); err == nil {
			t.Errorf("New(%q): no error", bad)
		}
	}
	// Metrics registered twice on one registry is a wiring mistake, reported, not a panic.
	reg := prometheus.NewRegistry()
	s, err := New(Options{Config: redisconn.Config{URL: "redis://localhost:6379", Registerer: reg}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := New(Options{Config: redisconn.Config{URL: "redis://localhost:6379", Registerer: reg}}); err == nil {
		t.Error("a second store on one registry: no error")
	}
}

func BenchmarkTake(b *testing.B) {
	srv := redistest.Start(b)
	s := newStore(b, srv, Options{})
	ctx := context.Background()
	b.Run("one key", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.Take(ctx, "bench", 1e9, 1e9, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Many requests in flight at once, as on a busy proxy: Redis's round trips overlap.
	b.Run("parallel, key per goroutine", func(b *testing.B) {
		var id atomic.Int64
		b.SetParallelism(16)
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

// A bucket that never refills says so, as the in-memory store does.
func TestNeverRefills(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, Options{})
	now := time.Now()
	for _, tc := range []struct {
		rate  float64
		burst int64
	}{{0, 1}, {1, 0}} {
		key := fmt.Sprintf("never/%v/%d", tc.rate, tc.burst)
		_, _, _ = s.Take(context.Background(), key, tc.rate, tc.burst, now)
		ok, retry, err := s.Take(context.Background(), key, tc.rate, tc.burst, now)
		if ok || retry != limits.Never || err != nil {
			t.Errorf("rate %v, burst %d: Take = %v, %v, %v; want false, Never, nil", tc.rate, tc.burst, ok, retry, err)
		}
	}
}

// UsedMany reads what Used reads, in batches of MGETs, and refuses a counter that holds no
// count.
func TestUsedMany(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, Options{})
	ctx := context.Background()
	w, err := quota.WindowAt(quota.Day, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, mgetBatch+5) // two batches
	for i := range keys {
		keys[i] = fmt.Sprintf("quota/ns/prod/gold/key-%d", i)
	}
	for _, i := range []int{0, 7, mgetBatch + 3} {
		for range i%5 + 1 {
			if ok, _, err := s.Consume(ctx, keys[i], w, 100); !ok || err != nil {
				t.Fatalf("consume %s: %v %v", keys[i], ok, err)
			}
		}
	}
	got, err := quota.UsedMany(ctx, s, keys, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(keys) {
		t.Fatalf("%d counts for %d keys", len(got), len(keys))
	}
	for i, n := range got {
		want, err := s.Used(ctx, keys[i], w)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: UsedMany %d, Used %d", keys[i], n, want)
		}
	}
	if got[0] != 1 || got[7] != 3 || got[mgetBatch+3] != 4 || got[1] != 0 {
		t.Errorf("counts %d %d %d %d, want 1 3 4 0", got[0], got[7], got[mgetBatch+3], got[1])
	}

	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer func() { _ = c.Close() }()
	if err := c.Set(ctx, s.counterKey(keys[1], w), "garbage", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UsedMany(ctx, keys[:2], w); err == nil {
		t.Error("a counter holding no count was read as one")
	}
}
