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

package jwt

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// TestInvalidationScope checks that a JWT caller may invalidate cache entries only when its
// token carries the scope the stage names, and that a stage naming none lets nobody.
func TestInvalidationScope(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	now := e.clock.Now()
	rt := routeWith(jwtAuthorizer(e.idp.URL + "/jwks.json"))
	rt.Stage = &xdsv1alpha1.StageSnapshot{Cache: &xdsv1alpha1.Cache{Enabled: true, InvalidationScope: "pets:invalidate"}}
	e.h = e.build(rt)
	for name, tc := range map[string]struct {
		claims map[string]any
		want   bool
	}{
		"scope string":   {claimsAt(now, "scope", "openid pets:invalidate"), true},
		"scp array":      {claimsAt(now, "scp", []string{"pets:invalidate"}), true},
		"other scope":    {claimsAt(now, "scope", "pets:read"), false},
		"prefix only":    {claimsAt(now, "scope", "pets:invalidate:all"), false},
		"no scope":       {claimsAt(now), false},
		"scope as array": {claimsAt(now, "scope", []string{"pets:invalidate"}), false},
	} {
		t.Run(name, func(t *testing.T) {
			e.wantStatus(e.bearer(sign(t, k, tc.claims)), 200, "")
			if got := e.last.Authorizer.InvalidateCache; got != tc.want {
				t.Fatalf("InvalidateCache = %v, want %v", got, tc.want)
			}
		})
	}

	// A stage that names no scope lets no JWT caller invalidate, whatever its scopes.
	rt.Stage.Cache.InvalidationScope = ""
	e.h = e.build(rt)
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "scope", "pets:invalidate"))), 200, "")
	if e.last.Authorizer.InvalidateCache {
		t.Fatal("a stage without invalidationScope let a JWT caller invalidate")
	}
}
