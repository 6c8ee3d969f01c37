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
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"sigs.k8s.io/yaml"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/testkit"
)

func TestApplyInvalidKeepsServing(t *testing.T) {
	good := func() *xdsv1alpha1.StageSnapshot {
		return stageOf("prod", "prod", apiOf(nil, mockRoute("r", "/pets", "GET", "v1")))
	}
	f := newFixture(t, Options{})
	f.apply(t, good())

	invalid := map[string]func(s *xdsv1alpha1.StageSnapshot){
		"unknown integration": func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes[0].Integration.Type = "AWS" },
		"malformed path":      func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes[0].Path = "/a/{b+}/c" },
		"empty path":          func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes[0].Path = "" },
		"bad template": func(s *xdsv1alpha1.StageSnapshot) {
			s.Api.Routes = append(s.Api.Routes, uriRoute("t", "/t", "GET", "http://h/{nope}"))
		},
		"duplicate route": func(s *xdsv1alpha1.StageSnapshot) {
			s.Api.Routes = append(s.Api.Routes, mockRoute("r2", "/pets", "GET,POST", "dup"))
		},
		"duplicate route name": func(s *xdsv1alpha1.StageSnapshot) {
			s.Api.Routes = append(s.Api.Routes, mockRoute("r", "/other", "GET", "dup"))
		},
		"unknown method": func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes[0].Methods = []string{"FETCH"} },
		"unknown authorizer type": func(s *xdsv1alpha1.StageSnapshot) {
			s.Api.Authorizers = []*xdsv1alpha1.Authorizer{{Name: "a", Type: "OAUTH"}}
		},
		"unknown authorizer": func(s *xdsv1alpha1.StageSnapshot) {
			s.Api.Routes[0].Authorization = &xdsv1alpha1.Authorization{Authorizer: "nope"}
		},
		"gateway response type": func(s *xdsv1alpha1.StageSnapshot) {
			s.Api.GatewayResponses = map[string]*xdsv1alpha1.GatewayResponse{"TEAPOT": {StatusCode: 418}}
		},
		"canary percent": func(s *xdsv1alpha1.StageSnapshot) {
			s.Canary = &xdsv1alpha1.Canary{PercentTraffic: 120}
		},
		"canary NaN": func(s *xdsv1alpha1.StageSnapshot) {
			s.Canary = &xdsv1alpha1.Canary{PercentTraffic: math.NaN()}
		},
		"canary api": func(s *xdsv1alpha1.StageSnapshot) {
			s.Canary = &xdsv1alpha1.Canary{PercentTraffic: 5, Api: apiOf(nil, mockRoute("r", "/{a}/{a}", "GET", ""))}
		},
		"stage name":     func(s *xdsv1alpha1.StageSnapshot) { s.StageName = "a/b" },
		"empty stage":    func(s *xdsv1alpha1.StageSnapshot) { s.StageName = "" },
		"no api":         func(s *xdsv1alpha1.StageSnapshot) { s.Api = nil },
		"protocol":       func(s *xdsv1alpha1.StageSnapshot) { s.Api.Protocol = "GRPC" },
		"mock":           func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes[0].Integration.Mock = nil },
		"no integration": func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes[0].Integration = nil },
		"bad host":       func(s *xdsv1alpha1.StageSnapshot) { s.Api.Hostnames = []string{"a/b"} },
		"bad mapping":    func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes[0].Integration.Type = "HTTP" },
		"lambda version": func(s *xdsv1alpha1.StageSnapshot) {
			s.Api.Routes = []*xdsv1alpha1.Route{lambdaRoute("l", "/l", "http://h/", "9")}
		},
		"timeout":         func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes[0].Integration.TimeoutMillis = -5 },
		"wildcard in mid": func(s *xdsv1alpha1.StageSnapshot) { s.Api.Hostnames = []string{"a.*.com"} },
		"nil route":       func(s *xdsv1alpha1.StageSnapshot) { s.Api.Routes = append(s.Api.Routes, nil) },
		"nil authorizer":  func(s *xdsv1alpha1.StageSnapshot) { s.Api.Authorizers = []*xdsv1alpha1.Authorizer{nil} },
	}
	for name, mutate := range invalid {
		s := good()
		mutate(s)
		var errs config.StageErrors
		if err := f.Apply(cfg(nil, s)); !errors.As(err, &errs) || errs[s.GetKey()] == nil {
			t.Errorf("%s: Apply did not reject the stage by name: %v", name, err)
		}
		if w := f.do("GET", "/prod/pets", nil); w.Code != 200 || w.Body.String() != "v1" {
			t.Fatalf("%s: the previous configuration stopped serving: %d %s", name, w.Code, w.Body)
		}
	}

	// Two stages claiming the same stage name on the same host: the one served first keeps
	// it.
	other := stageOf("other", "prod", apiOf(nil, mockRoute("r", "/", "GET", "")))
	var errs config.StageErrors
	if err := f.Apply(cfg(nil, good(), other)); !errors.As(err, &errs) || len(errs) != 1 || errs["default/other"] == nil {
		t.Errorf("a (host, stage) clash: %v", err)
	}
	if err := f.Apply(nil); err == nil {
		t.Error("a nil configuration was accepted")
	}
	if err := f.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{"x": nil}}); err == nil {
		t.Error("a nil stage was accepted")
	}
	// A step that refuses the stage: never built, so never served.
	fs := newFixture(t, Options{Steps: []Step{func(*Route, http.Handler) (http.Handler, error) { return nil, errors.New("no") }}})
	if err := fs.Apply(cfg(nil, good())); !errors.As(err, &errs) || !strings.Contains(errs.Error(), "stage default/prod: route r: no") {
		t.Errorf("a step's error: %v", err)
	}
	if w := fs.do("GET", "/prod/pets", nil); w.Code != 404 {
		t.Errorf("a stage that never built answers %d", w.Code)
	}
}

func TestInFlightRequestSurvivesApply(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		_, _ = io.WriteString(w, "old graph")
	}))
	defer backend.Close()
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("slow", "/slow", "GET", backend.URL+"/"))))

	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- f.do("GET", "/prod/slow", nil) }()
	<-arrived
	// The route is gone from the new configuration; the request that started keeps going.
	f.apply(t, stageOf("prod", "prod", apiOf(nil, mockRoute("new", "/new", "GET", "new graph"))))
	if w := f.do("GET", "/prod/new", nil); w.Body.String() != "new graph" {
		t.Fatalf("new configuration not served: %d %s", w.Code, w.Body)
	}
	close(release)
	select {
	case w := <-done:
		if w.Code != 200 || w.Body.String() != "old graph" {
			t.Errorf("in-flight request: %d %s", w.Code, w.Body)
		}
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("in-flight request did not finish")
	}
	wantGatewayError(t, f.do("GET", "/prod/slow", nil), 404, "RESOURCE_NOT_FOUND", "Not Found")
}

func TestSteps(t *testing.T) {
	var order []string
	step := func(name string) Step {
		return func(rt *Route, next http.Handler) (http.Handler, error) {
			if rt.Route.GetAuthorization().GetAuthorizer() == "" && !rt.Route.GetAuthorization().GetApiKeyRequired() {
				return next, nil
			}
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				rc := reqctx.From(r.Context())
				if name == "auth" && r.Header.Get("Authorization") == "ok" {
					rc.Authorizer = reqctx.Authorizer{Authorized: true, PrincipalID: "alice"}
				}
				if name == "key" && r.Header.Get("X-Api-Key") == "k" {
					rc.APIKeyID = "customer-a"
				}
				next.ServeHTTP(w, r)
			}), nil
		}
	}
	api := apiOf(nil, mockRoute("open", "/open", "GET", "open"), mockRoute("authz", "/authz", "GET", "authz"), mockRoute("key", "/key", "GET", "key"))
	api.Authorizers = []*xdsv1alpha1.Authorizer{{Name: "jwt", Type: "JWT"}}
	api.Routes[1].Authorization = &xdsv1alpha1.Authorization{Authorizer: "jwt"}
	api.Routes[2].Authorization = &xdsv1alpha1.Authorization{ApiKeyRequired: true}

	// Without steps, protected routes fail closed.
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", api))
	if w := f.do("GET", "/prod/open", nil); w.Code != 200 {
		t.Errorf("open: %d", w.Code)
	}
	wantGatewayError(t, f.do("GET", "/prod/authz", nil, "Authorization", "ok"), 500, "AUTHORIZER_FAILURE", "Authorizer error")
	wantGatewayError(t, f.do("GET", "/prod/key", nil, "X-Api-Key", "k"), 403, "INVALID_API_KEY", "Forbidden")

	// With steps, in the declared order, they pass when the steps record their outcome.
	f = newFixture(t, Options{Steps: []Step{step("auth"), step("key")}})
	f.apply(t, stageOf("prod", "prod", api))
	if w := f.do("GET", "/prod/authz", nil, "Authorization", "ok"); w.Code != 200 || w.Body.String() != "authz" {
		t.Errorf("authorized: %d %s", w.Code, w.Body)
	}
	if strings.Join(order, ",") != "auth,key" {
		t.Errorf("order %v", order)
	}
	wantGatewayError(t, f.do("GET", "/prod/authz", nil), 500, "AUTHORIZER_FAILURE", "Authorizer error")
	if w := f.do("GET", "/prod/key", nil, "X-Api-Key", "k"); w.Code != 200 {
		t.Errorf("key: %d", w.Code)
	}
}

// TestSamples applies what the compiler makes of the pet store samples.
func TestSamples(t *testing.T) {
	raw, err := os.ReadFile("../../controllers/compile/testdata/samples.out.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Stages    []ir.Stage     `json:"stages"`
		Endpoints []ir.Endpoints `json:"endpoints"`
	}
	if err := yaml.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	c := &config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{}, Endpoints: map[string]*endpointv3.ClusterLoadAssignment{}}
	for i := range out.Stages {
		c.Stages[out.Stages[i].Key] = xds.StageToProto(&out.Stages[i])
	}
	for _, e := range out.Endpoints {
		c.Endpoints[e.Cluster] = xds.EndpointsToCLA(e)
	}
	f := newFixture(t, Options{Rand: func() float64 { return 0.5 }})
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	w := f.do("GET", "/prod/health", nil)
	if w.Code != 200 || w.Body.String() != `{"status":"ok"}` || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("health: %d %s %v", w.Code, w.Body, w.Header())
	}
	if w := f.do("GET", "/prod/pets", nil); w.Code != 200 || !strings.Contains(w.Body.String(), "Rex") {
		t.Errorf("list-pets: %d %s", w.Code, w.Body)
	}
	// get-pet requires an API key and no step checks keys yet: refused, not served.
	wantGatewayError(t, f.do("GET", "/prod/pets/1", nil), 403, "INVALID_API_KEY", "Forbidden")
	if lines := f.log.Lines(); len(lines) != 3 || !strings.Contains(lines[0], `"path":"/prod/health","status":"200"`) {
		t.Errorf("access log %q", lines)
	}
}
