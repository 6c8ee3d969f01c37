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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/internal/quota"
	"github.com/portico-dev/portico/internal/testkit"
)

// at is a fixed clock for the options of a Memory.
func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func window(t *testing.T, period string, now time.Time) limits.Window {
	t.Helper()
	w, err := quota.WindowAt(period, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func consumeN(t *testing.T, s limits.Store, key string, w limits.Window, limit int64, n int) {
	t.Helper()
	for i := range n {
		if ok, _, err := s.Consume(context.Background(), key, w, limit); err != nil || !ok {
			t.Fatalf("Consume %d of %d (%s): %v, %v", i+1, n, key, ok, err)
		}
	}
}

func wantUsed(t *testing.T, s limits.Store, key string, w limits.Window, want int64) {
	t.Helper()
	if used, err := s.Used(context.Background(), key, w); err != nil || used != want {
		t.Errorf("Used(%s) = %d, %v; want %d", key, used, err, want)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	now := time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)
	opts := limits.MemoryOptions{Now: at(now)}
	day, month := window(t, quota.Day, now), window(t, quota.Month, now)
	m := limits.NewMemory(opts)
	consumeN(t, m, "prod/gold/key-1", day, 100, 3)
	consumeN(t, m, "prod/gold/key-2", month, 100, 7)
	consumeN(t, m, "prod/silver/key-1", day, 1, 1)
	m.Take(t.Context(), "prod/gold/key-1/GET /pets", 1, 1, now)

	dir := t.TempDir()
	path := filepath.Join(dir, "quotas.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("checkpoint mode %v, want 0600", perm)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "GET /pets") {
		t.Errorf("buckets checkpointed: %s", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory after Save, want 1 (no temporary file left)", len(entries))
	}

	r, err := limits.LoadMemory(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantUsed(t, r, "prod/gold/key-1", day, 3)
	wantUsed(t, r, "prod/gold/key-2", month, 7)
	wantUsed(t, r, "prod/silver/key-1", day, 1)
	wantUsed(t, r, "prod/gold/key-3", day, 0)

	// Saving what was loaded writes the same file.
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(data) {
		t.Errorf("checkpoint changed by a round trip:\n%s\n%s", data, again)
	}
}

func TestCheckpointRestartKeepsCounts(t *testing.T) {
	now := time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)
	opts := limits.MemoryOptions{Now: at(now)}
	day := window(t, quota.Day, now)
	path := filepath.Join(t.TempDir(), "state", "quotas.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}

	// First start: nothing saved yet.
	m, err := limits.LoadMemory(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	consumeN(t, m, "k", day, 5, 3)
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}

	// Restart: the count goes on from 3, and the limit of 5 holds across the restart.
	m, err = limits.LoadMemory(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	consumeN(t, m, "k", day, 5, 2)
	if ok, used, _ := m.Consume(t.Context(), "k", day, 5); ok || used != 5 {
		t.Errorf("sixth request after a restart: %v, %d; want refused at 5", ok, used)
	}
	// And a later day starts at 0.
	next := window(t, quota.Day, now.AddDate(0, 0, 1))
	consumeN(t, m, "k", next, 5, 1)
	wantUsed(t, m, "k", next, 1)
}

func TestCheckpointDropsEndedWindows(t *testing.T) {
	now := time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)
	day := window(t, quota.Day, now)
	month := window(t, quota.Month, now)
	m := limits.NewMemory(limits.MemoryOptions{Now: at(now)})
	consumeN(t, m, "daily", day, 5, 2)
	consumeN(t, m, "monthly", month, 5, 2)
	path := filepath.Join(t.TempDir(), "quotas.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	r, err := limits.LoadMemory(path, limits.MemoryOptions{Now: at(day.End)})
	if err != nil {
		t.Fatal(err)
	}
	wantUsed(t, r, "daily", day, 0)
	wantUsed(t, r, "monthly", month, 2)
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	if m, err := limits.LoadMemory(filepath.Join(dir, "missing.json"), limits.MemoryOptions{}); err != nil || m == nil {
		t.Errorf("LoadMemory(missing file) = %v, %v; want an empty Memory", m, err)
	}
	for name, content := range map[string]string{
		"corrupt.json": `{"version":1,"counters":[`,
		"version.json": `{"version":2,"counters":[]}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := limits.LoadMemory(path, limits.MemoryOptions{}); err == nil {
			t.Errorf("LoadMemory(%s) succeeded", name)
		}
	}
	m := limits.NewMemory(limits.MemoryOptions{})
	if err := m.Save(filepath.Join(dir, "no", "such", "dir", "quotas.json")); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
}

func TestCheckpointRun(t *testing.T) {
	// A month rather than a day, so that the window does not end while the test runs.
	day := window(t, quota.Month, time.Now())
	path := filepath.Join(t.TempDir(), "quotas.json")
	m := limits.NewMemory(limits.MemoryOptions{CheckpointInterval: 10 * time.Millisecond})
	consumeN(t, m, "k", day, 100, 1)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, path, 0) }()

	// Saved within an interval or so, without the context ending.
	deadline := time.Now().Add(testkit.WaitTimeout)
	for {
		if r, err := limits.LoadMemory(path, limits.MemoryOptions{}); err == nil {
			if used, _ := r.Used(t.Context(), "k", day); used == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after 5 s with an interval of 10 ms")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Counted after the last tick, saved when the context ends.
	consumeN(t, m, "k", day, 100, 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	r, err := limits.LoadMemory(path, limits.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantUsed(t, r, "k", day, 3)
}
