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

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/testkit"
)

const loadManifests = `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: load}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: default}
spec: {restApiRef: {name: load}, routeKey: $default, routeResponseSelectionExpression: $default, integration: {type: MOCK, mock: {body: pong}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: live}
spec: {restApiRef: {name: load}, throttling: {rateLimit: 1000000, burstLimit: 1000000}}
`

// rawDial opens a WebSocket with a bare TCP connection: the client side holds no buffers
// or goroutines, so the process's memory growth is (an upper bound of) the proxy's.
func rawDial(addr string) (net.Conn, error) { return rawDialPath(addr, "/live") }

// rawDialPath is rawDial to a path of one's choosing.
func rawDialPath(addr, path string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintf(c, "GET "+path+" HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 256), nil)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	_ = resp.Body.Close() // a 101 has no body; the connection stays
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_ = c.Close()
		return nil, fmt.Errorf("upgrade: %s", resp.Status)
	}
	return c, nil
}

// The load test runs the proxy in a process of its own, the test binary started again as
// TestWebSocketLoadProxyProcess, so that each side's open files stay under the limit (10,000
// connections are 20,000 files in one process) and the proxy's memory, CPU time and
// goroutines are its own, not the clients'.
const loadChildEnv = "PORTICO_WS_LOAD_CHILD"

// loadStats is what the proxy process reports of itself.
type loadStats struct {
	HeapInuse, StackInuse uint64
	Goroutines            int
	Connections           int
	// CPUSeconds is the process's user and system CPU time (getrusage).
	CPUSeconds float64
}

// TestWebSocketLoadProxyProcess is the proxy side of TestWebSocketLoad; it runs only as
// that test's child. It serves loadManifests, prints its addresses, answers /stats and
// exits when its standard input closes.
func TestWebSocketLoadProxyProcess(t *testing.T) {
	if os.Getenv(loadChildEnv) == "" {
		t.Skip("the proxy process of TestWebSocketLoad")
	}
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(loadManifests)
	g.programmed("default/live")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/live", "stable") != nil })
	ctrl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// CPU time first: the collections below are the measurement's, not the load's.
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		st := loadStats{
			CPUSeconds:  time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds(),
			Connections: wp.ws.Len(),
		}
		if r.URL.Query().Get("gc") != "0" {
			for range 3 {
				runtime.GC()
			}
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		st.HeapInuse, st.StackInuse, st.Goroutines = m.HeapInuse, m.StackInuse, runtime.NumGoroutine()
		_ = json.NewEncoder(w).Encode(st)
	}))
	defer ctrl.Close()
	fmt.Printf("\nPORTICO_WS_LOAD %s %s\n", wp.url, ctrl.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// loadChild is the proxy process as the test sees it.
type loadChild struct {
	url, ctrl string
}

func startLoadChild(t *testing.T) *loadChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWebSocketLoadProxyProcess$", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), loadChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("the proxy process: %v", err)
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if f := strings.Fields(lines.Text()); len(f) == 3 && f[0] == "PORTICO_WS_LOAD" {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return &loadChild{url: f[1], ctrl: f[2]}
		}
	}
	t.Fatalf("the proxy process ended before it served: %v", lines.Err())
	return nil
}

func (c *loadChild) stats(t *testing.T, gc bool) loadStats {
	t.Helper()
	u := c.ctrl + "/stats"
	if !gc {
		u += "?gc=0"
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st loadStats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestWebSocketLoad opens many idle connections on one proxy process (2,000 by default;
// PORTICO_WS_CONNECTIONS=10000 for the figure in docs/benchmarks.md) and reports the proxy's
// memory per idle connection (heap in use and goroutine stacks after collection; target
// under 20 KB, checked). It then sends messages through a MOCK two-way route at a paced
// 5,000 a second while those connections stay open, reports the proxy's CPU time per
// message, closes everything and checks that the proxy's goroutines are back to where they
// started.
func TestWebSocketLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("PORTICO_WS_CONNECTIONS")); err == nil && v > 0 {
		n = v
	}
	child := startLoadChild(t)
	addr := strings.TrimPrefix(child.url, "ws://")

	base := child.stats(t, true)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range n {
		c, err := rawDial(addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	// The proxy registers a connection just after it writes the 101 the client has read, so
	// the last few may still be on their way in: wait for all of them, then measure.
	testkit.Eventually(t, "the proxy holds every connection", func() bool {
		return child.stats(t, false).Connections == n
	})
	idle := child.stats(t, true)
	if idle.Connections != n {
		t.Fatalf("the proxy holds %d connections, want %d", idle.Connections, n)
	}
	perConn := float64(idle.HeapInuse+idle.StackInuse-base.HeapInuse-base.StackInuse) / float64(n)
	t.Logf("%d idle connections: %.1f KB each in the proxy process (heap %.1f KB, stacks %.1f KB), %.1f goroutines each",
		n, perConn/1024, float64(idle.HeapInuse-base.HeapInuse)/float64(n)/1024, float64(idle.StackInuse-base.StackInuse)/float64(n)/1024,
		float64(idle.Goroutines-base.Goroutines)/float64(n))
	if perConn > 20*1024 {
		t.Errorf("%.1f KB per idle connection, want under 20 KB", perConn/1024)
	}

	// Messages through the MOCK two-way route: 10 clients, each sending 5 messages every
	// 10 ms (5,000 a second together) and reading the answers as they come.
	const clients, perTick, tick, ticks = 10, 5, 10 * time.Millisecond, 300
	msgs := make([]*websocket.Conn, clients)
	for i := range msgs {
		c, _, err := websocket.DefaultDialer.Dial(child.url+"/live", nil) //nolint:bodyclose // closed by the dialer on success
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = c
	}
	before := child.stats(t, false)
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range msgs {
		wg.Add(2)
		go func() {
			defer wg.Done()
			tk := time.NewTicker(tick)
			defer tk.Stop()
			for range ticks {
				<-tk.C
				for range perTick {
					if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"ping"}`)); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(ticks*tick + testkit.WaitTimeout))
			for i := range ticks * perTick {
				if _, b, err := c.ReadMessage(); err != nil || string(b) != "pong" {
					t.Errorf("answer %d: %q %v", i, b, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	after := child.stats(t, false)
	total := clients * ticks * perTick
	cpu := after.CPUSeconds - before.CPUSeconds
	t.Logf("%d messages through MOCK two-way in %v (%.0f messages/s, paced for 5,000) with %d idle connections open: proxy CPU %.2f s, %.1f µs per message (%.0f%% of a core)",
		total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), n, cpu, cpu/float64(total)*1e6, cpu/elapsed.Seconds()*100)
	for _, c := range msgs {
		_ = c.Close()
	}

	for _, c := range conns {
		_ = c.Close()
	}
	conns = nil
	// Every connection's reader (and its $disconnect) ends: the proxy's goroutines go back to
	// where they were before the first connection.
	var last loadStats
	testkit.Eventually(t, "the proxy's goroutines back to the baseline", func() bool {
		last = child.stats(t, false)
		return last.Connections == 0 && last.Goroutines <= base.Goroutines
	})
	t.Logf("after every connection closed: %d goroutines (baseline %d)", last.Goroutines, base.Goroutines)
}
