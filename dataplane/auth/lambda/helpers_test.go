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

package lambda

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// authz is a test authorizer service: it counts calls, keeps the last event, and answers
// with answer.
type authz struct {
	*httptest.Server
	calls  atomic.Int32
	mu     sync.Mutex
	last   map[string]any
	answer func(w http.ResponseWriter, r *http.Request, event map[string]any)
}

func newAuthz(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, event map[string]any)) *authz {
	a := &authz{answer: answer}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil || r.Method != http.MethodPost ||
			r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.last = ev
		a.mu.Unlock()
		a.answer(w, r, ev)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *authz) Calls() int { return int(a.calls.Load()) }

func (a *authz) Last() map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// answerJSON answers v as JSON.
func answerJSON(v any) func(http.ResponseWriter, *http.Request, map[string]any) {
	return func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
}

// policyAnswer is a 1.0 answer with one statement.
func policyAnswer(effect string, resource any) map[string]any {
	return map[string]any{
		"principalId": "user-1",
		"policyDocument": map[string]any{
			"Version":   "2012-10-17",
			"Statement": []any{map[string]any{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}},
		},
		"context": map[string]any{"tier": "gold", "count": 3, "admin": false},
	}
}

const arnPrefix = "arn:aws:execute-api:us-east-1:shop:pets/prod/"

// tokenAuthorizer is a TOKEN authorizer calling uri.
func tokenAuthorizer(uri string, ttl int32) *xdsv1alpha1.Authorizer {
	return &xdsv1alpha1.Authorizer{
		Name: "authz", Type: "TOKEN", IdentitySources: []string{"$request.header.Authorization"},
		ResultTtlSeconds: ttl,
		Function:         &xdsv1alpha1.AuthorizerFunction{Uri: uri, TimeoutMillis: 2000, PayloadFormatVersion: "1.0"},
	}
}

// routeFor is a route of the "pets" API in namespace "shop", stage "prod", guarded by az.
func routeFor(az *xdsv1alpha1.Authorizer) *proxy.Route {
	return &proxy.Route{
		Stage: &xdsv1alpha1.StageSnapshot{Key: "shop/prod", Namespace: "shop", StageName: "prod", RestApi: "pets"},
		API:   &xdsv1alpha1.Api{Authorizers: []*xdsv1alpha1.Authorizer{az}},
		Route: &xdsv1alpha1.Route{
			Name: "pet", Path: "/pets/{petId}", Methods: []string{"ANY"},
			Authorization: &xdsv1alpha1.Authorization{Authorizer: az.GetName()},
		},
		Variant:   proxy.VariantStable,
		Variables: map[string]string{"env": "test"},
	}
}

// env is a built handler and what its next handler saw.
type env struct {
	lastRC  *reqctx.Request // the last request's, once served
	t       *testing.T
	h       http.Handler
	clock   *fakeClock
	reached atomic.Int32
	mu      sync.Mutex
	got     reqctx.Authorizer
}

func newEnv(t *testing.T, rt *proxy.Route, opts Options) *env {
	t.Helper()
	e := &env{t: t, clock: newClock()}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	e.build(NewStep(opts), rt)
	return e
}

func (e *env) build(step proxy.Step, rt *proxy.Route) {
	e.t.Helper()
	h, err := step(rt, e.next())
	if err != nil {
		e.t.Fatalf("building the step: %v", err)
	}
	e.h = h
}

func (e *env) next() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.reached.Add(1)
		e.mu.Lock()
		e.got = reqctx.From(r.Context()).Authorizer
		e.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
}

func (e *env) authorizer() reqctx.Authorizer {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got
}

// do sends method path (under the stage) with headers given as name, value pairs.
func (e *env) do(method, target string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.doCtx(context.Background(), method, target, headers...)
}

// doCtx is do with the client's context.
func (e *env) doCtx(ctx context.Context, method, target string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequestWithContext(ctx, method, "http://pets.example.com/prod"+target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	stagePath := r.URL.EscapedPath()[len("/prod"):]
	rc := &reqctx.Request{
		ID: "req-" + strconv.Itoa(int(e.reached.Load())), Start: e.clock.Now(), SourceIP: "10.1.2.3",
		Host: "pets.example.com", Path: r.URL.EscapedPath(), StagePath: stagePath,
		Stage: "prod", StageKey: "shop/prod", API: "shop/pets", Variant: proxy.VariantStable,
		Variables: map[string]string{"env": "test"}, RouteName: "pet", ResourcePath: "/pets/{petId}",
	}
	r = r.WithContext(reqctx.With(r.Context(), rc))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	e.mu.Lock()
	e.lastRC = rc
	e.mu.Unlock()
	return w
}

func expectStatus(t *testing.T, w *httptest.ResponseRecorder, status int, errorType string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d (%s), want %d", w.Code, w.Body.String(), status)
	}
	if got := w.Header().Get("X-Portico-Error-Type"); got != errorType {
		t.Fatalf("error type %q, want %q", got, errorType)
	}
}

func expectCalls(t *testing.T, a *authz, n int) {
	t.Helper()
	if got := a.Calls(); got != n {
		t.Fatalf("the function was called %d times, want %d", got, n)
	}
}

// clusterOf is a cluster of the given "host:port" endpoints.
func clusterOf(t *testing.T, name string, addrs ...string) *integration.Clusters {
	t.Helper()
	var lbs []*endpointv3.LbEndpoint
	for _, addr := range addrs {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := strconv.Atoi(port)
		lbs = append(lbs, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
				Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(p)},
			}}},
		}}})
	}
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbs}}}
	return integration.NewClusters(map[string]*endpointv3.ClusterLoadAssignment{name: cla}, nil, time.Now, 0)
}

// deadAddr is an address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}
