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

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPairsSkipTurnsEitherSideFailed(t *testing.T) {
	us := time.Microsecond
	backend := []time.Duration{100 * us, failed, 300 * us, 5000 * us, 100 * us}
	proxied := []time.Duration{250 * us, 200 * us, failed, 5100 * us, 160 * us}
	got := pairs(backend, proxied)
	want := []time.Duration{60 * us, 100 * us, 150 * us} // turns 0, 3, 4, sorted
	if len(got) != len(want) {
		t.Fatalf("pairs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pairs = %v, want %v", got, want)
		}
	}
	// The 5 ms that held both requests of turn 3 is not in the difference.
	if p := percentile(got, 0.99); p != 150 {
		t.Errorf("paired p99 = %d µs, want 150", p)
	}
}

func TestSummaryCountsFailedApart(t *testing.T) {
	us := time.Microsecond
	got := summary([]time.Duration{30 * us, failed, 10 * us, 20 * us})
	if want := "20 30 30 30 3 1"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if got := summary(nil); got != "0 0 0 0 0 0" {
		t.Errorf("summary of nothing = %q", got)
	}
}

func TestDumpWritesEveryTurn(t *testing.T) {
	us := time.Microsecond
	a := &target{latencies: []time.Duration{55 * us, 60 * us}}
	b := &target{latencies: []time.Duration{175 * us, failed}}
	path := filepath.Join(t.TempDir(), "dump")
	if err := writeDump(path, 500*us, []*target{a, b}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0 55 175\n500 60 -1\n"; string(got) != want {
		t.Errorf("dump %q, want %q", got, want)
	}
}

// idlePollFiles makes a stand-in for the PM QoS device, reading "keep", and one for the
// cpuidle driver's name, reading driver: their paths.
func idlePollFiles(t *testing.T, driver string) (devicePath, driverPath string) {
	t.Helper()
	dir := t.TempDir()
	devicePath, driverPath = filepath.Join(dir, "cpu_dma_latency"), filepath.Join(dir, "current_driver")
	if err := os.WriteFile(devicePath, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(driverPath, []byte(driver+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return devicePath, driverPath
}

func TestHoldIdlePollWritesZero(t *testing.T) {
	path, driver := idlePollFiles(t, "haltpoll")
	f, err := holdIdlePoll(path, driver)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The device reads a 32-bit integer (or its text): 0 µs, written over the file's start.
	if string(got) != "\x00\x00\x00\x00" {
		t.Errorf("wrote %q, want four zero bytes", got)
	}
	if _, err := holdIdlePoll(filepath.Join(t.TempDir(), "missing"), driver); err == nil {
		t.Error("holding a missing device: no error")
	}
}

// Without a cpuidle driver nothing reads the limit: the hold is refused, and the device is
// left as it was.
func TestHoldIdlePollNeedsADriver(t *testing.T) {
	path, none := idlePollFiles(t, "none")
	for _, driver := range []string{none, filepath.Join(t.TempDir(), "missing")} {
		f, err := holdIdlePoll(path, driver)
		if err == nil {
			_ = f.Close()
			t.Fatalf("driver file %s: held, want an error", driver)
		}
		if !strings.Contains(err.Error(), "no cpuidle driver") {
			t.Errorf("driver file %s: error %q does not say there is no cpuidle driver", driver, err)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != "keep" {
		t.Errorf("device now reads %q, want it untouched", got)
	}
}
