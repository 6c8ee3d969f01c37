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

package proxy

import (
	"encoding/json"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

func TestAccessLog(t *testing.T) {
	backend := echoServer(t, "b")
	clk := &fakeClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	f := newFixture(t, Options{Now: clk.Now})
	st := stageOf("prod", "prod", apiOf(nil,
		uriRoute("one", "/pets/{petId}", "GET", backend.URL+"/pets/{petId}"),
		mockRoute("mock", "/mock", "GET", "hello"),
	))
	st.AccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod",` +
		`"resourcePath":"$context.resourcePath","path":"$context.path","status":"$context.status","length":"$context.responseLength",` +
		`"latency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",` +
		`"integrationStatus":"$context.integrationStatus","stage":"$context.stage","error":"$context.error.message",` +
		`"errorType":"$context.error.responseType","principal":"$context.authorizer.principalId",` +
		`"time":"$context.requestTime","protocol":"$context.protocol","ua":"$context.identity.userAgent"}`
	f.apply(t, st)
	noLog := stageOf("dev", "dev", apiOf(nil, mockRoute("mock", "/mock", "GET", "hello")))
	f.apply(t, st, noLog)

	rid := f.do("GET", "/prod/pets/7", nil, "User-Agent", "evil\"agent\\{}\t").Header().Get("X-Request-Id")
	f.do("GET", "/prod/mock", nil)
	f.do("GET", "/prod/nope", nil)
	f.do("GET", "/dev/mock", nil) // no format: no line
	f.do("GET", "/unknown", nil)  // no stage: no line

	lines := f.log.Lines()
	if len(lines) != 3 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	var entries []map[string]string
	for _, l := range lines {
		var e map[string]string
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %s: %v", l, err)
		}
		entries = append(entries, e)
	}
	want := []map[string]string{
		{
			"requestId": rid, "ip": "192.0.2.1", "method": "GET", "resourcePath": "/pets/{petId}", "path": "/prod/pets/7",
			"status": "200", "latency": "0", "integrationLatency": "0", "integrationStatus": "200", "stage": "prod",
			"error": "-", "errorType": "-", "principal": "-", "time": "04/Mar/2026:05:06:07 +0000", "protocol": "HTTP/1.1",
			"ua": "evil\"agent\\{}\t",
		},
		{"resourcePath": "/mock", "status": "200", "length": "5", "integrationLatency": "-", "integrationStatus": "-"},
		{"resourcePath": "-", "path": "/prod/nope", "status": "404", "length": "23", "error": "Not Found", "errorType": "RESOURCE_NOT_FOUND"},
	}
	for i, w := range want {
		for k, v := range w {
			if entries[i][k] != v {
				t.Errorf("line %d: %s = %q, want %q", i, k, entries[i][k], v)
			}
		}
	}
}

// metricValue returns the value of the series of name with exactly labels, or -1.
func metricValue(t *testing.T, f *fixture, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return value(m)
		}
	}
	return -1
}

func value(m *dto.Metric) float64 {
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return float64(m.GetHistogram().GetSampleCount())
}

func TestMetrics(t *testing.T) {
	backend := echoServer(t, "b")
	flip := 0.0
	f := newFixture(t, Options{Rand: func() float64 { flip = 0.9 - flip; return flip }})
	st := stageOf("prod", "prod", apiOf(nil,
		uriRoute("one", "/pets/{petId}", "GET", backend.URL+"/pets/{petId}"),
		mockRoute("mock", "/mock", "GET", "hello"),
	))
	st.Canary = &xdsv1alpha1.Canary{PercentTraffic: 50}
	f.apply(t, st)
	for range 4 {
		f.do("GET", "/prod/pets/7", nil) // stable, canary, stable, canary
	}
	f.do("GET", "/prod/mock", nil)    // stable
	f.do("POST", "/prod/mock", nil)   // canary, 403
	f.do("GET", "/prod/missing", nil) // stable, 404
	f.do("GET", "/nowhere", nil)

	labels := func(route, variant, class string) map[string]string {
		l := map[string]string{"api": "default/pets", "stage": "prod", "route": route, "variant": variant}
		if class != "" {
			l["status_class"] = class
		}
		return l
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"portico_requests_total", labels("one", "stable", "2xx"), 2},
		{"portico_requests_total", labels("one", "canary", "2xx"), 2},
		{"portico_requests_total", labels("mock", "stable", "2xx"), 1},
		{"portico_requests_total", labels("none", "canary", "4xx"), 1},
		{"portico_requests_total", labels("none", "stable", "4xx"), 1},
		{"portico_requests_total", map[string]string{"api": "none", "stage": "none", "route": "none", "variant": "none", "status_class": "4xx"}, 1},
		{"portico_requests_total", labels("mock", "canary", "2xx"), -1}, // never created
		{"portico_request_duration_seconds", labels("one", "stable", ""), 2},
		{"portico_request_duration_seconds", labels("mock", "stable", ""), 1},
		{"portico_integration_duration_seconds", labels("one", "canary", ""), 2},
		{"portico_integration_duration_seconds", labels("mock", "stable", ""), -1}, // MOCK has no backend
		{"portico_gateway_responses_total", map[string]string{"api": "default/pets", "stage": "prod", "route": "none", "variant": "stable", "type": "RESOURCE_NOT_FOUND"}, 1},
		{"portico_gateway_responses_total", map[string]string{"api": "default/pets", "stage": "prod", "route": "none", "variant": "canary", "type": "MISSING_AUTHENTICATION_TOKEN"}, 1},
	} {
		if got := metricValue(t, f, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	// A route dropped by a new configuration takes its series with it.
	f.apply(t, stageOf("prod", "prod", apiOf(nil, mockRoute("mock", "/mock", "GET", "hello"))))
	if got := metricValue(t, f, "portico_requests_total", labels("one", "stable", "2xx")); got != -1 {
		t.Errorf("series of a removed route: %v", got)
	}
	if got := metricValue(t, f, "portico_requests_total", labels("mock", "stable", "2xx")); got != 1 {
		t.Errorf("series of a kept route: %v", got)
	}

	// Two proxies on one registry share the collectors rather than fail.
	p2 := New(Options{Registerer: f.reg})
	if p2.metrics.requests != f.metrics.requests {
		t.Error("second proxy did not reuse the registered collectors")
	}
}
