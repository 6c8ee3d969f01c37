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

// Command rategen sends GET requests at a constant rate and prints the latency percentiles,
// for hack/bench-proxy.sh. Latency is measured from when each request was due, not from when
// it was sent (as wrk2 does), so a server that stalls is charged for the requests queued
// behind the stall rather than hiding them ("coordinated omission").
//
//	rategen -url http://127.0.0.1:18091/ -url http://127.0.0.1:18093/bench/ok -rate 2000 -duration 5s
//
// Each -url gets the full rate over connections of its own, its requests due with the other
// URLs' (-stagger apart, half an interval by default), so that two servers measured in one
// run see the same moments of the machine: a pause of the host's shows in both, and the
// difference between them is the servers'. It prints one line per URL, in order:
// "p50_us p90_us p99_us max_us requests errors". Every URL after the first adds
// "pair_p50_us pair_p99_us": the percentiles of its requests' latency less the first URL's
// request due at the same turn, pairs where both were answered. A stall of the host that
// holds both requests of a pair cancels out of that difference, where it does not out of the
// difference of two percentiles.
//
// -dump FILE writes every turn's latencies too, one line a turn: when its first URL's
// request was due (µs after the start), then each URL's latency (µs, -1 when it failed). The
// slow requests then show whether they come in runs (the host held a CPU: every request due
// in those milliseconds is late, the backend's too when its CPU was the one held) or alone.
//
// -idle-poll holds the CPUs' wake-up latency at 0 µs for the run (Linux's PM QoS, root; see
// holdIdlePoll), so that idle CPUs poll rather than halt and the hops between CPUs cost the
// requests no interrupts; refused where the kernel has no cpuidle driver to read the limit.
// -idle-poll-check only asks whether -idle-poll would hold (bench-proxy.sh, before its pass).
//
// Each worker owns one keep-alive connection: it writes the request as net/http writes it and
// reads the answer with net/http's reader, without a transport's goroutines in between.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

type repeated []string

func (h *repeated) String() string     { return strings.Join(*h, ", ") }
func (h *repeated) Set(v string) error { *h = append(*h, v); return nil }

// target is one URL's requests, workers and results.
type target struct {
	addr      string
	request   []byte // the request as written on the wire
	due       chan turn
	latencies []time.Duration // by turn; failed for a request that got no 200
}

// turn is a request due: when, and its place in the sequence.
type turn struct {
	at time.Time
	i  int
}

// failed marks a turn's latency when its request got no 200 answer.
const failed = time.Duration(-1)

func main() {
	var urls, hdrs repeated
	flag.Var(&urls, "url", "URL to GET (repeatable: each gets the full rate)")
	rate := flag.Int("rate", 2000, "requests per second, per URL")
	duration := flag.Duration("duration", 5*time.Second, "how long to send")
	conns := flag.Int("connections", 32, "connections (and workers) per URL; a request waits for a free one")
	stagger := flag.Duration("stagger", -1, "how long after one URL's request the next URL's is due (default half an interval, over the URLs)")
	flag.Var(&hdrs, "H", "header to send, \"Name: value\" (repeatable)")
	dump := flag.String("dump", "", "also write every turn's latencies to this file: the turn's offset from the start, then each URL's latency, in µs (-1 for a failed request)")
	idlePoll := flag.Bool("idle-poll", false, "hold the CPUs' wake-up latency at 0 µs while running ("+cpuDMALatency+", root): idle CPUs poll rather than halt")
	idlePollCheck := flag.Bool("idle-poll-check", false, "send nothing: exit 0 if -idle-poll can hold here, else say why and exit 2")
	flag.Parse()
	var hold *os.File // released at the end (or by exiting): used there, it stays open
	if *idlePoll || *idlePollCheck {
		var err error
		if hold, err = holdIdlePoll(cpuDMALatency, cpuidleDriver); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if *idlePollCheck {
			_ = hold.Close()
			return
		}
	}
	if len(urls) == 0 || *rate <= 0 || *conns <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	total := int(duration.Seconds() * float64(*rate))
	targets := make([]*target, len(urls))
	for i, u := range urls {
		t, err := newTarget(u, hdrs, total)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		targets[i] = t
	}
	// Warm the connections up, then send on schedule.
	var wg, ready sync.WaitGroup
	for _, t := range targets {
		for range *conns {
			ready.Add(1)
			wg.Go(func() { t.work(&ready) })
		}
	}
	ready.Wait()

	sleep := newSleeper()
	start := time.Now()
	interval := time.Second / time.Duration(*rate)
	if *stagger < 0 {
		*stagger = interval / time.Duration(len(targets))
	}
	for i := range total {
		for k, t := range targets {
			at := start.Add(time.Duration(i)*interval + time.Duration(k)**stagger)
			sleep.until(at)
			t.due <- turn{at, i}
		}
	}
	for _, t := range targets {
		close(t.due)
	}
	wg.Wait()
	if *dump != "" {
		if err := writeDump(*dump, interval, targets); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	for k, t := range targets {
		line := summary(t.latencies)
		if k > 0 {
			p := pairs(targets[0].latencies, t.latencies)
			line += fmt.Sprintf(" %d %d", percentile(p, 0.50), percentile(p, 0.99))
		}
		fmt.Println(line)
	}
	if hold != nil {
		_ = hold.Close()
	}
}

func newTarget(rawURL string, hdrs []string, total int) (*target, error) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if req.URL.Scheme != "http" {
		return nil, fmt.Errorf("%s: only http:// URLs", rawURL)
	}
	for _, h := range hdrs {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		return nil, err
	}
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	return &target{
		addr:      addr,
		request:   wire.Bytes(),
		due:       make(chan turn, total),
		latencies: make([]time.Duration, total),
	}, nil
}

// conn is one worker's keep-alive connection, dialled again when the server closes it.
type conn struct {
	t  *target
	nc net.Conn
	br *bufio.Reader
}

// work sends the requests due over a connection of its own. It neither hands a request to
// other goroutines nor allocates much: every request costs the generator the same few
// microseconds, so that the differences it measures are the servers'.
func (t *target) work(ready *sync.WaitGroup) {
	c := &conn{t: t}
	c.send() // warm the connection up
	ready.Done()
	for due := range t.due {
		ok := c.send()
		d := time.Since(due.at)
		if !ok {
			d = failed
		}
		t.latencies[due.i] = d // each turn is one worker's alone
	}
	if c.nc != nil {
		_ = c.nc.Close()
	}
}

func (c *conn) send() bool {
	for attempt := range 2 {
		if c.nc == nil {
			nc, err := net.DialTimeout("tcp", c.t.addr, 10*time.Second)
			if err != nil {
				return false
			}
			c.nc, c.br = nc, bufio.NewReader(nc)
		}
		_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
		ok, reuse, err := c.roundTrip()
		if err == nil {
			if !reuse {
				_ = c.nc.Close()
				c.nc = nil
			}
			return ok
		}
		_ = c.nc.Close()
		c.nc = nil
		// A kept connection the server closed meanwhile fails on its first read: once again
		// on a new one.
		if attempt == 1 {
			return false
		}
	}
	return false
}

func (c *conn) roundTrip() (ok, reuse bool, err error) {
	if _, err := c.nc.Write(c.t.request); err != nil {
		return false, false, err
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return false, false, err
	}
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return false, false, err
	}
	_ = res.Body.Close()
	return res.StatusCode == http.StatusOK, !res.Close, nil
}

// writeDump writes one line per turn: when its first request was due (µs after the start),
// then each target's latency in µs, -1 where the request failed. It shows whether slow
// requests come together in time (the host stalled) or alone (something in a server).
func writeDump(path string, interval time.Duration, targets []*target) error {
	var b bytes.Buffer
	for i := range targets[0].latencies {
		fmt.Fprintf(&b, "%d", (time.Duration(i) * interval).Microseconds())
		for _, t := range targets {
			d := t.latencies[i]
			if d == failed {
				b.WriteString(" -1")
				continue
			}
			fmt.Fprintf(&b, " %d", d.Microseconds())
		}
		b.WriteByte('\n')
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// summary is "p50_us p90_us p99_us max_us requests errors" of the answered requests.
func summary(latencies []time.Duration) string {
	var ok []time.Duration
	for _, d := range latencies {
		if d != failed {
			ok = append(ok, d)
		}
	}
	slices.Sort(ok)
	return fmt.Sprintf("%d %d %d %d %d %d", percentile(ok, 0.50), percentile(ok, 0.90),
		percentile(ok, 0.99), percentile(ok, 1), len(ok), len(latencies)-len(ok))
}

// pairs is b's latency less a's, turn by turn, sorted, over the turns both answered.
func pairs(a, b []time.Duration) []time.Duration {
	var d []time.Duration
	for i := range a {
		if a[i] != failed && b[i] != failed {
			d = append(d, b[i]-a[i])
		}
	}
	slices.Sort(d)
	return d
}

// percentile is the p-th of sorted latencies, in whole microseconds.
func percentile(sorted []time.Duration, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Microseconds()
}
