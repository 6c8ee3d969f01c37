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
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portico-dev/portico/internal/quota"
	"github.com/portico-dev/portico/internal/redisconn"
	"github.com/portico-dev/portico/internal/redistest"
	"github.com/portico-dev/portico/internal/testkit"
)

// Redis stopped mid-traffic: the store fails open, counts and logs it, and when Redis comes
// back adds what it admitted meanwhile to the quota and resumes enforcing.
func TestFailOpenAndReconcile(t *testing.T) {
	srv := redistest.Start(t)
	clock := testkit.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	var logs testkit.Logs
	reg := prometheus.NewRegistry()
	s := newStore(t, srv, Options{Config: redisconn.Config{
		Log:         logs.Logger(),
		Registerer:  reg,
		Now:         clock.Now,
		LogInterval: 10 * time.Second,
	},
		ProbeInterval: 20 * time.Millisecond,
	})
	ctx := context.Background()
	w, err := quota.WindowAt(quota.Day, 0, time.Now())
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

	srv.Shutdown(t)
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
	if n := logs.Count(msg); n != 1 {
		t.Errorf("%q logged %d times within one interval, want once", msg, n)
	}
	clock.Advance(10 * time.Second)
	consume(true, 0)
	if n := logs.Count(msg); n != 2 {
		t.Errorf("%q logged %d times over two intervals, want twice", msg, n)
	}

	srv.Start(t)
	testkit.Eventually(t, "healthy again after Redis came back", s.Healthy)
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
	if n := logs.Count("Redis reachable again"); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	if n, err := testutil.GatherAndCount(reg, "portico_limits_store_errors_total"); err != nil || n != 4 {
		t.Errorf("portico_limits_store_errors_total on the registry: %d series, %v; want 4", n, err)
	}
}

// A caller that gives up is not Redis failing.
func TestCanceledCaller(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, _, err := s.Take(ctx, "b", 1, 1, time.Now()); !ok || err != nil {
		t.Errorf("Take with a canceled context = %v, %v", ok, err)
	}
	w, _ := quota.WindowAt(quota.Day, 0, time.Now())
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

// Every request admitted around an outage is counted once Redis is back, however the
// requests interleave with the store going down and reconciling.
func TestReconcileUnderLoad(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, Options{Config: redisconn.Config{Log: logr.Discard()}, ProbeInterval: 5 * time.Millisecond})
	w, err := quota.WindowAt(quota.Day, 0, time.Now())
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
	srv.Shutdown(t)
	time.Sleep(50 * time.Millisecond)
	srv.Start(t)
	testkit.Eventually(t, "healthy again after Redis came back", s.Healthy)
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

// A Redis that accepts connections and never answers costs one request its read timeout;
// the requests after it fail open at once, without waiting on Redis.
func TestSilentRedis(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	s, err := New(Options{Config: redisconn.Config{
		URL: "redis://" + l.Addr().String() + "?read_timeout=100ms&dial_timeout=100ms",
		Log: logr.Discard(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if ok, _, err := s.Take(context.Background(), "b", 1, 1, time.Now()); !ok || err != nil {
		t.Fatalf("Take = %v, %v; want true, nil", ok, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the first Take against a silent Redis took %v", d)
	}
	start = time.Now()
	for range 100 {
		if ok, _, err := s.Take(context.Background(), "b", 1, 1, time.Now()); !ok || err != nil {
			t.Fatalf("Take = %v, %v; want true, nil", ok, err)
		}
	}
	// Waiting on Redis would cost each Take its 100ms read timeout, 10 s in all; microseconds
	// each is the aim, and a second leaves room for a loaded machine's scheduling.
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 Takes with Redis known down took %v; want no wait on Redis", d)
	}
}
