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
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The proxy's garbage collector. A proxy's live heap is small (a few MiB of snapshots and
// pools) while every request allocates, so with Go's default target (collect when the heap
// has doubled) it collects several times a second under load, each time marking the whole
// live heap: about 6 % of its CPU at 12,000 requests/s on one core. Collecting when the heap
// has grown fivefold costs a few tens of MiB more and about 1 % of the CPU. A soft memory
// limit keeps that safe in a container: near the limit the runtime collects more often,
// whatever the target.

// gcFlags are `portico proxy`'s garbage collector settings.
type gcFlags struct {
	percent int
	limit   string
}

// defaultGCPercent is the proxy's GOGC unless set.
const defaultGCPercent = 400

// memoryLimitShare is the part of the container's memory limit the heap may use: the rest is
// the runtime's own, the stacks and the kernel's socket buffers charged to the container.
const memoryLimitShare = 0.9

func (g *gcFlags) bind(f *pflag.FlagSet) {
	f.IntVar(&g.percent, "gc-percent", defaultGCPercent, "garbage collection target, as GOGC: collect when the heap has grown by this many percent since the last collection; higher spends memory to save CPU (the GOGC environment variable wins when set)")
	f.StringVar(&g.limit, "memory-limit", "auto", "soft memory limit of the Go runtime (as GOMEMLIMIT, e.g. 900Mi); auto: 90% of the container's memory limit when it has one; 0 or off: none (the GOMEMLIMIT environment variable wins when set)")
}

// apply sets the collector's target and limit, leaving what GOGC and GOMEMLIMIT set alone.
// cgroupRoot is where the container's cgroup files are (/sys/fs/cgroup).
func (g *gcFlags) apply(log logr.Logger, cgroupRoot string) error {
	if g.percent < -1 {
		return fmt.Errorf("--gc-percent: %d is not a percentage (-1 turns the collector off)", g.percent)
	}
	limit, source, err := g.memoryLimit(cgroupRoot)
	if err != nil {
		return err
	}
	// Set but empty, as the runtime reads them, the variables mean its defaults: the flags'.
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		debug.SetGCPercent(g.percent)
		gogc = strconv.Itoa(g.percent)
	}
	if env := os.Getenv("GOMEMLIMIT"); env != "" {
		source = "GOMEMLIMIT=" + env
	} else if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	log.V(1).Info("garbage collector", "gcPercent", gogc, "memoryLimit", limit, "memoryLimitFrom", source)
	return nil
}

// memoryLimit resolves --memory-limit to bytes (0: none) and says where it came from.
func (g *gcFlags) memoryLimit(cgroupRoot string) (int64, string, error) {
	switch s := strings.TrimSpace(g.limit); s {
	case "", "0", "off":
		return 0, "none", nil
	case "auto":
		n := containerMemoryLimit(cgroupRoot)
		if n <= 0 {
			return 0, "none", nil
		}
		return int64(float64(n) * memoryLimitShare), "container", nil
	default:
		q, err := resource.ParseQuantity(s)
		if err != nil || q.Sign() <= 0 {
			return 0, "", fmt.Errorf("--memory-limit: %q is not a quantity of bytes (512Mi, 1G), auto or off", s)
		}
		return q.Value(), "flag", nil
	}
}

// containerMemoryLimit is the memory limit of the cgroup the process runs in (cgroup v2's
// memory.max, else v1's memory.limit_in_bytes), or 0 when there is none.
func containerMemoryLimit(root string) int64 {
	for _, name := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		// cgroup v1 writes "no limit" as a huge page-rounded number.
		if err != nil || n <= 0 || n >= math.MaxInt64/2 {
			return 0
		}
		return n
	}
	return 0
}
