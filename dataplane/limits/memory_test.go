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

package limits_test

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/limits/limitstest"
	"github.com/portico-dev/portico/internal/quota"
)

func TestMemoryConformance(t *testing.T) {
	limitstest.Run(t, func(t *testing.T) limits.Store {
		return limits.NewMemory(limits.MemoryOptions{})
	})
}

func TestMemoryNever(t *testing.T) {
	m := limits.NewMemory(limits.MemoryOptions{})
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		rate  float64
		burst int64
	}{
		{"zero rate", 0, 1},
		{"negative rate", -1, 1},
		{"zero burst", 10, 0},
		{"negative burst", 10, -5},
	} {
		key := tc.name
		// Drain what there is, then a bucket that never refills or holds no token says so.
		for {
			ok, retry, err := m.Take(t.Context(), key, tc.rate, tc.burst, now)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				if retry != limits.Never {
					t.Errorf("%s: retry after %v, want Never", tc.name, retry)
				}
				break
			}
		}
	}
}

func TestMemoryRetryAfterOddRates(t *testing.T) {
	// Rates whose reciprocal is not exact in binary: the retry must be the least wait after
	// which the token is there.
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	for _, rate := range []float64{3, 7, 1.0 / 3, 0.1, 0.3, 1e-3, 12345.678} {
		m := limits.NewMemory(limits.MemoryOptions{})
		key := fmt.Sprint(rate)
		if ok, _, _ := m.Take(t.Context(), key, rate, 1, now); !ok {
			t.Fatalf("rate %v: first take refused", rate)
		}
		at := now.Add(7 * time.Microsecond)
		ok, retry, _ := m.Take(t.Context(), key, rate, 1, at)
		if ok {
			t.Fatalf("rate %v: second take allowed", rate)
		}
		exact := time.Duration(math.Ceil(1e9/rate)) - 7*time.Microsecond
		if d := retry - exact; d < -1 || d > 1 {
			t.Errorf("rate %v: retry %v, want about %v", rate, retry, exact)
		}
		if ok, _, _ := m.Take(t.Context(), key, rate, 1, at.Add(retry-1)); ok {
			t.Errorf("rate %v: allowed a nanosecond before the retry", rate)
		}
		if ok, _, _ := m.Take(t.Context(), key, rate, 1, at.Add(retry)); !ok {
			t.Errorf("rate %v: refused at the retry", rate)
		}
	}
}

func TestMemorySlowBucketCalledOften(t *testing.T) {
	// A bucket refilling one token every 1000 s, asked every microsecond, earns less than a
	// billionth of a token per call: the fractions must add up rather than be dropped.
	m := limits.NewMemory(limits.MemoryOptions{})
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	if ok, _, _ := m.Take(t.Context(), "k", 1e-3, 1, now); !ok {
		t.Fatal("first take refused")
	}
	allowed := 0
	for i := 1; i <= 1_001_000; i++ {
		// Every microsecond for a while, then in one-second steps to cover 1000 s.
		at := now.Add(time.Duration(i) * time.Microsecond)
		if i > 1000 {
			at = now.Add(time.Millisecond + time.Duration(i-1000)*time.Millisecond)
		}
		if ok, _, _ := m.Take(t.Context(), "k", 1e-3, 1, at); ok {
			allowed++
			if at.Sub(now) < 1000*time.Second {
				t.Fatalf("allowed at %v, before 1000 s", at.Sub(now))
			}
		}
	}
	if allowed != 1 {
		t.Errorf("allowed %d over 1001 s, want 1", allowed)
	}
}

func TestMemoryFastBucketCalledOften(t *testing.T) {
	// 1000 tokens a second, asked every microsecond for a second: the initial token and
	// exactly one per millisecond.
	m := limits.NewMemory(limits.MemoryOptions{})
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	allowed := 0
	for i := range 1_000_001 {
		if ok, _, _ := m.Take(t.Context(), "k", 1000, 1, now.Add(time.Duration(i)*time.Microsecond)); ok {
			allowed++
		}
	}
	if allowed != 1001 {
		t.Errorf("allowed %d over 1 s, want 1001", allowed)
	}
}

func TestMemoryTimeOutOfOrder(t *testing.T) {
	m := limits.NewMemory(limits.MemoryOptions{})
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	for range 2 {
		if ok, _, _ := m.Take(t.Context(), "k", 1, 2, now); !ok {
			t.Fatal("refused while full")
		}
	}
	// An earlier time than the bucket has seen earns nothing and loses nothing.
	if ok, _, _ := m.Take(t.Context(), "k", 1, 2, now.Add(-time.Hour)); ok {
		t.Error("allowed at an earlier time")
	}
	if ok, _, _ := m.Take(t.Context(), "k", 1, 2, now.Add(time.Second)); !ok {
		t.Error("refused a second later")
	}
}

func TestMemoryStaleWindow(t *testing.T) {
	m := limits.NewMemory(limits.MemoryOptions{})
	day1, _ := quota.WindowAt(quota.Day, 0, time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC))
	day2, _ := quota.WindowAt(quota.Day, 0, time.Date(2027, 3, 15, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	m.Consume(ctx, "k", day1, 10)
	m.Consume(ctx, "k", day2, 10)
	// A request racing the boundary, for the window just replaced: allowed, not counted.
	if ok, used, _ := m.Consume(ctx, "k", day1, 10); !ok || used != 0 {
		t.Errorf("Consume(stale window) = %v, %d; want true, 0", ok, used)
	}
	if ok, _, _ := m.Consume(ctx, "k", day1, 0); ok {
		t.Error("Consume(stale window, limit 0) allowed")
	}
	if used, _ := m.Used(ctx, "k", day2); used != 1 {
		t.Errorf("Used(day 2) = %d, want 1", used)
	}
	if used, _ := m.Used(ctx, "k", day1); used != 0 {
		t.Errorf("Used(day 1) = %d, want 0 (dropped)", used)
	}
}

// A plan whose period or offset changes so that the window starting earlier contains now
// (DAY to MONTH, a smaller offset) counts in that window from 0, up to the limit: it was let
// through uncounted as if it were a past window.
func TestMemoryPeriodChange(t *testing.T) {
	m := limits.NewMemory(limits.MemoryOptions{})
	now := time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)
	day, _ := quota.WindowAt(quota.Day, 0, now)
	month, _ := quota.WindowAt(quota.Month, 0, now)
	ctx := context.Background()
	for range 3 {
		m.Consume(ctx, "k", day, 3)
	}
	for i := 1; i <= 4; i++ {
		ok, used, _ := m.Consume(ctx, "k", month, 3)
		if want := i <= 3; ok != want || (ok && used != int64(i)) {
			t.Fatalf("request %d in the month after the change: %v, used %d", i, ok, used)
		}
	}
	if used, _ := m.Used(ctx, "k", month); used != 3 {
		t.Errorf("Used(month) = %d, want 3", used)
	}
	// And back: the day window is current again, counted from 0.
	if ok, used, _ := m.Consume(ctx, "k", day, 3); !ok || used != 1 {
		t.Errorf("back to DAY: %v, %d", ok, used)
	}
}

// BenchmarkMemoryTake is the hot path: parallel takes over many keys, each goroutine on its own
// keys as requests from different clients mostly are.
func BenchmarkMemoryTake(b *testing.B) {
	m := limits.NewMemory(limits.MemoryOptions{})
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("prod/gold/key-%d/GET /pets", i)
	}
	ctx := context.Background()
	base := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7919
		n := int64(0)
		for pb.Next() {
			n++
			_, _, _ = m.Take(ctx, keys[i%len(keys)], 1000, 2000, base.Add(time.Duration(n)*time.Microsecond))
			i++
		}
	})
}

// A store without batched reads is read key by key.
func TestUsedManyKeyByKey(t *testing.T) {
	m := limits.NewMemory(limits.MemoryOptions{})
	ctx := context.Background()
	w, err := quota.WindowAt(quota.Day, 0, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if ok, _, err := m.Consume(ctx, "b", w, 10); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	got, err := quota.UsedMany(ctx, m, []string{"a", "b"}, w)
	if err != nil || len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Fatalf("UsedMany = %v, %v; want [0 2]", got, err)
	}
}
