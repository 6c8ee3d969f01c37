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

// Package limitstest is a conformance suite for limits.Store implementations: every store
// must pass Run, so that the proxy behaves the same whichever one a deployment uses.
package limitstest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/internal/quota"
)

// Run runs the conformance suite, calling newStore for a store in each subtest.
//
// Times are explicit offsets from one instant, as the contract takes now, so no test sleeps.
// That instant and the quota windows are taken around the real time, and keys are unique to
// the run, so that a store that expires keys by the wall clock (as Redis does) or is shared
// between runs still behaves as a fresh one.
func Run(t *testing.T, newStore func(t *testing.T) limits.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s limits.Store, k keys)
	}{
		{"BucketStartsFull", testBucketStartsFull},
		{"BurstThenRefusal", testBurstThenRefusal},
		{"RefillAfterExactElapsed", testRefillAfterExactElapsed},
		{"RefillCappedAtBurst", testRefillCappedAtBurst},
		{"FractionalRate", testFractionalRate},
		{"RetryAfter", testRetryAfter},
		{"RaisedBucketLimits", testRaisedBucketLimits},
		{"LoweredBucketLimits", testLoweredBucketLimits},
		{"BucketConcurrency", testBucketConcurrency},
		{"BucketIsolation", testBucketIsolation},
		{"QuotaCounting", testQuotaCounting},
		{"QuotaRefusalAtLimit", testQuotaRefusalAtLimit},
		{"QuotaZeroLimit", testQuotaZeroLimit},
		{"QuotaRaisedLimit", testQuotaRaisedLimit},
		{"QuotaNewWindow", testQuotaNewWindow},
		{"QuotaSameStartOtherPeriod", testQuotaSameStartOtherPeriod},
		{"QuotaUsedUnknown", testQuotaUsedUnknown},
		{"QuotaConcurrency", testQuotaConcurrency},
		{"QuotaIsolation", testQuotaIsolation},
		{"BucketAndQuotaSeparate", testBucketAndQuotaSeparate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.test(t, newStore(t), keys(fmt.Sprintf("limitstest/%d/%s/", time.Now().UnixNano(), t.Name())))
		})
	}
}

// keys makes keys unique to one subtest of one run.
type keys string

func (k keys) key(name string) string { return string(k) + name }

// t0 is the instant bucket tests count from: a whole second, so that offsets read plainly.
func t0() time.Time { return time.Now().UTC().Truncate(time.Second) }

// day returns today's UTC day window and the next one.
func day(t *testing.T) (cur, next limits.Window) {
	t.Helper()
	now := time.Now()
	cur, err := quota.WindowAt(quota.Day, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	return cur, limits.Window{Start: cur.End, End: cur.End.AddDate(0, 0, 1)}
}

// take calls Take and fails the test on an error.
func take(t *testing.T, s limits.Store, key string, rate float64, burst int64, now time.Time) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := s.Take(context.Background(), key, rate, burst, now)
	if err != nil {
		t.Fatalf("Take(%s): %v", key, err)
	}
	return ok, retry
}

// takeN takes n tokens, failing the test if one is refused.
func takeN(t *testing.T, s limits.Store, key string, rate float64, burst int64, now time.Time, n int) {
	t.Helper()
	for i := range n {
		if ok, retry := take(t, s, key, rate, burst, now); !ok {
			t.Fatalf("take %d of %d (rate %v, burst %d): refused, retry after %v", i+1, n, rate, burst, retry)
		}
	}
}

// wantRefused fails the test unless Take is refused.
func wantRefused(t *testing.T, s limits.Store, key string, rate float64, burst int64, now time.Time) time.Duration {
	t.Helper()
	ok, retry := take(t, s, key, rate, burst, now)
	if ok {
		t.Fatalf("Take(%s, rate %v, burst %d) allowed, want refused", key, rate, burst)
	}
	return retry
}

func testBucketStartsFull(t *testing.T, s limits.Store, k keys) {
	now := t0()
	// A new bucket allows its whole burst at once, not one token.
	takeN(t, s, k.key("a"), 1, 10, now, 10)
}

func testBurstThenRefusal(t *testing.T, s limits.Store, k keys) {
	now := t0()
	takeN(t, s, k.key("a"), 1, 3, now, 3)
	wantRefused(t, s, k.key("a"), 1, 3, now)
	wantRefused(t, s, k.key("a"), 1, 3, now.Add(999*time.Millisecond))
}

func testRefillAfterExactElapsed(t *testing.T, s limits.Store, k keys) {
	now := t0()
	key := k.key("a")
	takeN(t, s, key, 10, 2, now, 2)
	wantRefused(t, s, key, 10, 2, now.Add(100*time.Millisecond-time.Nanosecond))
	takeN(t, s, key, 10, 2, now.Add(100*time.Millisecond), 1)
	wantRefused(t, s, key, 10, 2, now.Add(100*time.Millisecond))
	// Two tokens after two intervals, not one: refill is not lost between calls.
	takeN(t, s, key, 10, 2, now.Add(300*time.Millisecond), 2)
	wantRefused(t, s, key, 10, 2, now.Add(300*time.Millisecond))
}

func testRefillCappedAtBurst(t *testing.T, s limits.Store, k keys) {
	now := t0()
	key := k.key("a")
	takeN(t, s, key, 1, 3, now, 3)
	later := now.Add(time.Hour)
	takeN(t, s, key, 1, 3, later, 3)
	wantRefused(t, s, key, 1, 3, later)
}

func testFractionalRate(t *testing.T, s limits.Store, k keys) {
	now := t0()
	key := k.key("a")
	takeN(t, s, key, 0.5, 1, now, 1)
	wantRefused(t, s, key, 0.5, 1, now.Add(time.Second))
	wantRefused(t, s, key, 0.5, 1, now.Add(2*time.Second-time.Nanosecond))
	takeN(t, s, key, 0.5, 1, now.Add(2*time.Second), 1)
	wantRefused(t, s, key, 0.5, 1, now.Add(3*time.Second))
	takeN(t, s, key, 0.5, 1, now.Add(4*time.Second), 1)
}

func testRetryAfter(t *testing.T, s limits.Store, k keys) {
	now := t0()
	for _, tc := range []struct {
		rate    float64
		elapsed time.Duration // since the bucket was drained
		want    time.Duration
	}{
		{1, 0, time.Second},
		{0.5, 0, 2 * time.Second},
		{0.5, 500 * time.Millisecond, 1500 * time.Millisecond},
		{4, 0, 250 * time.Millisecond},
		{4, 100 * time.Millisecond, 150 * time.Millisecond},
		{100, 0, 10 * time.Millisecond},
	} {
		key := k.key(fmt.Sprintf("rate %v elapsed %v", tc.rate, tc.elapsed))
		takeN(t, s, key, tc.rate, 1, now, 1)
		at := now.Add(tc.elapsed)
		retry := wantRefused(t, s, key, tc.rate, 1, at)
		if retry != tc.want {
			t.Errorf("rate %v, %v after draining: retry after %v, want %v", tc.rate, tc.elapsed, retry, tc.want)
		}
		// Retrying when told succeeds.
		takeN(t, s, key, tc.rate, 1, at.Add(retry), 1)
	}
}

func testRaisedBucketLimits(t *testing.T, s limits.Store, k keys) {
	now := t0()
	key := k.key("a")
	takeN(t, s, key, 1, 2, now, 2)
	// A raised burst keeps the tokens the bucket has: it does not refill it.
	wantRefused(t, s, key, 1, 10, now)
	takeN(t, s, key, 1, 10, now.Add(time.Second), 1)
	wantRefused(t, s, key, 1, 10, now.Add(time.Second))
	// A raised rate applies at once.
	takeN(t, s, key, 10, 10, now.Add(time.Second+100*time.Millisecond), 1)
	wantRefused(t, s, key, 10, 10, now.Add(time.Second+100*time.Millisecond))
	// And the bucket grows to the raised burst.
	later := now.Add(time.Hour)
	takeN(t, s, key, 10, 10, later, 10)
	wantRefused(t, s, key, 10, 10, later)
}

func testLoweredBucketLimits(t *testing.T, s limits.Store, k keys) {
	now := t0()
	key := k.key("a")
	takeN(t, s, key, 10, 10, now, 1)
	// Nine tokens left, capped at the lowered burst of 3.
	takeN(t, s, key, 10, 3, now, 3)
	wantRefused(t, s, key, 10, 3, now)
	// A lowered rate applies at once.
	wantRefused(t, s, key, 1, 3, now.Add(500*time.Millisecond))
	takeN(t, s, key, 1, 3, now.Add(time.Second), 1)
	later := now.Add(time.Hour)
	takeN(t, s, key, 1, 3, later, 3)
	wantRefused(t, s, key, 1, 3, later)
}

func testBucketConcurrency(t *testing.T, s limits.Store, k keys) {
	now := t0()
	key := k.key("a")
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			ok, _, err := s.Take(context.Background(), key, 1, 50, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Errorf("100 concurrent takes from a bucket of 50: %d allowed, want 50", got)
	}
}

func testBucketIsolation(t *testing.T, s limits.Store, k keys) {
	now := t0()
	takeN(t, s, k.key("a"), 1, 2, now, 2)
	wantRefused(t, s, k.key("a"), 1, 2, now)
	takeN(t, s, k.key("b"), 1, 2, now, 2)
}

// consume calls Consume and checks its result.
func consume(t *testing.T, s limits.Store, key string, w limits.Window, limit int64, wantOK bool, wantUsed int64) {
	t.Helper()
	ok, used, err := s.Consume(context.Background(), key, w, limit)
	if err != nil {
		t.Fatalf("Consume(%s): %v", key, err)
	}
	if ok != wantOK || used != wantUsed {
		t.Fatalf("Consume(%s, limit %d) = %v, %d; want %v, %d", key, limit, ok, used, wantOK, wantUsed)
	}
}

// wantUsed checks Used.
func wantUsed(t *testing.T, s limits.Store, key string, w limits.Window, want int64) {
	t.Helper()
	used, err := s.Used(context.Background(), key, w)
	if err != nil {
		t.Fatalf("Used(%s): %v", key, err)
	}
	if used != want {
		t.Fatalf("Used(%s) = %d, want %d", key, used, want)
	}
}

func testQuotaCounting(t *testing.T, s limits.Store, k keys) {
	w, _ := day(t)
	key := k.key("a")
	for i := int64(1); i <= 3; i++ {
		consume(t, s, key, w, 5, true, i)
	}
	wantUsed(t, s, key, w, 3)
}

func testQuotaRefusalAtLimit(t *testing.T, s limits.Store, k keys) {
	w, _ := day(t)
	key := k.key("a")
	for i := int64(1); i <= 3; i++ {
		consume(t, s, key, w, 3, true, i)
	}
	// Refused requests do not count.
	consume(t, s, key, w, 3, false, 3)
	consume(t, s, key, w, 3, false, 3)
	wantUsed(t, s, key, w, 3)
}

func testQuotaZeroLimit(t *testing.T, s limits.Store, k keys) {
	w, _ := day(t)
	consume(t, s, k.key("a"), w, 0, false, 0)
	wantUsed(t, s, k.key("a"), w, 0)
}

func testQuotaRaisedLimit(t *testing.T, s limits.Store, k keys) {
	w, _ := day(t)
	key := k.key("a")
	consume(t, s, key, w, 2, true, 1)
	consume(t, s, key, w, 2, true, 2)
	consume(t, s, key, w, 2, false, 2)
	// Raised mid-window: the count so far stands, and the new limit applies at once.
	consume(t, s, key, w, 4, true, 3)
	consume(t, s, key, w, 4, true, 4)
	consume(t, s, key, w, 4, false, 4)
	wantUsed(t, s, key, w, 4)
}

func testQuotaNewWindow(t *testing.T, s limits.Store, k keys) {
	cur, next := day(t)
	key := k.key("a")
	consume(t, s, key, cur, 2, true, 1)
	consume(t, s, key, cur, 2, true, 2)
	consume(t, s, key, cur, 2, false, 2)
	consume(t, s, key, next, 2, true, 1)
	wantUsed(t, s, key, next, 1)
}

// A period change whose window starts at the same instant (DAY to a WEEK starting today)
// counts afresh: the window is its start and its end.
func testQuotaSameStartOtherPeriod(t *testing.T, s limits.Store, k keys) {
	cur, _ := day(t)
	week := limits.Window{Start: cur.Start, End: cur.Start.AddDate(0, 0, 7)}
	key := k.key("a")
	consume(t, s, key, cur, 5, true, 1)
	consume(t, s, key, cur, 5, true, 2)
	wantUsed(t, s, key, week, 0)
	consume(t, s, key, week, 5, true, 1)
	wantUsed(t, s, key, week, 1)
}

func testQuotaUsedUnknown(t *testing.T, s limits.Store, k keys) {
	cur, next := day(t)
	wantUsed(t, s, k.key("a"), cur, 0)
	consume(t, s, k.key("a"), cur, 5, true, 1)
	wantUsed(t, s, k.key("a"), next, 0)
}

func testQuotaConcurrency(t *testing.T, s limits.Store, k keys) {
	w, _ := day(t)
	key := k.key("a")
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			ok, used, err := s.Consume(context.Background(), key, w, 50)
			if err != nil {
				t.Error(err)
			}
			if used > 50 {
				t.Errorf("used %d, over the limit of 50", used)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Errorf("100 concurrent requests against a quota of 50: %d allowed, want 50", got)
	}
	wantUsed(t, s, key, w, 50)
}

func testQuotaIsolation(t *testing.T, s limits.Store, k keys) {
	w, _ := day(t)
	consume(t, s, k.key("a"), w, 1, true, 1)
	consume(t, s, k.key("a"), w, 1, false, 1)
	consume(t, s, k.key("b"), w, 1, true, 1)
	wantUsed(t, s, k.key("a"), w, 1)
	wantUsed(t, s, k.key("b"), w, 1)
	wantUsed(t, s, k.key("c"), w, 0)
}

func testBucketAndQuotaSeparate(t *testing.T, s limits.Store, k keys) {
	now := t0()
	w, _ := day(t)
	key := k.key("a")
	// The same name as a bucket and as a quota counter names two things.
	takeN(t, s, key, 1, 1, now, 1)
	consume(t, s, key, w, 5, true, 1)
	wantRefused(t, s, key, 1, 1, now)
	consume(t, s, key, w, 5, true, 2)
}
