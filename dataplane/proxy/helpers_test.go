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
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/prometheus/client_golang/prometheus"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/internal/testkit"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	*Proxy
	reg *prometheus.Registry
	log *testkit.Buffer
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	f := &fixture{reg: prometheus.NewRegistry(), log: &testkit.Buffer{}}
	opts.Registerer = f.reg
	if opts.AccessLog == nil {
		opts.AccessLog = f.log
	}
	f.Proxy = New(opts)
	return f
}

func (f *fixture) apply(t testing.TB, stages ...*xdsv1alpha1.StageSnapshot) {
	t.Helper()
	f.applyWith(t, nil, stages...)
}

func (f *fixture) applyWith(t testing.TB, endpoints map[string]*endpointv3.ClusterLoadAssignment, stages ...*xdsv1alpha1.StageSnapshot) {
	t.Helper()
	if err := f.Apply(cfg(endpoints, stages...)); err != nil {
		t.Fatal(err)
	}
}

func cfg(endpoints map[string]*endpointv3.ClusterLoadAssignment, stages ...*xdsv1alpha1.StageSnapshot) *config.Config {
	c := &config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{}, Endpoints: endpoints}
	for _, s := range stages {
		c.Stages[s.GetKey()] = s
	}
	return c
}

// do serves one request in process, from 192.0.2.1.
func (f *fixture) do(method, target string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			r.Host = headers[i+1]
			continue
		}
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	f.ServeHTTP(w, r)
	return w
}

func stageOf(key, name string, api *xdsv1alpha1.Api) *xdsv1alpha1.StageSnapshot {
	return &xdsv1alpha1.StageSnapshot{Key: "default/" + key, Namespace: "default", StageName: name, RestApi: "pets", Api: api}
}

func apiOf(hosts []string, routes ...*xdsv1alpha1.Route) *xdsv1alpha1.Api {
	return &xdsv1alpha1.Api{Protocol: "HTTP", Hostnames: hosts, Routes: routes}
}

func methodsOf(methods string) []string { return strings.Split(methods, ",") }

func mockRoute(name, path, methods, body string) *xdsv1alpha1.Route {
	return &xdsv1alpha1.Route{Name: name, Path: path, Methods: methodsOf(methods), Integration: &xdsv1alpha1.Integration{
		Type: "MOCK", TimeoutMillis: 29000,
		Mock: &xdsv1alpha1.Mock{StatusCode: 200, Headers: map[string]string{"content-type": "text/plain"}, Body: body},
	}}
}

func uriRoute(name, path, methods, uri string) *xdsv1alpha1.Route {
	return &xdsv1alpha1.Route{Name: name, Path: path, Methods: methodsOf(methods), Integration: &xdsv1alpha1.Integration{
		Type: "HTTP_PROXY", TimeoutMillis: 29000, Uri: uri,
	}}
}

func backendRoute(name, path, methods, cluster string) *xdsv1alpha1.Route {
	return &xdsv1alpha1.Route{Name: name, Path: path, Methods: methodsOf(methods), Integration: &xdsv1alpha1.Integration{
		Type: "HTTP_PROXY", TimeoutMillis: 29000, Backend: &xdsv1alpha1.Backend{Cluster: cluster},
	}}
}

func endpointsOf(cluster string, addrs ...string) map[string]*endpointv3.ClusterLoadAssignment {
	var lbs []*endpointv3.LbEndpoint
	for _, a := range addrs {
		host, port, _ := net.SplitHostPort(a)
		p, _ := strconv.Atoi(port)
		lbs = append(lbs, &endpointv3.LbEndpoint{
			HealthStatus: corev3.HealthStatus_HEALTHY,
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(p)},
				}}},
			}},
		})
	}
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: cluster}
	if len(lbs) > 0 {
		cla.Endpoints = []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbs}}
	}
	return map[string]*endpointv3.ClusterLoadAssignment{cluster: cla}
}

// echoed is what the echo backend saw.
type echoed struct {
	Server  string      `json:"server"`
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Query   string      `json:"query"`
	Host    string      `json:"host"`
	Header  http.Header `json:"header"`
	BodyLen int         `json:"bodyLen"`
}

// echoServer answers with what it received, as JSON.
func echoServer(t testing.TB, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "backend-id")
		_ = json.NewEncoder(w).Encode(echoed{
			Server: name, Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Host: r.Host, Header: r.Header, BodyLen: int(n),
		})
	}))
	t.Cleanup(s.Close)
	return s
}

func decodeEcho(t testing.TB, w *httptest.ResponseRecorder) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("status %d, body %q: %v", w.Code, w.Body, err)
	}
	return e
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// wantGatewayError checks a gateway response.
func wantGatewayError(t testing.TB, w *httptest.ResponseRecorder, status int, typ, message string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status %d, want %d (body %s)", w.Code, status, w.Body)
	}
	if want := `{"message":` + strconv.Quote(message) + `}`; w.Body.String() != want {
		t.Errorf("body %s, want %s", w.Body, want)
	}
	if got := w.Header().Get("X-Portico-Error-Type"); got != typ {
		t.Errorf("x-portico-error-type %q, want %q", got, typ)
	}
	if w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("content-type %q", w.Header().Get("Content-Type"))
	}
	if !isRequestID(w.Header().Get("X-Request-Id")) {
		t.Errorf("x-request-id %q", w.Header().Get("X-Request-Id"))
	}
}

func isRequestID(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[14] != '4' || s[18] != '-' || s[23] != '-' {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef-", r) }) < 0
}
