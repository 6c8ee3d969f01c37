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
// Each -url gets the full rate over connections of its own, its requests due between the
// other URLs' (the second URL's half an interval after the first's), so that two servers
// measured in one run see the same moments of the machine: a pause of the host's shows in
// both, and the difference between them is the servers'. It prints one line per URL, in
// order: "p50_us p90_us p99_us max_us requests errors".
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
	due       chan time.Time
	mu        sync.Mutex
	latencies []time.Duration
	errs      int
}

func main() {
	var urls, hdrs repeated
	flag.Var(&urls, "url", "URL to GET (repeatable: each gets the full rate)")
	rate := flag.Int("rate", 2000, "requests per second, per URL")
	duration := flag.Duration("duration", 5*time.Second, "how long to send")
	conns := flag.Int("connections", 32, "connections (and workers) per URL; a request waits for a free one")
	flag.Var(&hdrs, "H", "header to send, \"Name: value\" (repeatable)")
	flag.Parse()
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
	stagger := interval / time.Duration(len(targets))
	for i := range total {
		for k, t := range targets {
			at := start.Add(time.Duration(i)*interval + time.Duration(k)*stagger)
			sleep.until(at)
			t.due <- at
		}
	}
	for _, t := range targets {
		close(t.due)
	}
	wg.Wait()
	for _, t := range targets {
		t.report()
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
		due:       make(chan time.Time, total),
		latencies: make([]time.Duration, 0, total),
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
	for at := range t.due {
		ok := c.send()
		d := time.Since(at)
		t.mu.Lock()
		if ok {
			t.latencies = append(t.latencies, d)
		} else {
			t.errs++
		}
		t.mu.Unlock()
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

func (t *target) report() {
	l := t.latencies
	slices.Sort(l)
	pct := func(p float64) int64 {
		if len(l) == 0 {
			return 0
		}
		return l[min(len(l)-1, int(p*float64(len(l))))].Microseconds()
	}
	fmt.Printf("%d %d %d %d %d %d\n", pct(0.50), pct(0.90), pct(0.99), pct(1), len(l), t.errs)
}
