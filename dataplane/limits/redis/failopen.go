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

package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico/internal/redisconn"
)

// Operations, as the op label of portico_limits_store_errors_total.
const (
	opTake    = "take"
	opConsume = "consume"
	opUsed    = "used"
	opProbe   = "probe"
)

// maxTally bounds the counters tallied during one outage, so that a long outage with many
// keys cannot grow memory without end; requests beyond it are admitted uncounted.
const maxTally = 100_000

// maxReconcileRounds bounds how often recovery drains the tally before it declares Redis
// healthy: requests keep arriving while it drains, and those after the last round are added
// one by one (see failOpenCounted).
const maxReconcileRounds = 8

// pending is the requests admitted for one quota counter while Redis was unreachable.
type pending struct {
	n        int64
	expireAt int64 // unix milliseconds, as consumeLua's ARGV[2]
}

type metrics struct {
	errors  *prometheus.CounterVec
	healthy prometheus.Gauge
}

// newMetrics creates the store's metrics and registers them with reg, when not nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		errors: redisconn.NewErrorCounter("portico_limits_store_errors_total",
			"Limits store operations that failed, or were skipped while the store was unreachable, "+
				"by operation (take, consume: admitted without a limit check; used; probe).",
			opTake, opConsume, opUsed, opProbe),
		healthy: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portico_limits_store_healthy",
			Help: "1 while the shared limits store answers, 0 while throttles and quotas fail open.",
		}),
	}
	m.healthy.Set(1)
	if err := redisconn.Register(reg, "redis limits store", m.errors, m.healthy); err != nil {
		return nil, err
	}
	return m, nil
}

// markDown records that Redis failed a call: until a probe finds it back, Take and Consume
// fail open without waiting on it. It starts the probe unless one runs.
func (s *Store) markDown() {
	if !s.healthy.CompareAndSwap(true, false) {
		return
	}
	s.metrics.healthy.Set(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.downSince.IsZero() {
		s.downSince = s.now()
	}
	if s.probing || s.closed {
		return
	}
	s.probing = true
	s.wg.Add(1)
	go s.probe()
}

// failOpen counts a request admitted without its limit check and logs it, at most once per
// log interval. err is Redis's error, or nil when Redis was not asked because it is down.
func (s *Store) failOpen(op string, err error) {
	s.metrics.errors.WithLabelValues(op).Inc()
	s.unreachable.Failed(op, err)
}

// failOpenCounted is failOpen for Consume: it also tallies the request against its counter,
// to be added when Redis answers again.
func (s *Store) failOpenCounted(counter string, expireAt int64, err error) {
	s.failOpen(opConsume, err)
	s.mu.Lock()
	if s.healthy.Load() {
		// Redis came back between the caller's check and here, and the tally has been
		// drained: add this one request on its own.
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), defaultReadTimeout)
		defer cancel()
		if rerr := reconcileScript.Run(ctx, s.client, []string{counter}, 1, expireAt).Err(); rerr != nil {
			s.markDown()
			s.tallyLocked(counter, expireAt, 1, true)
		}
		return
	}
	s.tallyLocked(counter, expireAt, 1, false)
	s.mu.Unlock()
}

// tallyLocked adds n requests to counter's tally. s.mu is held, unless lock says to take it.
func (s *Store) tallyLocked(counter string, expireAt, n int64, lock bool) {
	if lock {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	if p, ok := s.tally[counter]; ok {
		p.n += n
		return
	}
	if len(s.tally) >= maxTally {
		return
	}
	s.tally[counter] = &pending{n: n, expireAt: expireAt}
}

// probe pings Redis every probe interval until it answers and the outage's tally is added to
// the quota counters, then marks the store healthy. It runs from markDown until then or until
// Close; one at a time.
func (s *Store) probe() {
	defer s.wg.Done()
	t := time.NewTicker(s.probeInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.probeInterval+defaultReadTimeout)
		err := s.client.Ping(ctx).Err()
		if err == nil {
			err = s.reconcile(ctx)
		}
		cancel()
		if err != nil {
			s.failOpen(opProbe, err)
			continue
		}
		// A call may have failed again since reconcile marked the store healthy; markDown left
		// the probing to this loop then.
		s.mu.Lock()
		if s.healthy.Load() {
			s.probing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// reconcile adds the requests admitted during the outage to their counters, then marks the
// store healthy. Until it does, Consume keeps tallying, so it drains the tally in rounds; the
// last round swaps the tally and the health flag under one lock, so that no request is
// tallied after the last drain (failOpenCounted adds late ones itself).
func (s *Store) reconcile(ctx context.Context) error {
	var reconciled int64
	for round := 0; ; round++ {
		s.mu.Lock()
		batch := s.tally
		s.tally = map[string]*pending{}
		last := len(batch) == 0 || round >= maxReconcileRounds
		var down time.Time
		if last {
			s.healthy.Store(true)
			s.metrics.healthy.Set(1)
			down = s.downSince
			s.downSince = time.Time{}
		}
		s.mu.Unlock()

		for counter, p := range batch {
			if err := reconcileScript.Run(ctx, s.client, []string{counter}, p.n, p.expireAt).Err(); err != nil {
				s.mu.Lock()
				if last && s.healthy.CompareAndSwap(true, false) {
					s.metrics.healthy.Set(0)
					s.downSince = down
				}
				for c, q := range batch {
					s.tallyLockedMerge(c, q)
				}
				s.mu.Unlock()
				return fmt.Errorf("reconciling quota counters: %w", err)
			}
			reconciled += p.n
			delete(batch, counter)
		}
		if last {
			s.log.Info("Redis reachable again, enforcing limits",
				"downFor", s.now().Sub(down).String(), "reconciledRequests", reconciled)
			return nil
		}
	}
}

// tallyLockedMerge puts back a tally entry that could not be reconciled. s.mu is held.
func (s *Store) tallyLockedMerge(counter string, p *pending) {
	s.tallyLocked(counter, p.expireAt, p.n, false)
}
