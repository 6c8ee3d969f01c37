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

// Package quota is the quota contract both planes share: how a quota counter is named, which
// window of a UsagePlan's period an instant falls in, and how counters are read. The proxies
// count under these names and windows; their /usage report and the controller's
// UsagePlan.status.usage read them back. One pure package keeps the three readers agreeing to
// the byte, and lets controllers/ read counters without importing dataplane/.
package quota

import (
	"context"
	"time"
)

// Key names the quota counter of an API key in a plan: one counter for every stage of the
// plan, as Amazon API Gateway counts a usage plan's quota per key. namespace is the
// UsagePlan's (its stages are in it), plan its name and keyID the API key Secret's name.
func Key(namespace, plan, keyID string) string {
	return "quota/" + namespace + "/" + plan + "/" + keyID
}

// Window is one quota period: [Start, End) in UTC.
type Window struct {
	Start, End time.Time
}

// Periods of a quota, as in a UsagePlan.
const (
	Day   = "DAY"
	Week  = "WEEK"
	Month = "MONTH"
)

// Reader reads quota counters: every limits store is one.
type Reader interface {
	// Used returns the count of key in window.
	Used(ctx context.Context, key string, window Window) (int64, error)
}

// ManyReader is a Reader that reads many counters of one window in one round trip (Redis:
// MGET). Usage reports over thousands of keys use it when the store has it.
type ManyReader interface {
	UsedMany(ctx context.Context, keys []string, window Window) ([]int64, error)
}

// UsedMany returns the counts of keys in window: in one call when r is a ManyReader, else one
// Used per key. It stops at the first error.
func UsedMany(ctx context.Context, r Reader, keys []string, window Window) ([]int64, error) {
	if m, ok := r.(ManyReader); ok {
		return m.UsedMany(ctx, keys, window)
	}
	out := make([]int64, len(keys))
	for i, k := range keys {
		n, err := r.Used(ctx, k, window)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
