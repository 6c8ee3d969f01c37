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
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	authorizers "github.com/portico-dev/portico/dataplane/auth/lambda"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// TestAWSRequestAuthorizerExample: AWS's own REQUEST authorizer example, written with
// aws-lambda-go and run unchanged under the emulator, in front of a payload 1.0 function,
// served over a real HTTP/1.1 connection. It reads headers["HeaderAuth1"] by the client's
// spelling, which net/http alone would have turned into "Headerauth1".
func TestAWSRequestAuthorizerExample(t *testing.T) {
	rie := emulator(t)
	authz, fn := startFunction(t, rie, "authorizer"), startFunction(t, rie, "handler")

	az := &xdsv1alpha1.Authorizer{
		Name: "aws-example", Type: "REQUEST",
		IdentitySources: []string{"method.request.header.HeaderAuth1", "method.request.querystring.QueryString1", "stageVariables.StageVar1"},
		Function: &xdsv1alpha1.AuthorizerFunction{
			Backend: &xdsv1alpha1.Backend{Cluster: "shop/authz:8080", Path: invocations}, TimeoutMillis: 10000,
		},
	}
	route := &xdsv1alpha1.Route{Name: "pets", Path: "/pets/{proxy+}", Methods: []string{"ANY"},
		Authorization: &xdsv1alpha1.Authorization{Authorizer: "aws-example"},
		Integration: &xdsv1alpha1.Integration{Type: "LAMBDA_PROXY", TimeoutMillis: 29000, PayloadFormatVersion: "1.0",
			Backend: &xdsv1alpha1.Backend{Cluster: "shop/fn:8080", Path: invocations}}}
	stage := &xdsv1alpha1.StageSnapshot{Key: "shop/prod", Namespace: "shop", StageName: "prod", RestApi: "petstore",
		Variables: map[string]string{"StageVar1": "stageValue1"},
		Api:       &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{route}, Authorizers: []*xdsv1alpha1.Authorizer{az}}}
	gw := proxy.New(proxy.Options{Steps: []proxy.Step{authorizers.NewStep(authorizers.Options{})}, AccessLog: io.Discard})
	err := gw.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{stage.GetKey(): stage}, Endpoints: map[string]*endpointv3.ClusterLoadAssignment{
		"shop/authz:8080": loadAssignment("shop/authz:8080", authz), "shop/fn:8080": loadAssignment("shop/fn:8080", fn),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !gw.WantsHeaderNames() {
		t.Fatal("a 1.0 REQUEST authorizer does not ask for header names")
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := proxy.NewServer(proxy.ServerOptions{Handler: gw})
	go func() { _ = srv.Serve(lis) }() // as `portico proxy`: the HTTP/1.x server keeps header names itself
	t.Cleanup(func() { _ = srv.Close() })
	client := &http.Client{Timeout: 30 * time.Second}

	call := func(header, value, query string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+lis.Addr().String()+"/prod/pets/7?"+query, nil)
		// Set without canonicalization: the client sends the name as written.
		req.Header[header] = []string{value}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if strings.Contains(string(b), "Unauthorized") == (res.StatusCode == 201) {
			t.Errorf("%d %q", res.StatusCode, b)
		}
		return res.StatusCode
	}
	if got := call("HeaderAuth1", "headerValue1", "QueryString1=queryValue1"); got != 201 {
		t.Errorf("the example's request: %d, want 201 (allowed)", got)
	}
	if got := call("HeaderAuth1", "wrong", "QueryString1=queryValue1"); got != 401 {
		t.Errorf("a wrong header value: %d, want 401", got)
	}
	if got := call("HeaderAuth1", "headerValue1", "QueryString1=wrong"); got != 401 {
		t.Errorf("a wrong query value: %d, want 401", got)
	}
	// Spelled otherwise by the client, the header is under that spelling, as in AWS, where
	// this example denies it too.
	if got := call("headerauth1", "headerValue1", "QueryString1=queryValue1"); got != 401 {
		t.Errorf("another spelling: %d, want 401", got)
	}
}
