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

package proxy_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/edge"
	"github.com/portico-dev/portico/dataplane/edge/edgetest"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/internal/race"
)

// attackers is how many connections each attack opens: the 1,000; 100 under the
// race detector, which slows every goroutine several times over and says nothing of the
// memory a real proxy uses (TestStandaloneSurvivesAttacks in internal/cli attacks a binary
// built without it, with 1,000); fewer when the open file limit could not hold them (each
// takes a file on both ends, and a slow body one more on both ends of its backend
// connection).
func attackers(t *testing.T) int {
	n := 1000
	if race.Enabled {
		n = 100
	}
	if files := edge.DefaultMaxConnections() * 2; n > (files-256)/4 {
		n = max(10, (files-256)/4)
		t.Logf("the open file limit allows %d attacking connections", n)
	}
	return n
}

// rssCeiling bounds the resident memory an attack may add to this process (the proxy and
// the attackers both): 1,000 connections at net/http's old 1 MiB header limit took 2.6-3 GB;
// at 64 KiB they take about 180 MiB. The race detector's shadow memory multiplies what Go
// allocates.
func rssCeiling() int64 {
	if race.Enabled {
		return 768 << 20
	}
	return 384 << 20
}

// TestAttacksKeepMemoryBounded runs the attacks against the proxy behind the edge
// limits on a real listener: 1,000 connections each sending a 1 MB header line, 1,000
// holding an unfinished header just under the limit, 1,000 trickling a body a byte at a
// time. The process's resident memory stays under a ceiling, every attacker is answered or
// closed within its deadline, and a normal client is served throughout.
func TestAttacksKeepMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("opens thousands of connections; runs without -short")
	}
	n := attackers(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	defer backend.Close()
	p := proxy.New(proxy.Options{AccessLog: io.Discard})
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{"default/prod": {
		Key: "default/prod", Namespace: "default", StageName: "prod", RestApi: "pets",
		Api: &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{
			{Name: "ok", Path: "/ok", Methods: []string{"GET"}, Integration: &xdsv1alpha1.Integration{
				Type: "MOCK", TimeoutMillis: 29000, Mock: &xdsv1alpha1.Mock{StatusCode: 200, Body: "ok"}}},
			{Name: "upload", Path: "/upload", Methods: []string{"POST"}, Integration: &xdsv1alpha1.Integration{
				Type: "HTTP_PROXY", TimeoutMillis: 29000, Uri: backend.URL + "/"}},
		}},
	}}}); err != nil {
		t.Fatal(err)
	}
	limits := edge.Defaults()
	// Long enough to hold every attacker at once while memory is read, short for a test.
	limits.ReadHeaderTimeout = 2 * time.Second
	limits.BodyTimeout = time.Second
	limits.MaxConnections = n + 64 // room for the normal client
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := proxy.NewServer(proxy.ServerOptions{Handler: p, Limits: limits})
	go func() { _ = srv.Serve(edge.Listener(lis, limits.MaxConnections)) }()
	defer func() { _ = srv.Close() }()
	addr := lis.Addr().String()
	ctx := context.Background()
	const patience = 20 * time.Second // per attacking connection, however loaded the machine

	// Each attack in turn, with the resident memory it added over what the process had
	// before it (after a GC returned what it could).
	attack := func(t *testing.T, head []byte, trickle string, check func(counts map[string]int, longest time.Duration) bool) {
		runtime.GC()
		debug.FreeOSMemory()
		base, err := edgetest.RSS(0)
		if err != nil {
			t.Fatal(err)
		}
		peak := edgetest.Peak(0)
		a := edgetest.Start(ctx, addr, n, head, trickle, 200*time.Millisecond, patience)
		<-a.Ready
		served(t, addr) // while the attackers hold their connections
		counts, longest, err := edgetest.Summary(a.Wait())
		top := peak()
		t.Logf("%d connections: %v, the longest open %s; resident memory %s before, +%s at most",
			n, counts, longest.Round(time.Millisecond), edgetest.MiB(base), edgetest.MiB(top-base))
		if err != nil || !check(counts, longest) {
			t.Errorf("unsafe outcome: %v", err)
		}
		if top-base > rssCeiling() {
			t.Errorf("the attack added %s of resident memory, over the %s ceiling", edgetest.MiB(top-base), edgetest.MiB(rssCeiling()))
		}
	}
	// Safe outcomes: every connection closed, within its deadline, with the expected answer
	// or none; or with 400 when a machine so loaded that the header deadline passed before
	// net/http read a whole header line (it then answers 400 to the torn line).
	t.Run("1 MB header lines get 431", func(t *testing.T) {
		attack(t, edgetest.HeaderHead("/prod/ok", 1<<20), "", func(counts map[string]int, _ time.Duration) bool {
			return counts["431"]+counts["closed"]+counts["400"] == n && counts["431"] >= n/2
		})
	})
	t.Run("unfinished headers are closed at the header deadline", func(t *testing.T) {
		attack(t, edgetest.HeaderHead("/prod/ok", limits.MaxHeaderBytes-1024), "", func(counts map[string]int, longest time.Duration) bool {
			return counts["closed"]+counts["400"] == n && longest < limits.ReadHeaderTimeout+patience/2
		})
	})
	t.Run("bodies sent a byte at a time get 408", func(t *testing.T) {
		attack(t, edgetest.BodyHead("/prod/upload", 1<<20), "slow", func(counts map[string]int, longest time.Duration) bool {
			return counts["408"]+counts["closed"]+counts["400"] == n && counts["408"] >= n/2 && longest < limits.BodyTimeout+patience/2
		})
	})
}

// served checks that a normal client is answered.
func served(t *testing.T, addr string) {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get("http://" + addr + "/prod/ok")
	if err != nil {
		t.Fatalf("a normal client during the attack: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("a normal client during the attack: %d %q", res.StatusCode, b)
	}
}
