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
	"io"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/internal/testpki"
)

// Through a domain name the 1.0 event's path is the request's, base path included, as AWS
// sends it: the stage's name is not in the path, so nothing is taken off it (a stage "prod"
// made /products/1 "ucts/1", a base path "orders" in front of stage "orders" lost its
// "/orders"). The default endpoint keeps the path under the stage.
func TestLambdaEventPathThroughDomain(t *testing.T) {
	pki := testpki.New(t)
	store := domains.New()
	f := newFixture(t, Options{Domains: store})
	fn := newFunction(t, `{"statusCode":200,"body":"ok"}`)
	pets := stageOf("pets", "prod", apiOf(nil, lambdaRoute("fn", "/{proxy+}", fn.URL, "1.0")))
	orders := stageOf("orders", "orders", apiOf(nil, lambdaRoute("fn", "/{proxy+}", fn.URL, "1.0")))
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	c := cfg(nil, pets, orders)
	c.Secrets = map[string]*xdsv1alpha1.TlsSecret{"tls/default/api": {Name: "tls/default/api", CertificateChain: crt, PrivateKey: key}}
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/api": {Key: "default/api", DomainName: "api.example.com", Certificate: "tls/default/api",
		Mappings: []*xdsv1alpha1.BasePathMapping{{BasePath: "orders", Stage: "default/orders"}, {Stage: "default/pets"}}}}
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	addr, client := serveHTTPS(t, f, store, pki)
	for _, tc := range []struct{ path, want string }{
		{"/products/1", "/products/1"},
		{"/orders/v1/items", "/orders/v1/items"},
	} {
		resp, err := client("api.example.com").Get("https://" + addr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", tc.path, resp.StatusCode)
		}
		ev := <-fn.events
		if ev["path"] != tc.want || get(ev, "requestContext.path") != tc.path {
			t.Errorf("GET %s through the domain: path %v requestContext.path %v, want %s and %s", tc.path, ev["path"], get(ev, "requestContext.path"), tc.want, tc.path)
		}
	}
	if w := f.do("GET", "/prod/products/1", nil); w.Code != 200 {
		t.Fatalf("default endpoint: %d", w.Code)
	}
	if ev := <-fn.events; ev["path"] != "/products/1" || get(ev, "requestContext.path") != "/prod/products/1" {
		t.Errorf("default endpoint: path %v requestContext.path %v", ev["path"], get(ev, "requestContext.path"))
	}

	// Payload 2.0: through an API mapping, rawPath leaves the mapping's base path out (AWS).
	c.Stages["default/orders"] = stageOf("orders", "orders", apiOf(nil, lambdaRoute("fn", "/{proxy+}", fn.URL, "2.0")))
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	resp, err := client("api.example.com").Get("https://" + addr + "/orders/v1/items")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if ev := <-fn.events; ev["rawPath"] != "/v1/items" {
		t.Errorf("2.0 through the domain: rawPath %v, want /v1/items", ev["rawPath"])
	}
}
