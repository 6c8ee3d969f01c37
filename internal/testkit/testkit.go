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

// Package testkit holds what tests of several packages share: the one deadline of waits for
// something that must happen, a poll bounded by it, a settable clock to inject as a Now, a
// logger that keeps its lines, to count messages, and free ports for child processes.
package testkit

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// WaitTimeout bounds every test's wait for something that must happen: an API server round
// trip, a controller or proxy converging, a process starting, a message crossing a socket. It
// is a bound on failure, not a pace: waits poll or select, so a passing test goes on the
// moment the thing happens, and only a broken one waits this long. A minute, because a loaded
// 2-core machine (CI running several suites at once) took more than 10 s for one API-server
// round trip.
const WaitTimeout = 60 * time.Second

// PollInterval is how often Eventually looks again.
const PollInterval = 5 * time.Millisecond

// Eventually polls cond until it holds, failing the test after WaitTimeout.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", WaitTimeout, what)
		}
		time.Sleep(PollInterval)
	}
}

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time: pass c.Now where a func() time.Time is injected.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Logs collects what a logger says, safe for concurrent use.
type Logs struct {
	mu    sync.Mutex
	lines []string
}

// Logger returns a logger writing into l.
func (l *Logs) Logger() logr.Logger {
	return funcr.New(func(_, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, args)
	}, funcr.Options{})
}

// Count is the number of lines holding s.
func (l *Logs) Count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// String is every line, one a line, for a failure message.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
