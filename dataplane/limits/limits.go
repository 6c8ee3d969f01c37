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

// Package limits is the state behind throttling and quotas: token buckets and per-period
// counters, kept outside configuration snapshots and keyed by stable identity
// ("<stage>/<plan>/<key id>/<method>"), so that a configuration change updates a bucket's
// parameters in place instead of refilling it, and a quota never resets on a reload.
//
// A Store has two implementations: in memory (the default; quota counters checkpointed to
// disk so a restart loses nothing) and Redis (shared by every replica, so N proxies enforce
// one quota exactly).
package limits

import (
	"context"
	"time"

	"github.com/portico-dev/portico/internal/quota"
)

// Store keeps token buckets and quota counters. Implementations are safe for concurrent use.
type Store interface {
	// Take takes one token from the bucket named key, which refills at rate tokens per second
	// up to burst. The bucket is created full. rate and burst are the bucket's parameters as
	// of now: a changed limit applies at once, keeping the tokens the bucket has (capped at
	// the new burst). When no token is left, ok is false and retryAfter says when one will be.
	Take(ctx context.Context, key string, rate float64, burst int64, now time.Time) (ok bool, retryAfter time.Duration, err error)

	// Consume counts one request against the quota counter named key for window, if fewer
	// than limit were counted: only allowed requests count. used is the count after the call
	// (or at the limit when refused). A raised limit applies at once.
	Consume(ctx context.Context, key string, window Window, limit int64) (ok bool, used int64, err error)

	// Used returns the count of key in window.
	Used(ctx context.Context, key string, window Window) (int64, error)
}

// Window is one quota period, as package quota computes it: the stores count in the windows
// the shared contract names, so the controller reads the same counters back.
type Window = quota.Window
