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

package v1alpha1_test

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

func keyOf(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}

// TestDefaultsMatchAWS creates minimal objects and reads back the defaults the API server
// filled in: they must be Amazon API Gateway's.
func TestDefaultsMatchAWS(t *testing.T) {
	needEnv(t)
	createNamespace(t, "defaults")
	ctx := context.Background()
	create := func(kind, patch string) {
		t.Helper()
		u := object(t, kind, patch)
		u.SetNamespace("defaults")
		if err := env.Client.Create(ctx, u); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	get := func(obj client.Object) {
		t.Helper()
		if err := env.Client.Get(ctx, keyOf("defaults", "test"), obj); err != nil {
			t.Fatal(err)
		}
	}

	create("RestApi", `{cors: {allowOrigins: ["*"]}, models: {Pet: {schema: {type: object}}}}`)
	var api apiv1.RestApi
	get(&api)
	if api.Spec.Protocol != apiv1.ProtocolHTTP || api.Spec.APIKeySource != apiv1.APIKeySourceHeader {
		t.Errorf("RestApi protocol %q apiKeySource %q, want HTTP and HEADER", api.Spec.Protocol, api.Spec.APIKeySource)
	}
	if api.Spec.RevisionHistoryLimit == nil || *api.Spec.RevisionHistoryLimit != 10 {
		t.Errorf("revisionHistoryLimit = %v, want 10", api.Spec.RevisionHistoryLimit)
	}
	if ct := api.Spec.Models["Pet"].ContentType; ct != "application/json" {
		t.Errorf("model contentType = %q, want application/json", ct)
	}

	create("Route", `integration: {type: HTTP_PROXY, mock: null, uri: "http://b"}`)
	var route apiv1.Route
	get(&route)
	if len(route.Spec.Methods) != 1 || route.Spec.Methods[0] != apiv1.MethodAny {
		t.Errorf("Route methods = %v, want [ANY]", route.Spec.Methods)
	}
	if route.Spec.Integration.TimeoutMillis != 29000 {
		t.Errorf("timeoutMillis = %d, want 29000", route.Spec.Integration.TimeoutMillis)
	}

	create("Authorizer", `{type: TOKEN, jwt: null, function: {uri: "http://a"}}`)
	var authz apiv1.Authorizer
	get(&authz)
	if authz.Spec.ResultTTLSeconds == nil || *authz.Spec.ResultTTLSeconds != 300 {
		t.Errorf("resultTtlSeconds = %v, want 300", authz.Spec.ResultTTLSeconds)
	}
	if len(authz.Spec.IdentitySources) != 1 || authz.Spec.IdentitySources[0] != "$request.header.Authorization" {
		t.Errorf("identitySources = %v, want [$request.header.Authorization]", authz.Spec.IdentitySources)
	}
	if f := authz.Spec.Function; f.TimeoutMillis != 10000 || f.PayloadFormatVersion != "1.0" {
		t.Errorf("function timeout %d format %q, want 10000 and 1.0", f.TimeoutMillis, f.PayloadFormatVersion)
	}

	create("Stage", `cache: {enabled: true}`)
	var stage apiv1.Stage
	get(&stage)
	if th := stage.Spec.Throttling; th == nil || th.RateLimit != 10000 || th.BurstLimit != 5000 {
		t.Errorf("stage throttling = %+v, want 10000/5000", th)
	}
	c := stage.Spec.Cache
	if c.TTLSeconds == nil || *c.TTLSeconds != 300 {
		t.Errorf("cache ttlSeconds = %v, want 300", c.TTLSeconds)
	}
	if c.Capacity == nil || c.Capacity.Cmp(resource.MustParse("512Mi")) != 0 {
		t.Errorf("cache capacity = %v, want 512Mi", c.Capacity)
	}
	if c.RequireAuthorizationForCacheControl == nil || !*c.RequireAuthorizationForCacheControl ||
		c.UnauthorizedCacheControlHeaderStrategy != apiv1.CacheControlSucceedWithResponseHeader {
		t.Errorf("cache control defaults = %v %q, want true and SUCCEED_WITH_RESPONSE_HEADER",
			c.RequireAuthorizationForCacheControl, c.UnauthorizedCacheControlHeaderStrategy)
	}

	create("UsagePlan", `quota: {limit: 5, period: WEEK}`)
	var plan apiv1.UsagePlan
	get(&plan)
	if plan.Spec.Quota.Offset != 0 {
		t.Errorf("quota offset = %d, want 0", plan.Spec.Quota.Offset)
	}
}
