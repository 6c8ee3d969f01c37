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

package xdsclient

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff paces reconnection attempts: the delay before attempt n (from 0) is
// Initial*Multiplier^n, capped at Max, then spread by ±Jitter so that every proxy of a fleet
// does not hit a restarted control plane in the same instant.
type Backoff struct {
	// Initial is the first delay; default 100ms.
	Initial time.Duration
	// Max caps the delay; default 10s.
	Max time.Duration
	// Multiplier grows the delay per failed attempt; default 2.
	Multiplier float64
	// Jitter is the fraction the delay varies by, in [0, 1]; default 0.2. Negative disables
	// jitter (for tests that want exact delays).
	Jitter float64
	// Rand returns a number in [0, 1); default math/rand/v2's Float64.
	Rand func() float64
}

const (
	defaultBackoffInitial    = 100 * time.Millisecond
	defaultBackoffMax        = 10 * time.Second
	defaultBackoffMultiplier = 2
	defaultBackoffJitter     = 0.2
)

// withDefaults fills the unset fields.
func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = defaultBackoffInitial
	}
	if b.Max <= 0 {
		b.Max = defaultBackoffMax
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Multiplier < 1 {
		b.Multiplier = defaultBackoffMultiplier
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = defaultBackoffJitter
	case b.Jitter < 0:
		b.Jitter = 0
	case b.Jitter > 1:
		b.Jitter = 1
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// delay is the wait before attempt n, counting from 0, of a Backoff with its defaults.
func (b Backoff) delay(n int) time.Duration {
	d := float64(b.Initial) * math.Pow(b.Multiplier, float64(n))
	if d > float64(b.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(b.Max)
	}
	d *= 1 + b.Jitter*(2*b.Rand()-1)
	return time.Duration(d)
}
