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

package testkit

import (
	"fmt"
	"os"
	"runtime/debug"
	"testing"
	"time"
)

// ProxyGCPercent is `portico proxy`'s garbage collection target (--gc-percent, internal/cli;
// a test there holds the two equal), which the per-request benchmarks run under.
const ProxyGCPercent = 400

// CPUBudget reports a benchmark's process CPU time per operation as cpu-ns/op, and says
// how it compares with a per-request budget. Start it after the benchmark's setup, call the
// returned function after the loop. On a shared machine the wall time says more about the
// neighbours than about the code; CPU time (the garbage collector's included) does not.
//
// The loop runs under the proxy's garbage collection target, as the requests it measures
// would in `portico proxy`, unless GOGC is set (GOGC=100 measures under Go's default).
func CPUBudget(b *testing.B, what string, budget time.Duration) (stop func()) {
	gc := "GOGC=" + os.Getenv("GOGC") + " from the environment"
	if os.Getenv("GOGC") == "" {
		gc = fmt.Sprintf("GC target %d%%, as portico proxy's", ProxyGCPercent)
		old := debug.SetGCPercent(ProxyGCPercent)
		b.Cleanup(func() { debug.SetGCPercent(old) })
	}
	start := processCPU()
	return func() {
		if start == 0 || b.N == 0 {
			return
		}
		per := time.Duration(float64(processCPU()-start) / float64(b.N))
		b.ReportMetric(float64(per.Nanoseconds()), "cpu-ns/op")
		verdict := "met"
		if per > budget {
			verdict = "NOT met"
		}
		b.Logf("%s: %.1f µs of CPU per request (%s); target %v: %s", what, float64(per)/1e3, gc, budget, verdict)
	}
}
