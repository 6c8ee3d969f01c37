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

package cli

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/internal/testkit"
)

// The per-request benchmarks (testkit.CPUBudget) run under the proxy's collector target.
func TestBenchmarksUseTheProxyGCTarget(t *testing.T) {
	if defaultGCPercent != testkit.ProxyGCPercent {
		t.Errorf("--gc-percent defaults to %d, the benchmarks run under %d", defaultGCPercent, testkit.ProxyGCPercent)
	}
}

func writeCgroup(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestContainerMemoryLimit(t *testing.T) {
	for name, c := range map[string]struct {
		files map[string]string
		want  int64
	}{
		"v2 limit":    {map[string]string{"memory.max": "1073741824\n"}, 1 << 30},
		"v2 no limit": {map[string]string{"memory.max": "max\n"}, 0},
		"v1 limit":    {map[string]string{"memory/memory.limit_in_bytes": "536870912\n"}, 512 << 20},
		"v1 no limit": {map[string]string{"memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0},
		"no cgroup":   {nil, 0},
		"garbage":     {map[string]string{"memory.max": "lots"}, 0},
	} {
		if got := containerMemoryLimit(writeCgroup(t, c.files)); got != c.want {
			t.Errorf("%s: %d, want %d", name, got, c.want)
		}
	}
}

func TestMemoryLimitFlag(t *testing.T) {
	root := writeCgroup(t, map[string]string{"memory.max": "1000000000"})
	for limit, want := range map[string]int64{
		"auto": 900000000, "off": 0, "0": 0, "": 0, "512Mi": 512 << 20, "1G": 1e9,
	} {
		g := gcFlags{percent: 400, limit: limit}
		got, _, err := g.memoryLimit(root)
		if err != nil || got != want {
			t.Errorf("--memory-limit %q: %d, %v; want %d", limit, got, err, want)
		}
	}
	for _, bad := range []string{"lots", "-1Gi"} {
		g := gcFlags{limit: bad}
		if _, _, err := g.memoryLimit(root); err == nil {
			t.Errorf("--memory-limit %q accepted", bad)
		}
	}
	if err := (&gcFlags{percent: -2, limit: "off"}).apply(logr.Discard(), root); err == nil {
		t.Error("--gc-percent -2 accepted")
	}
}

// The flags set the runtime's target and limit, unless GOGC and GOMEMLIMIT say otherwise.
func TestGCApply(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	})
	root := writeCgroup(t, map[string]string{"memory.max": "1000000000"})
	t.Setenv("GOGC", "") // set but empty: the runtime's default, so the flag's
	t.Setenv("GOMEMLIMIT", "")
	if err := (&gcFlags{percent: 400, limit: "auto"}).apply(logr.Discard(), root); err != nil {
		t.Fatal(err)
	}
	if p := debug.SetGCPercent(100); p != 400 {
		t.Errorf("GC percent %d, want 400", p)
	}
	if l := debug.SetMemoryLimit(math.MaxInt64); l != 900000000 {
		t.Errorf("memory limit %d, want 900000000", l)
	}

	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "2GiB")
	if err := (&gcFlags{percent: 400, limit: "auto"}).apply(logr.Discard(), root); err != nil {
		t.Fatal(err)
	}
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC set: the flag changed the GC percent to %d", p)
	}
	if l := debug.SetMemoryLimit(math.MaxInt64); l != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: the flag changed the memory limit to %d", l)
	}
}
