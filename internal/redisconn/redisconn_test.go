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

package redisconn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testkit"
)

func TestParseURL(t *testing.T) {
	for _, bad := range []string{"", "http://localhost:6379", "redis://localhost:6379/notadb"} {
		if _, err := ParseURL(bad, "test"); err == nil {
			t.Errorf("ParseURL(%q): no error", bad)
		}
	}
	ro, err := ParseURL("redis://localhost:6379/2", "test")
	if err != nil {
		t.Fatal(err)
	}
	if ro.DB != 2 || ro.DialTimeout != DefaultDialTimeout || ro.ReadTimeout != DefaultReadTimeout || ro.MaxRetries != -1 || ro.DialerRetries != 1 {
		t.Errorf("defaults: db %d, dial %v, read %v, retries %d, dials %d", ro.DB, ro.DialTimeout, ro.ReadTimeout, ro.MaxRetries, ro.DialerRetries)
	}
	ro, err = ParseURL("redis://localhost:6379?dial_timeout=3s&read_timeout=2s&max_retries=2", "test")
	if err != nil {
		t.Fatal(err)
	}
	if ro.DialTimeout != 3*time.Second || ro.ReadTimeout != 2*time.Second || ro.MaxRetries != 2 {
		t.Errorf("URL options ignored: dial %v, read %v, retries %d", ro.DialTimeout, ro.ReadTimeout, ro.MaxRetries)
	}
}

// One message per interval, however many failures, each naming Redis's last error.
func TestFailOpenLog(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logs testkit.Logs
	l := &FailOpenLog{Log: logs.Logger(), Now: clock.Now, Interval: 10 * time.Second, RetryEvery: time.Second}
	l.Failed("get", nil)
	if logs.Count("no answer from Redis") != 1 {
		t.Fatalf("first failure, without an error:\n%s", logs.String())
	}
	clock.Advance(10 * time.Second)
	l.Failed("get", errors.New("connection refused"))
	for range 5 {
		l.Failed("set", nil)
	}
	if n := logs.Count("Redis unreachable, failing open"); n != 2 {
		t.Fatalf("%d messages over two intervals, want 2:\n%s", n, logs.String())
	}
	clock.Advance(10 * time.Second)
	l.Failed("set", nil)
	if logs.Count(`"suppressed"=5`) != 1 || logs.Count("connection refused") != 2 {
		t.Fatalf("the third message does not count the 5 suppressed failures or name the last error:\n%s", logs.String())
	}
}

func TestCallerGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if CallerGone(ctx, context.Canceled) {
		t.Error("a live caller with a canceled error is gone")
	}
	cancel()
	if !CallerGone(ctx, context.Canceled) || CallerGone(ctx, errors.New("EOF")) {
		t.Error("CallerGone")
	}
}
