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
	"fmt"
	"os"
	"strings"
)

// cpuDMALatency is Linux's PM QoS device for the CPUs' wake-up latency: a process that
// writes a value to it (a 32-bit integer, in µs) holds that limit for as long as it keeps
// the file open.
const cpuDMALatency = "/dev/cpu_dma_latency"

// cpuidleDriver names the kernel's cpuidle driver, which picks an idle CPU's state: "none"
// when there is none.
const cpuidleDriver = "/sys/devices/system/cpu/cpuidle/current_driver"

// holdIdlePoll asks for a wake-up latency of 0 µs through device (cpuDMALatency) until the
// returned file is closed. With that limit no idle state but polling qualifies: an idle
// CPU spins in the kernel's idle loop rather than halting, and a task woken on it from
// another CPU runs at once, without the interrupt a halted (or busy) CPU must be sent. On a
// VM that interrupt, and the halt it ends, cost tens of microseconds at every hop of a
// proxied request; tuned's latency-performance profile and cyclictest hold the same limit.
//
// The limit is read by the cpuidle driver (driver: cpuidleDriver) alone. Without one (a
// microVM's kernel may have none) an idle CPU halts whatever the limit says, and a run "with
// the CPUs polling" would be a run with them as they are under another name: refused.
func holdIdlePoll(device, driver string) (*os.File, error) {
	name, err := os.ReadFile(driver)
	if err != nil {
		return nil, fmt.Errorf("idle polling: no cpuidle driver: %w", err)
	}
	if strings.TrimSpace(string(name)) == "none" {
		return nil, fmt.Errorf("idle polling: no cpuidle driver (%s: none): idle CPUs halt whatever the wake-up latency limit", driver)
	}
	f, err := os.OpenFile(device, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("idle polling: %w (needs root)", err)
	}
	var zero [4]byte // a 32-bit 0: the same four bytes in either byte order
	if _, err := f.Write(zero[:]); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("idle polling: %w", err)
	}
	return f, nil
}
