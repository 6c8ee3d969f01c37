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
	"testing"
	"time"
)

// CPUBudget reports a benchmark's process CPU time per operation as cpu-ns/op, and says
// how it compares with a per-request budget. Start it after the benchmark's setup, call the
// returned function after the loop. On a shared machine the wall time says more about the
// neighbours than about the code; CPU time (the garbage collector's included) does not.
func CPUBudget(b *testing.B, what string, budget time.Duration) (stop func()) {
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
		b.Logf("%s: %.1f µs of CPU per request; target %v: %s", what, float64(per)/1e3, budget, verdict)
	}
}
