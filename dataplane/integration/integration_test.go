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
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

func cla(name string, addrs ...string) *endpointv3.ClusterLoadAssignment {
	out := &endpointv3.ClusterLoadAssignment{ClusterName: name}
	var lbs []*endpointv3.LbEndpoint
	for i, a := range addrs {
		health := corev3.HealthStatus_HEALTHY
		if i == 0 && a == "10.0.0.99" {
			health = corev3.HealthStatus_UNHEALTHY
		}
		lbs = append(lbs, &endpointv3.LbEndpoint{
			HealthStatus: health,
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: a, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 80},
				}}},
			}},
		})
	}
	out.Endpoints = []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbs}}
	return out
}

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

func TestClusters(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1000, 0)}
	cs := NewClusters(map[string]*endpointv3.ClusterLoadAssignment{
		"ns/a:80": cla("ns/a:80", "10.0.0.99", "10.0.0.3", "10.0.0.1", "10.0.0.2", "::1"),
		"ns/e:80": {ClusterName: "ns/e:80"},
	}, nil, clk.Now, time.Second)
	a := cs.Get("ns/a:80")
	if a.Len() != 4 || cs.Get("ns/e:80").Len() != 0 || cs.Get("nope") != nil || cs.Get("ns/e:80").Pick() != nil {
		t.Fatalf("clusters: %d endpoints", a.Len())
	}
	seen := map[string]int{}
	for range 400 {
		seen[a.Pick().Addr]++
	}
	for _, addr := range []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "[::1]:80"} {
		if seen[addr] != 100 {
			t.Errorf("round robin: %v", seen)
		}
	}

	// An ejected endpoint is skipped until the ejection time has passed.
	dead := a.Lookup("10.0.0.2:80")
	a.Eject(dead)
	clear(seen)
	for range 300 {
		seen[a.Pick().Addr]++
	}
	if seen["10.0.0.2:80"] != 0 || seen["10.0.0.1:80"] != 100 || seen["10.0.0.3:80"] != 100 || seen["[::1]:80"] != 100 {
		t.Errorf("with one ejected: %v", seen)
	}
	if o := a.PickOther(dead); o == nil || o == dead {
		t.Errorf("PickOther: %v", o)
	}

	// Endpoint state and the round-robin position survive a new configuration.
	cs2 := NewClusters(map[string]*endpointv3.ClusterLoadAssignment{"ns/a:80": cla("ns/a:80", "10.0.0.2", "10.0.0.4")}, cs, clk.Now, time.Second)
	a2 := cs2.Get("ns/a:80")
	if !a2.Ejected(a2.Lookup("10.0.0.2:80")) {
		t.Error("ejection lost across configurations")
	}
	clk.Add(time.Second + time.Millisecond)
	if a2.Ejected(a2.Lookup("10.0.0.2:80")) {
		t.Error("still ejected after the ejection time")
	}

	// All ejected: traffic goes on rather than nowhere.
	for _, addr := range []string{"10.0.0.2:80", "10.0.0.4:80"} {
		a2.Eject(a2.Lookup(addr))
	}
	if a2.Pick() == nil || a2.PickOther(a2.Lookup("10.0.0.2:80")) != nil {
		t.Error("all ejected")
	}
}

func TestMappings(t *testing.T) {
	ms, err := compileMappings(map[string]string{
		"header.x-user":       "$context.authorizer.principalId",
		"header.x-claim":      "$context.authorizer.sub",
		"header.x-static":     "'fixed'",
		"header.x-stage-var":  "$stageVariables.tier",
		"header.x-from-query": "$request.querystring.q",
		"header.x-from-hdr":   "$request.header.X-In",
		"header.x-id":         "$context.requestId",
		"header.x-ip":         "$context.identity.sourceIp",
		"header.x-method":     "$context.httpMethod",
		"header.x-stage":      "$context.stage",
		"header.x-route":      "$context.routeKey",
		"header.x-account":    "$context.accountId",
		"querystring.petId":   "$request.path.petId",
		"querystring.gone":    "$request.header.x-absent",
		"path.petId":          "'42'",
	}, map[string]string{"tier": "gold"}, map[string]bool{"petId": false})
	if err != nil {
		t.Fatal(err)
	}
	in := httptest.NewRequest("POST", "/prod/pets/7?q=search&gone=1", nil)
	in.Header.Set("X-In", "hdr")
	in.Header.Set("X-User", "spoofed")
	rc := &reqctx.Request{ID: "rid", SourceIP: "192.0.2.9", Stage: "prod", API: "shop/pets", ResourcePath: "/pets/{petId}"}
	out := in.Clone(in.Context())
	ms.apply(out, in, rc)
	want := map[string]string{
		"X-User": "", "X-Claim": "", "X-Static": "fixed", "X-Stage-Var": "gold", "X-From-Query": "search",
		"X-From-Hdr": "hdr", "X-Id": "rid", "X-Ip": "192.0.2.9", "X-Method": "POST", "X-Stage": "prod",
		"X-Route": "POST /pets/{petId}", "X-Account": "shop",
	}
	for k, v := range want {
		if got := out.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if _, ok := out.Header["X-User"]; ok {
		t.Error("an empty mapping left the client's header")
	}
	if out.URL.Query().Get("gone") != "" || out.URL.Query().Get("q") != "search" {
		t.Errorf("query %s", out.URL.RawQuery)
	}
	if o, err := ms.pathOverrides(in, rc); err != nil || o["petId"] != "42" {
		t.Errorf("path overrides %v", o)
	}

	rc.Authorizer = reqctx.Authorizer{Authorized: true, PrincipalID: "alice", Context: map[string]string{"sub": "a1"}}
	out = in.Clone(in.Context())
	ms.apply(out, in, rc)
	if out.Header.Get("X-User") != "alice" || out.Header.Get("X-Claim") != "a1" {
		t.Errorf("authorizer values: %v", out.Header)
	}

	for _, bad := range []map[string]string{
		{"header.x": "$context.nope"}, {"cookie.x": "'a'"}, {"header.": "'a'"}, {"header.x": "'open"},
		{"header.x": "$request.path.nope"}, {"header.x": "plain"}, {"header.bad name": "'a'"}, {"header.x": "$request.header."},
		{"path.petId": "'..'"}, {"path.petId": "'a/b'"},
	} {
		if _, err := compileMappings(bad, nil, map[string]bool{"petId": false}); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	s := NewShared(Shared{})
	for name, in := range map[string]*xdsv1alpha1.Integration{
		"nil mock":        {Type: "MOCK"},
		"mock status":     {Type: "MOCK", Mock: &xdsv1alpha1.Mock{StatusCode: 99}},
		"mock header":     {Type: "MOCK", Mock: &xdsv1alpha1.Mock{Headers: map[string]string{"a b": "c"}}},
		"unknown type":    {Type: "AWS"},
		"neither":         {Type: "HTTP_PROXY"},
		"both":            {Type: "HTTP_PROXY", Uri: "http://h/", Backend: &xdsv1alpha1.Backend{Cluster: "c"}},
		"empty cluster":   {Type: "HTTP_PROXY", Backend: &xdsv1alpha1.Backend{}},
		"bad template":    {Type: "HTTP", Uri: "http://h/{nope}"},
		"bad mapping":     {Type: "HTTP", Uri: "http://h/", RequestParameters: map[string]string{"x": "y"}},
		"lambda version":  {Type: "LAMBDA_PROXY", Uri: "http://h/", PayloadFormatVersion: "3.0"},
		"negative timout": {Type: "HTTP", Uri: "http://h/", TimeoutMillis: -1},
	} {
		if _, _, err := s.Build(Spec{Integration: in}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, err := s.Build(Spec{}); err == nil {
		t.Error("no integration: no error")
	}
	h, warning, err := s.Build(Spec{Integration: &xdsv1alpha1.Integration{Type: "HTTP_PROXY", Uri: "http://${stageVariables.host}/"}})
	if err != nil || warning == nil || h == nil {
		t.Errorf("unbound variable: handler %v, warning %v, error %v", h, warning, err)
	}
}

func TestParseLambdaResponse(t *testing.T) {
	cases := []struct {
		payload, version string
		status           int
		headers          map[string][]string
		body             string
		fails            bool
	}{
		{`{"statusCode":201,"headers":{"X-A":"1","n":5},"multiValueHeaders":{"X-B":["1","2"]},"body":"hi"}`, "1.0", 201,
			map[string][]string{"X-A": {"1"}, "N": {"5"}, "X-B": {"1", "2"}, "Content-Type": {"application/json"}}, "hi", false},
		// A REST (1.0) answer names its own Content-Type, else it is JSON, as in AWS.
		{`{"statusCode":200,"headers":{"content-type":"text/html"},"body":"<p>"}`, "1.0", 200,
			map[string][]string{"Content-Type": {"text/html"}}, "<p>", false},
		{`{"statusCode":200,"body":"aGVsbG8=","isBase64Encoded":true,"cookies":["a=1","b=2"]}`, "2.0", 200,
			map[string][]string{"Set-Cookie": {"a=1", "b=2"}}, "hello", false},
		{`{"hello":"world"}`, "2.0", 200, map[string][]string{"Content-Type": {"application/json"}}, `{"hello":"world"}`, false},
		// Each format its own fields (2.0 has no multiValueHeaders, 1.0 no cookies), and a
		// value in both header maps once, whatever the name's spelling.
		{`{"statusCode":200,"multiValueHeaders":{"X-M":["1"]},"cookies":["c=1"]}`, "2.0", 200,
			map[string][]string{"Set-Cookie": {"c=1"}}, "", false},
		{`{"statusCode":200,"headers":{"x-a":"m1"},"multiValueHeaders":{"X-A":["m1","m2"]},"cookies":["c=1"]}`, "1.0", 200,
			map[string][]string{"X-A": {"m1", "m2"}, "Content-Type": {"application/json"}}, "", false},
		// AWS's inferred 2.0 response: a function returning a string answers its text.
		{`"just a string"`, "2.0", 200, map[string][]string{"Content-Type": {"application/json"}}, `just a string`, false},
		{`[1,2]`, "2.0", 200, nil, `[1,2]`, false},
		{`{"hello":"world"}`, "1.0", 0, nil, "", true},
		{`not json`, "2.0", 0, nil, "", true},
		{`{"statusCode":700}`, "2.0", 0, nil, "", true},
		{`{"statusCode":200,"body":"!!","isBase64Encoded":true}`, "2.0", 0, nil, "", true},
		{`{"statusCode":200,"headers":{"X-A":"a\nb"}}`, "2.0", 0, nil, "", true},
		{`{"statusCode":200,"headers":{"X-A":{"o":1}}}`, "2.0", 0, nil, "", true},
		// A statusCode as a string of digits, as AWS's own blueprints answer it.
		{`{"statusCode":"201","body":"s"}`, "1.0", 201, nil, "s", false},
		{`{"statusCode":"200"}`, "2.0", 200, nil, "", false},
		{`{"statusCode":"ok"}`, "2.0", 0, nil, "", true},
		{`{"statusCode":"99"}`, "1.0", 0, nil, "", true},
		// A 1xx is no final answer (sent, 100 would precede whatever came next; 101 would
		// switch the connection to nothing).
		{`{"statusCode":100}`, "1.0", 0, nil, "", true},
		{`{"statusCode":"101"}`, "2.0", 0, nil, "", true},
	}
	for _, c := range cases {
		r, err := parseLambdaResponse([]byte(c.payload), c.version)
		if c.fails {
			if err == nil {
				t.Errorf("%s: no error", c.payload)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.payload, err)
			continue
		}
		if r.status != c.status || string(r.body) != c.body {
			t.Errorf("%s: %d %q", c.payload, r.status, r.body)
		}
		for k, v := range c.headers {
			if got := r.headers.Values(k); len(got) != len(v) || (len(v) > 0 && got[0] != v[0]) {
				t.Errorf("%s: header %s = %v, want %v", c.payload, k, got, v)
			}
		}
	}
}

func TestIsBinary(t *testing.T) {
	types := []string{"image/png", "application/*"}
	for ct, want := range map[string]bool{
		"image/png": true, "image/png; q=1": true, "application/octet-stream": true, "text/plain": false, "": false, "image/gif": false, ";;": false,
	} {
		if isBinary(ct, types) != want {
			t.Errorf("%q: %v", ct, !want)
		}
	}
	if !isBinary("text/plain", []string{"*/*"}) {
		t.Error("*/*")
	}
}
