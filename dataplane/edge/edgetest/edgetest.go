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

// Package edgetest runs the attacks package edge defends against, for tests: many
// connections sending unfinished headers or trickling bodies, and the process's resident
// memory read from /proc while they run. Every attack is bounded in connections and time and
// talks to the address it is given only (tests give loopback ones).
package edgetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Outcome is what one attacking connection saw.
type Outcome struct {
	// Status is the response's status code, 0 when the server closed without one.
	Status int
	// Closed is how long after the connection was opened the server closed it (or the
	// attack gave up, with Err set).
	Closed time.Duration
	// Err is set when the connection could not be opened, or the server kept it open
	// until the attack's deadline.
	Err error
}

// Attack is a running attack.
type Attack struct {
	// Ready is closed once every connection is open and has sent its head.
	Ready    chan struct{}
	outcomes []Outcome
	done     chan struct{}
}

// Start opens n connections to addr. Each sends head at once, then one more byte of trickle
// every interval (none when trickle is empty), and reads until the server closes it, which
// it must do within timeout.
func Start(ctx context.Context, addr string, n int, head []byte, trickle string, interval, timeout time.Duration) *Attack {
	a := &Attack{Ready: make(chan struct{}), outcomes: make([]Outcome, n), done: make(chan struct{})}
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			a.outcomes[i] = run(ctx, addr, head, trickle, interval, timeout, ready.Done)
		}()
	}
	go func() { ready.Wait(); close(a.Ready) }()
	go func() { done.Wait(); close(a.done) }()
	return a
}

// Wait waits for every connection to end, and returns what each saw.
func (a *Attack) Wait() []Outcome {
	<-a.done
	return a.outcomes
}

func run(ctx context.Context, addr string, head []byte, trickle string, interval, timeout time.Duration, sent func()) Outcome {
	start := time.Now()
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		sent()
		return Outcome{Err: err}
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(start.Add(timeout))
	// The server may close before taking the whole head (a header over its limit): then
	// the write fails and the answer is read all the same.
	_, _ = c.Write(head)
	sent()
	stop := make(chan struct{})
	defer close(stop)
	if trickle != "" {
		go func() {
			t := time.NewTicker(interval)
			defer t.Stop()
			for i := 0; ; i = (i + 1) % len(trickle) {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if _, err := c.Write([]byte{trickle[i]}); err != nil {
					return
				}
			}
		}()
	}
	var o Outcome
	br := bufio.NewReaderSize(c, 512)
	if res, err := http.ReadResponse(br, nil); err == nil {
		o.Status = res.StatusCode
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			o.Err = fmt.Errorf("the server kept the connection open for %s", timeout)
		}
	}
	o.Closed = time.Since(start)
	return o
}

// Summary counts outcomes by status ("431": 1000, "closed": 3, "error": 1) and gives the
// longest time a connection stayed open.
func Summary(outcomes []Outcome) (map[string]int, time.Duration, error) {
	counts := map[string]int{}
	var longest time.Duration
	var firstErr error
	for _, o := range outcomes {
		switch {
		case o.Err != nil:
			counts["error"]++
			if firstErr == nil {
				firstErr = o.Err
			}
		case o.Status == 0:
			counts["closed"]++
		default:
			counts[strconv.Itoa(o.Status)]++
		}
		longest = max(longest, o.Closed)
	}
	return counts, longest, firstErr
}

// HeaderHead is a request whose header line of size bytes never ends.
func HeaderHead(path string, size int) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: attack\r\nX-Flood: " + strings.Repeat("a", size))
}

// BodyHead is a POST promising length bytes of body, and sending none yet.
func BodyHead(path string, length int) []byte {
	return []byte("POST " + path + " HTTP/1.1\r\nHost: attack\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(length) + "\r\n\r\n")
}

// RSS returns the resident set size of process pid (0: this one), in bytes, from
// /proc/<pid>/status.
func RSS(pid int) (int64, error) {
	p := "/proc/self/status"
	if pid != 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("%s has no VmRSS", p)
}

// Peak samples RSS(pid) every 10 ms until the returned function is called, which returns
// the highest value seen.
func Peak(pid int) func() int64 {
	var peak int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := RSS(pid); err == nil {
				peak = max(peak, v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak
	}
}

// MiB formats bytes in MiB, for messages.
func MiB(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }
