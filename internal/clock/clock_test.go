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

package clock

import (
	"strings"
	"testing"
	"time"
)

func TestNowFollowsTheClocks(t *testing.T) {
	prev := Now()
	for range 1000 {
		before := time.Now()
		got := Now()
		after := time.Now()
		// The monotonic reading, which Sub, Since and deadlines use, is the clock's own.
		if got.Sub(before) < 0 || after.Sub(got) < 0 {
			t.Fatalf("Now() = %v, outside [%v, %v] on the monotonic clock", got, before, after)
		}
		if got.Sub(prev) < 0 {
			t.Fatalf("Now() went back: %v after %v", got, prev)
		}
		prev = got
		// The wall reading follows the base's: within rebase of the wall clock's.
		if lag := before.Round(0).Sub(got.Round(0)); lag > rebase {
			t.Fatalf("wall reading %v behind the wall clock", lag)
		}
		if !strings.Contains(got.String(), " m=+") { // how a time shows its monotonic reading
			t.Fatal("Now() has no monotonic reading")
		}
	}
}

func TestNowTakesANewBaseAfterRebase(t *testing.T) {
	old := time.Now().Add(-2 * rebase)
	base.Store(&old)
	before := time.Now()
	got := Now()
	if b := base.Load(); !b.After(old) || b.Sub(before) < 0 {
		t.Fatalf("base %v not renewed (old %v, now %v)", b, old, before)
	}
	// A renewed base is time.Now's own reading: the wall clock's, not the old base's.
	if d := got.Round(0).Sub(before.Round(0)); d < 0 || d > time.Second {
		t.Fatalf("Now() = %v after a new base, want the wall clock's %v", got, before)
	}
}

func BenchmarkNow(b *testing.B) {
	for b.Loop() {
		_ = Now()
	}
}

func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		_ = time.Now()
	}
}
