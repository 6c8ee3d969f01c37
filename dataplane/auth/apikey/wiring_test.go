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

package apikey_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/auth/apikey"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/cors"
	"github.com/portico-dev/portico/dataplane/policy"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// TestWiring runs the three steps in a Proxy, in the order the data plane uses (policy, CORS,
// authorizers, API key), so that the proxy's own check of apiKeyRequired sees the key the
// step accepted.
func TestWiring(t *testing.T) {
	const key = "customer-a-key-0123456789abcdefghijk"
	sum := sha256.Sum256([]byte(key))
	api := &xdsv1alpha1.Api{
		Protocol:  "HTTP",
		Cors:      &xdsv1alpha1.Cors{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET"}, AllowHeaders: []string{"x-api-key"}},
		SourceIps: &xdsv1alpha1.SourceIps{Deny: []string{"198.51.100.0/24"}},
		Routes: []*xdsv1alpha1.Route{{
			Name: "pets", Path: "/pets", Methods: []string{"ANY"},
			Authorization: &xdsv1alpha1.Authorization{ApiKeyRequired: true},
			Integration: &xdsv1alpha1.Integration{Type: "MOCK", TimeoutMillis: 29000,
				Mock: &xdsv1alpha1.Mock{StatusCode: 200, Body: "pets"}},
		}},
	}
	st := &xdsv1alpha1.StageSnapshot{Key: "default/prod", Namespace: "default", StageName: "prod", RestApi: "pets", Api: api,
		UsagePlans: []*xdsv1alpha1.UsagePlan{{Name: "gold", Keys: []*xdsv1alpha1.ApiKey{{Id: "customer-a", Sha256: hex.EncodeToString(sum[:])}}}}}
	p := proxy.New(proxy.Options{
		AccessLog: io.Discard,
		Guards:    []proxy.Guard{policy.Guard, cors.Guard},
		Steps:     []proxy.Step{cors.NewStep(), apikey.NewStep()},
	})
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{st.Key: st}}); err != nil {
		t.Fatal(err)
	}
	do := func(method, remote string, headers ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/prod/pets", nil)
		r.RemoteAddr = remote + ":1234"
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		return w
	}
	if w := do("GET", "192.0.2.1", "x-api-key", key); w.Code != 200 || w.Body.String() != "pets" {
		t.Fatalf("with the key: %d %q", w.Code, w.Body)
	}
	if w := do("GET", "192.0.2.1"); w.Code != 403 || w.Header().Get("X-Portico-Error-Type") != "INVALID_API_KEY" {
		t.Fatalf("without a key: %d %v", w.Code, w.Header())
	}
	if w := do("GET", "198.51.100.7", "x-api-key", key); w.Code != 403 || w.Header().Get("X-Portico-Error-Type") != "ACCESS_DENIED" {
		t.Fatalf("from a denied address: %d %v", w.Code, w.Header())
	}
	// The preflight needs no key, and the refusal of a keyless request carries CORS headers.
	if w := do("OPTIONS", "192.0.2.1", "Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"); w.Code != 204 || w.Header().Get("Access-Control-Allow-Headers") != "x-api-key" {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}
	if w := do("GET", "192.0.2.1", "Origin", "https://app.example.com"); w.Code != 403 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("refusal without CORS headers: %d %v", w.Code, w.Header())
	}
}
