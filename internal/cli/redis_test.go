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

package cli

import (
	"path/filepath"
	"testing"

	"github.com/portico-dev/portico/internal/redistest"
)

// Two standalone gateways sharing one Redis enforce one quota: exactly N of 2N requests,
// alternated between them, pass a quota of N.
func TestTwoProxiesShareOneQuota(t *testing.T) {
	redis := redistest.Start(t).URL()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), `apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: meter}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: data}
spec:
  restApiRef: {name: meter}
  path: /data
  methods: [GET]
  authorization: {type: NONE, apiKeyRequired: true}
  integration: {type: MOCK, mock: {statusCode: 200}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: v1}
spec: {restApiRef: {name: meter}}
---
apiVersion: v1
kind: Secret
type: apigateway.portico.dev/api-key
metadata: {name: alice}
stringData: {key: "alice-key-0123456789012345678901234"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: UsagePlan
metadata: {name: small}
spec:
  apiStages: [{restApiRef: {name: meter}, stage: v1}]
  quota: {limit: 5, period: DAY}
  apiKeys: [{name: alice}]
`)
	var bases []string
	for _, g := range startGateways(t, 2, dir, dataPlaneFlags{stateRedis: redis}) {
		bases = append(bases, g.base)
	}
	// Without a key: refused, and not counted.
	for i := 0; i < 4; i++ {
		if r := get(t, "GET", bases[i%2]+"/v1/data"); r.status != 403 {
			t.Fatalf("keyless request %d: %d", i, r.status)
		}
	}
	allowed := 0
	for i := 0; i < 10; i++ {
		r := getWithKey(t, bases[i%2]+"/v1/data", "alice-key-0123456789012345678901234")
		switch {
		case r.status == 200:
			allowed++
		case r.status != 429 || r.header.Get("x-portico-error-type") != "QUOTA_EXCEEDED":
			t.Fatalf("request %d: %d %s", i, r.status, r.header.Get("x-portico-error-type"))
		}
	}
	if allowed != 5 {
		t.Fatalf("%d of 10 requests over two proxies passed a shared quota of 5", allowed)
	}
}

func getWithKey(t *testing.T, url, key string) response {
	t.Helper()
	return getHeader(t, url, "x-api-key", key)
}
