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
package integration

import (
	"context"
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

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/router"
)

// recorder is a backend that records the paths it receives.
type recorder struct {
	mu    sync.Mutex
	paths []string
}

func newRecorder(t *testing.T) (*recorder, *httptest.Server) {
	rec := &recorder{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.paths = append(rec.paths, r.URL.EscapedPath())
		rec.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return rec, s
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.paths
	r.paths = nil
	return p
}

// claFor is a cluster of one endpoint at hostPort.
func claFor(name, hostPort string) *endpointv3.ClusterLoadAssignment {
	h, p, _ := net.SplitHostPort(hostPort)
	port, _ := strconv.Atoi(p)
	return &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
		HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{
			SocketAddress: &corev3.SocketAddress{Address: h, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(port)}},
		}}}},
	}}}}}
}

// serve sends one request through an integration built for routePath, as the proxy would:
// matched by the router, with the reqctx the proxy fills.
func serve(t *testing.T, h http.Handler, routePath, stagePath string, header http.Header, authz map[string]string) int {
	t.Helper()
	tree, err := router.New([]router.Route{{Path: routePath, Methods: []string{"ANY"}}})
	if err != nil {
		t.Fatal(err)
	}
	rc := &reqctx.Request{ID: "rid", Stage: "prod", API: "ns/pets", StagePath: stagePath, Path: "/prod" + stagePath, ResourcePath: routePath}
	if tree.Lookup("GET", stagePath, &rc.Params) != router.Found {
		return http.StatusNotFound // the router refuses it already
	}
	if authz != nil {
		rc.Authorizer = reqctx.Authorizer{Authorized: true, PrincipalID: authz["principalId"], Context: authz}
	}
	r := httptest.NewRequest("GET", "http://gw/prod"+stagePath, nil).WithContext(reqctx.With(context.Background(), rc))
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code == http.StatusBadRequest && w.Header().Get("X-Portico-Error-Type") != "BAD_REQUEST_PARAMETERS" {
		t.Errorf("%s: 400 of type %q", stagePath, w.Header().Get("X-Portico-Error-Type"))
	}
	return w.Code
}

// Every source of a backend path value goes through the guard: a refused value answers 400
// BAD_REQUEST_PARAMETERS and the backend never sees the request.
func TestPathGuardPerSource(t *testing.T) {
	rec, backend := newRecorder(t)
	host := strings.TrimPrefix(backend.URL, "http://")
	s := NewShared(Shared{})
	build := func(routePath string, in *xdsv1alpha1.Integration, vars map[string]string, params map[string]bool) http.Handler {
		h, warning, err := s.Build(Spec{Integration: in, Params: params, Variables: vars,
			Clusters: NewClusters(map[string]*endpointv3.ClusterLoadAssignment{"ns/b:80": claFor("ns/b:80", host)}, nil, time.Now, 0)})
		if err != nil || warning != nil {
			t.Fatalf("%s: %v %v", routePath, err, warning)
		}
		return h
	}
	one := map[string]bool{"id": false}
	greedy := map[string]bool{"proxy": true}
	fromHeader := build("/pets/{id}", &xdsv1alpha1.Integration{Type: "HTTP", Uri: backend.URL + "/api/{id}",
		RequestParameters: map[string]string{"path.id": "$request.header.x-id"}}, nil, one)
	fromQuery := build("/pets/{id}", &xdsv1alpha1.Integration{Type: "HTTP", Uri: backend.URL + "/api/{id}",
		RequestParameters: map[string]string{"path.id": "$request.querystring.id"}}, nil, one)
	fromContext := build("/pets/{id}", &xdsv1alpha1.Integration{Type: "HTTP", Uri: backend.URL + "/api/{id}",
		RequestParameters: map[string]string{"path.id": "$context.authorizer.tenant"}}, nil, one)
	fromGreedyHeader := build("/files/{proxy+}", &xdsv1alpha1.Integration{Type: "HTTP", Uri: backend.URL + "/store/{proxy}",
		RequestParameters: map[string]string{"path.proxy": "$request.header.x-path"}}, nil, greedy)
	param := build("/pets/{id}", &xdsv1alpha1.Integration{Type: "HTTP_PROXY", Uri: "http://${stageVariables.b}/api/{id}"}, map[string]string{"b": host}, one)
	greedyParam := build("/files/{proxy+}", &xdsv1alpha1.Integration{Type: "HTTP_PROXY", Uri: backend.URL + "/store/{proxy}"}, nil, greedy)
	cluster := build("/files/{proxy+}", &xdsv1alpha1.Integration{Type: "HTTP_PROXY", Backend: &xdsv1alpha1.Backend{Cluster: "ns/b:80"}}, nil, greedy)
	lambda := build("/pets/{id}", &xdsv1alpha1.Integration{Type: "LAMBDA_PROXY", Uri: backend.URL + "/fn/{id}"}, nil, one)

	h := func(k, v string) http.Header { return http.Header{k: {v}} }
	for _, c := range []struct {
		name      string
		h         http.Handler
		route     string
		path      string
		header    http.Header
		authz     map[string]string
		status    int
		backendAt string
	}{
		{"param", param, "/pets/{id}", "/pets/7", nil, nil, 200, "/api/7"},
		{"param ..;", param, "/pets/{id}", "/pets/..;", nil, nil, 400, ""},
		{"param %5C", param, "/pets/{id}", "/pets/..%5C..%5Cadmin", nil, nil, 400, ""},
		{"param backslash", param, "/pets/{id}", `/pets/a\b`, nil, nil, 400, ""},
		{"param %2F", param, "/pets/{id}", "/pets/..%2Fadmin", nil, nil, 400, ""},
		{"param %252F", param, "/pets/{id}", "/pets/a%252Fb", nil, nil, 400, ""},
		{"param %252e%252e", param, "/pets/{id}", "/pets/%252e%252e", nil, nil, 400, ""},
		{"param NUL", param, "/pets/{id}", "/pets/a%00", nil, nil, 400, ""},
		{"param %2e%2e finds no route", param, "/pets/{id}", "/pets/%2e%2e", nil, nil, 404, ""},
		{"greedy", greedyParam, "/files/{proxy+}", "/files/a/b%20c.txt", nil, nil, 200, "/store/a/b%20c.txt"},
		{"greedy ..;", greedyParam, "/files/{proxy+}", "/files/a/..;/admin", nil, nil, 400, ""},
		{"greedy %2F", greedyParam, "/files/{proxy+}", "/files/a%2F..%2F..%2Fadmin", nil, nil, 404, ""},
		{"greedy %2f in a segment", greedyParam, "/files/{proxy+}", "/files/a%2fb", nil, nil, 400, ""},
		{"greedy %5c", greedyParam, "/files/{proxy+}", "/files/..%5c..%5cadmin", nil, nil, 400, ""},
		{"cluster", cluster, "/files/{proxy+}", "/files/a/b", nil, nil, 200, "/files/a/b"},
		{"cluster ..;", cluster, "/files/{proxy+}", "/files/..;/admin", nil, nil, 400, ""},
		{"cluster %5C", cluster, "/files/{proxy+}", "/files/a%5C..", nil, nil, 400, ""},
		{"header", fromHeader, "/pets/{id}", "/pets/7", h("X-Id", "8"), nil, 200, "/api/8"},
		{"header ..", fromHeader, "/pets/{id}", "/pets/7", h("X-Id", ".."), nil, 400, ""},
		{"header ../admin", fromHeader, "/pets/{id}", "/pets/7", h("X-Id", "../admin"), nil, 400, ""},
		{"header %2e%2e", fromHeader, "/pets/{id}", "/pets/7", h("X-Id", "%2e%2e"), nil, 400, ""},
		{"header backslash", fromHeader, "/pets/{id}", "/pets/7", h("X-Id", `..\admin`), nil, 400, ""},
		{"query ..", fromQuery, "/pets/{id}", "/pets/7?id=..", nil, nil, 400, ""},
		{"query ..;", fromQuery, "/pets/{id}", "/pets/7?id=..%3B", nil, nil, 400, ""},
		{"query %2F", fromQuery, "/pets/{id}", "/pets/7?id=a%2Fb", nil, nil, 400, ""},
		{"query ok", fromQuery, "/pets/{id}", "/pets/7?id=9", nil, nil, 200, "/api/9"},
		{"context ..", fromContext, "/pets/{id}", "/pets/7", nil, map[string]string{"tenant": ".."}, 400, ""},
		{"context ok", fromContext, "/pets/{id}", "/pets/7", nil, map[string]string{"tenant": "t1"}, 200, "/api/t1"},
		{"greedy header", fromGreedyHeader, "/files/{proxy+}", "/files/x", h("X-Path", "a/b"), nil, 200, "/store/a/b"},
		{"greedy header ..", fromGreedyHeader, "/files/{proxy+}", "/files/x", h("X-Path", "a/../../admin"), nil, 400, ""},
		{"lambda param ..;", lambda, "/pets/{id}", "/pets/..;", nil, nil, 400, ""},
	} {
		got := serve(t, c.h, c.route, c.path, c.header, c.authz)
		seen := rec.take()
		if got != c.status {
			t.Errorf("%s: %s answered %d, want %d (backend saw %v)", c.name, c.path, got, c.status, seen)
			continue
		}
		if c.backendAt == "" && len(seen) > 0 {
			t.Errorf("%s: the backend saw %v", c.name, seen)
		}
		if c.backendAt != "" && (len(seen) != 1 || seen[0] != c.backendAt) {
			t.Errorf("%s: the backend saw %v, want %s", c.name, seen, c.backendAt)
		}
	}
}

// A stage variable in the path goes through the guard when it is bound: the route answers 502
// with a build warning, as any bad stage variable value does, and never reaches the backend.
func TestPathGuardStageVariable(t *testing.T) {
	s := NewShared(Shared{})
	for _, v := range []string{"..", "a/../../admin", "%2e%2e", "..;", `a\b`} {
		_, warning, err := s.Build(Spec{Integration: &xdsv1alpha1.Integration{Type: "HTTP", Uri: "http://h/${stageVariables.p}/x"}, Variables: map[string]string{"p": v}})
		if err != nil || warning == nil {
			t.Errorf("%q: warning %v, error %v", v, warning, err)
		}
	}
	for _, uri := range []string{"http://{id}/x", "http://h:{id}/", "http://${stageVariables.env}.example.com/"} {
		if _, _, err := s.Build(Spec{Integration: &xdsv1alpha1.Integration{Type: "HTTP", Uri: uri}, Params: map[string]bool{"id": false}}); err == nil {
			t.Errorf("%s built", uri)
		}
	}
}

// A uri without parameters is parsed once, at build: each request gets a copy, whose query
// string is its own.
func TestStaticURIIsCopiedPerRequest(t *testing.T) {
	tg, err := newTarget(&xdsv1alpha1.Integration{Type: TypeHTTPProxy, Uri: "http://orders.test/v2/orders?src=gw"}, Spec{})
	if err != nil || tg.static == nil {
		t.Fatalf("static uri not parsed at build: %v", err)
	}
	for _, q := range []string{"page=1", "page=2", ""} {
		r := httptest.NewRequest("GET", "/prod/orders?"+q, nil)
		u, _, err := tg.resolve(r, &reqctx.Request{}, nil, false)
		want := "http://orders.test/v2/orders?src=gw"
		if q != "" {
			want += "&" + q
		}
		if err != nil || u.String() != want {
			t.Errorf("query %q: %v, %v; want %s", q, u, err, want)
		}
	}
	if tg.static.String() != "http://orders.test/v2/orders?src=gw" {
		t.Errorf("the shared URL changed: %s", tg.static)
	}
}
