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
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// The REQUEST authorizer's 1.0 event has the path the Lambda integration's has: under the
// stage on the default endpoint, the request's own (base path included) through a domain
// name, whose path has no stage to take off.
func TestRequestEventV1PathThroughDomain(t *testing.T) {
	for _, c := range []struct {
		name, path, stagePath, stage string
		domain                       bool
		want                         string
	}{
		{"default endpoint", "/prod/products/1", "/products/1", "prod", false, "/products/1"},
		{"domain", "/products/1", "/products/1", "prod", true, "/products/1"},
		{"domain, base path named as the stage", "/orders/v1/items", "/items", "orders", true, "/orders/v1/items"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "https://api.example.com"+c.path, nil)
			rc := &reqctx.Request{ID: "rid", Host: "api.example.com", Path: c.path, StagePath: c.stagePath, Stage: c.stage, Domain: c.domain, API: "shop/pets"}
			b, err := requestEventV1JSON(&eventInput{r: r, rc: rc, arn: "arn", namespace: "shop", restAPI: "pets", resourceID: "pet"})
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Path != c.want || ev.RequestContext.Path != c.path {
				t.Errorf("path %q requestContext.path %q, want %q and %q", ev.Path, ev.RequestContext.Path, c.want, c.path)
			}
		})
	}
}
