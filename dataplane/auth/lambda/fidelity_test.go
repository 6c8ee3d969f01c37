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
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
)

const invocations = "/2015-03-31/functions/function/invocations"

func loadAssignment(name, addr string) *endpointv3.ClusterLoadAssignment {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
		LbEndpoints: []*endpointv3.LbEndpoint{{
			HealthStatus: corev3.HealthStatus_HEALTHY,
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(p)},
				}}},
			}},
		}},
	}}}
}

// TestEventsAsAWSTypes: REQUEST authorizers reached through backendRef.path, their events
// decoded into aws-lambda-go's types, and their typed context reaching a Lambda
// integration's 1.0 and 2.0 events with its JSON types.
func TestEventsAsAWSTypes(t *testing.T) {
	for _, version := range []string{"1.0", "2.0"} {
		t.Run(version, func(t *testing.T) {
			paths := make(chan string, 1)
			a := newAuthz(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
				paths <- r.URL.Path
				answerJSON(policyAnswer("Allow", arnPrefix+"*"))(w, r, nil)
			})
			fnEvents := make(chan []byte, 1)
			fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				fnEvents <- b
				_, _ = io.WriteString(w, `{"statusCode":200,"body":"ok"}`)
			}))
			t.Cleanup(fn.Close)

			az := &xdsv1alpha1.Authorizer{
				Name: "authz", Type: "REQUEST", IdentitySources: []string{"$request.header.HeaderAuth1"},
				Function: &xdsv1alpha1.AuthorizerFunction{
					Backend: &xdsv1alpha1.Backend{Cluster: "shop/authz:80", Path: invocations}, TimeoutMillis: 2000, PayloadFormatVersion: version,
				},
			}
			route := &xdsv1alpha1.Route{
				Name: "pet", Path: "/pets/{proxy+}", Methods: []string{"ANY"},
				Authorization: &xdsv1alpha1.Authorization{Authorizer: "authz"},
				Integration:   &xdsv1alpha1.Integration{Type: "LAMBDA_PROXY", TimeoutMillis: 29000, Uri: fn.URL, PayloadFormatVersion: version},
			}
			api := &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{route}, Authorizers: []*xdsv1alpha1.Authorizer{az}}
			stage := &xdsv1alpha1.StageSnapshot{Key: "shop/prod", Namespace: "shop", StageName: "prod", RestApi: "pets", Api: api}
			gw := proxy.New(proxy.Options{Steps: []proxy.Step{NewStep(Options{})}, AccessLog: io.Discard})
			eps := map[string]*endpointv3.ClusterLoadAssignment{"shop/authz:80": loadAssignment("shop/authz:80", a.Listener.Addr().String())}
			if err := gw.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{stage.GetKey(): stage}, Endpoints: eps}); err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "http://api.example.com/prod/pets/7", nil)
			r.Header.Set("HeaderAuth1", "headerValue1")
			w := httptest.NewRecorder()
			gw.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("%d %q", w.Code, w.Body)
			}
			if p := <-paths; p != invocations {
				t.Errorf("authorizer called on %q", p)
			}
			raw, _ := json.Marshal(a.Last())
			fnEvent := <-fnEvents
			if version == "1.0" {
				var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				rc := ev.RequestContext
				if ev.Type != "REQUEST" || rc.AccountID != "shop" || rc.APIID != "pets" || rc.ResourceID != "pet" ||
					ev.PathParameters["proxy"] != "7" || ev.Headers["Headerauth1"]+ev.Headers["HeaderAuth1"] != "headerValue1" {
					t.Errorf("authorizer event %s", raw)
				}
				var fe events.APIGatewayProxyRequest
				if err := json.Unmarshal(fnEvent, &fe); err != nil {
					t.Fatal(err)
				}
				au := fe.RequestContext.Authorizer
				if fe.RequestContext.AccountID != rc.AccountID || fe.RequestContext.APIID != rc.APIID ||
					au["principalId"] != "user-1" || au["count"] != float64(3) || au["admin"] != false || au["tier"] != "gold" {
					t.Errorf("function event %s", fnEvent)
				}
				return
			}
			var ev events.APIGatewayV2CustomAuthorizerV2Request
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			rc := ev.RequestContext
			if ev.Type != "REQUEST" || ev.RouteKey != "ANY /pets/{proxy+}" || rc.RouteKey != "ANY /pets/{proxy+}" ||
				rc.AccountID != "shop" || rc.APIID != "pets" || rc.DomainPrefix != "api" || ev.Headers["headerauth1"] != "headerValue1" ||
				len(ev.IdentitySource) != 1 || ev.IdentitySource[0] != "headerValue1" {
				t.Errorf("authorizer event %s", raw)
			}
			var fe events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(fnEvent, &fe); err != nil {
				t.Fatal(err)
			}
			l := fe.RequestContext.Authorizer.Lambda
			if fe.RequestContext.AccountID != rc.AccountID || fe.RequestContext.APIID != rc.APIID ||
				l["count"] != float64(3) || l["admin"] != false || l["tier"] != "gold" {
				t.Errorf("function event %s", fnEvent)
			}
		})
	}
}
