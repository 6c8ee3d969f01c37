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
//	rategen -url http://127.0.0.1:18093/bench/ok -rate 2000 -duration 5s
//
// prints one line: "p50_us p90_us p99_us max_us requests errors".
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	url := flag.String("url", "", "URL to GET")
	rate := flag.Int("rate", 2000, "requests per second")
	duration := flag.Duration("duration", 5*time.Second, "how long to send")
	conns := flag.Int("connections", 32, "connections (and workers); a request waits for a free one")
	var hdrs headers
	flag.Var(&hdrs, "H", "header to send, \"Name: value\" (repeatable)")
	flag.Parse()
	if *url == "" || *rate <= 0 || *conns <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	req, err := http.NewRequest(http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, h := range hdrs {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true},
		Timeout:   10 * time.Second,
	}

	total := int(duration.Seconds() * float64(*rate))
	due := make(chan time.Time, total)
	latencies := make([]time.Duration, 0, total)
	var mu sync.Mutex
	errs := 0
	var wg sync.WaitGroup
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for at := range due {
				ok := send(client, req)
				d := time.Since(at)
				mu.Lock()
				if ok {
					latencies = append(latencies, d)
				} else {
					errs++
				}
				mu.Unlock()
			}
		}()
	}
	// Warm the connections up, then send on schedule.
	for range *conns {
		send(client, req)
	}
	start := time.Now()
	interval := time.Second / time.Duration(*rate)
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		due <- at
	}
	close(due)
	wg.Wait()
	slices.Sort(latencies)
	pct := func(p float64) int64 {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()
	}
	fmt.Printf("%d %d %d %d %d %d\n", pct(0.50), pct(0.90), pct(0.99), pct(1), len(latencies), errs)
}

func send(c *http.Client, req *http.Request) bool {
	res, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode == http.StatusOK
}
