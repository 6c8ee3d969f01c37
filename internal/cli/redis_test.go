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

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/internal/redistest"
)

// Two standalone gateways sharing one Redis enforce one quota: exactly N of 2N requests,
// alternated between them, pass a quota of N.
func TestTwoProxiesShareOneQuota(t *testing.T) {
	redis := redistest.Start(t).URL()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), meterAPI)
	var bases []string
	for _, g := range startGateways(t, 2, dir, dataPlaneFlags{redis: redisFlags{state: redis}}) {
		bases = append(bases, g.base)
	}
	// Without a key: refused, and not counted.
	for i := 0; i < 4; i++ {
		if r := get(t, "GET", bases[i%2]+"/v1/data"); r.status != 403 {
			t.Fatalf("keyless request %d: %d", i, r.status)
		}
	}
	if allowed := meter(t, bases, 10); allowed != 5 {
		t.Fatalf("%d of 10 requests over two proxies passed a shared quota of 5", allowed)
	}
}

// Two installations sharing one Redis under prefixes of their own count apart: the same
// stage, plan and key names do not meet.
func TestRedisPrefixesKeepInstallationsApart(t *testing.T) {
	redis := redistest.Start(t).URL()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), meterAPI)
	staging := startGateways(t, 1, dir, dataPlaneFlags{redis: redisFlags{state: redis, prefix: "staging:"}})[0]
	prod := startGateways(t, 1, dir, dataPlaneFlags{redis: redisFlags{state: redis, prefix: "prod:"}})[0]
	if allowed := meter(t, []string{staging.base, prod.base}, 10); allowed != 10 {
		t.Fatalf("%d of 10 requests passed two installations' quotas of 5 each, want 10", allowed)
	}
}

// meter sends n requests with alice's key, in turn to bases, and returns how many passed; a
// refusal must be the quota's.
func meter(t *testing.T, bases []string, n int) int {
	t.Helper()
	allowed := 0
	for i := 0; i < n; i++ {
		r := getWithKey(t, bases[i%len(bases)]+"/v1/data", "alice-key-0123456789012345678901234")
		switch {
		case r.status == 200:
			allowed++
		case r.status != 429 || r.header.Get("x-portico-error-type") != "QUOTA_EXCEEDED":
			t.Fatalf("request %d: %d %s", i, r.status, r.header.Get("x-portico-error-type"))
		}
	}
	return allowed
}

// A Redis URL may come from the environment, which keeps its password off the command line;
// a flag wins.
func TestRedisURLsFromTheEnvironment(t *testing.T) {
	t.Setenv(envStateRedis, "redis://state.example:6379/0")
	t.Setenv(envCacheRedis, "redis://cache.example:6379/1")
	r := redisFlags{}.resolved()
	if r.state != "redis://state.example:6379/0" || r.cache != "redis://cache.example:6379/1" || r.prefix != defaultRedisPrefix {
		t.Fatalf("from the environment: %+v", r)
	}
	r = redisFlags{state: "redis://flag:6379/0", prefix: "mine:"}.resolved()
	if r.state != "redis://flag:6379/0" || r.prefix != "mine:" {
		t.Fatalf("a flag must win over the environment: %+v", r)
	}
	if c := r.cacheConfig(logr.Discard(), nil); c.Prefix != "mine:cache:" || c.URL != "redis://cache.example:6379/1" {
		t.Fatalf("cache config %+v", c)
	}
}

const meterAPI = `apiVersion: apigateway.portico.dev/v1alpha1
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
`

func getWithKey(t *testing.T, url, key string) response {
	t.Helper()
	return getHeader(t, url, "x-api-key", key)
}
