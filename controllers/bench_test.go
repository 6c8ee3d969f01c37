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

package controllers_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/xds/xdstest"
)

// BenchmarkChangeToPush measures, against the real API server, the time from updating one
// Route to the new snapshot of its stage reaching a connected proxy, with 100 APIs of
// PORTICO_BENCH_ROUTES_PER_API routes each (default 100: 10,000 routes). It also reports the
// process's resident memory, which holds the controller, its caches and the test proxy.
func BenchmarkChangeToPush(b *testing.B) {
	if env == nil {
		b.Skip("needs a kube-apiserver")
	}
	const apis = 100
	perAPI := 100
	if v, err := strconv.Atoi(os.Getenv("PORTICO_BENCH_ROUTES_PER_API")); err == nil && v > 0 {
		perAPI = v
	}
	ns := fmt.Sprintf("bench-%d", perAPI)
	ctx := context.Background()
	t := &testing.T{}
	newNamespace(t, ns)

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, apis)
	sem := make(chan struct{}, 8)
	for a := 0; a < apis; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs <- createAPI(ctx, ns, a, perAPI)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("created %d APIs x %d routes in %v", apis, perAPI, time.Since(start))

	proxy := xdstest.StartProxy(t, xdsAddr, "bench-"+ns, nil, xdsv1alpha1.StageSnapshotTypeURL)
	defer proxy.Close()
	target := ns + "/api-042"
	routesOf := func() int {
		res := proxy.Resource(xdsv1alpha1.StageSnapshotTypeURL, target)
		if res == nil {
			return -1
		}
		s := &xdsv1alpha1.StageSnapshot{}
		if err := res.GetResource().UnmarshalTo(s); err != nil {
			return -1
		}
		return len(s.GetApi().GetRoutes())
	}
	waitFor(b, "every stage served with all routes", 5*time.Minute, func() bool {
		for a := 0; a < apis; a++ {
			if proxy.Resource(xdsv1alpha1.StageSnapshotTypeURL, fmt.Sprintf("%s/api-%03d", ns, a)) == nil {
				return false
			}
		}
		return routesOf() == perAPI
	})
	b.Logf("all stages reached the proxy %v after the first create", time.Since(start))

	route := &apiv1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api-042-r0000"}}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		version := proxy.Resource(xdsv1alpha1.StageSnapshotTypeURL, target).GetVersion()
		if os.Getenv("PORTICO_TEST_LOG") != "" {
			fmt.Fprintf(os.Stderr, "%s bench: updating route, proxy has version %s\n", time.Now().UTC().Format(time.RFC3339Nano), version)
		}
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(route), route); err != nil {
				return err
			}
			// Keep {id}: the route's integration uri uses it.
			route.Spec.Path = fmt.Sprintf("/changed/%d/{id}", i)
			return env.Client.Update(ctx, route)
		})
		if err != nil {
			b.Fatal(err)
		}
		waitFor(b, "the change reached the proxy", time.Minute, func() bool {
			return proxy.Resource(xdsv1alpha1.StageSnapshotTypeURL, target).GetVersion() != version
		})
	}
	b.StopTimer()
	runtime.GC()
	if rss := residentBytes(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "MB-resident")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MB-heap")
	b.ReportMetric(float64(apis*perAPI), "routes")
}

func createAPI(ctx context.Context, ns string, a, routes int) error {
	name := fmt.Sprintf("api-%03d", a)
	objs := []client.Object{&apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}
	for r := 0; r < routes; r++ {
		objs = append(objs, &apiv1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-r%04d", name, r)}, Spec: apiv1.RouteSpec{
			RestApiRef:  apiv1.LocalObjectReference{Name: name},
			Path:        fmt.Sprintf("/res%d/{id}/sub%d", r/4, r%4),
			Methods:     []apiv1.HTTPMethod{apiv1.MethodGet, apiv1.MethodPost},
			Integration: apiv1.Integration{Type: apiv1.IntegrationHTTPProxy, URI: "http://${stageVariables.backend}/res/{id}"},
		}})
	}
	objs = append(objs, &apiv1.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: apiv1.StageSpec{
		RestApiRef: apiv1.LocalObjectReference{Name: name}, StageName: ns + "-" + name,
		Variables: apiv1.StageVariables{"backend": "backend.example:8080"},
	}})
	for _, o := range objs {
		if err := env.Client.Create(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

func waitFor(b *testing.B, what string, timeout time.Duration, cond func() bool) {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			b.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// residentBytes reads the process's resident set size from /proc (Linux), or 0.
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
