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

package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// dashboardMetrics returns the metric names the dashboard's queries read, with a histogram's
// _bucket, _sum and _count suffixes taken off.
func dashboardMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "charts", "portico", "dashboards", "portico.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct{ Definition string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	names := map[string]bool{}
	re := regexp.MustCompile(`\bportico_[a-z_]+`)
	for _, e := range exprs {
		for _, n := range re.FindAllString(e, -1) {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				n = strings.TrimSuffix(n, suffix)
			}
			names[n] = true
		}
	}
	if len(names) < 8 {
		t.Fatalf("only %d metrics in the dashboard's queries: %v", len(names), names)
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Every metric the Grafana dashboard queries is one a running portico serves: a portico
// standalone (controller, xDS server and proxy in one process) on the samples, after a few
// requests, scraped on its admin endpoint.
func TestDashboardQueriesServedMetrics(t *testing.T) {
	want := dashboardMetrics(t)
	dir := copyDir(t, filepath.Join("..", "..", "config", "samples"))
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(backend.Close)
	writeFile(t, filepath.Join(dir, "zz-echo.yaml"), `apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: echo}
spec:
  restApiRef: {name: pets}
  path: /echo
  methods: [GET]
  integration: {type: HTTP_PROXY, uri: "`+backend.URL+`/"}
`)
	httpLis, adminLis := listenLoopback(t), listenLoopback(t)
	base, admin := "http://"+httpLis.Addr().String(), "http://"+adminLis.Addr().String()
	opts := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: time.Hour,
		drain: 2 * time.Second, stateDir: t.TempDir(), log: logOptions{level: "error", format: "json"}}
	startStandalone(t, opts, &standaloneHooks{httpListener: httpLis, adminListener: adminLis})
	// A cached route, and a request refused with a gateway response (no API key).
	get(t, "GET", base+"/prod/pets")
	get(t, "GET", base+"/prod/pets/1")
	if r := get(t, "GET", base+"/prod/echo"); r.status != 200 {
		t.Fatalf("GET /prod/echo = %d %s", r.status, r.body)
	}

	metrics := get(t, "GET", admin+"/metrics").body
	for _, name := range want {
		if !strings.Contains(metrics, "\n# TYPE "+name+" ") {
			t.Errorf("the dashboard queries %s, which /metrics does not serve", name)
		}
	}
}
