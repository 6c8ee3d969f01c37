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

package cache

import (
	"net/http"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// caller is a request an authorizer let through as principal, with API key key.
func caller(principal, key string) func(*http.Request, *reqctx.Request) {
	return func(_ *http.Request, rc *reqctx.Request) {
		rc.Authorizer.Authorized, rc.Authorizer.PrincipalID, rc.APIKeyID = true, principal, key
	}
}

// TestPerCallerKeys keeps one answer per principal, or per API key, when the route's cache
// key names it.
func TestPerCallerKeys(t *testing.T) {
	for _, tc := range []struct {
		param      string
		same, diff func(*http.Request, *reqctx.Request)
	}{
		// Same principal with another key shares; another principal does not.
		{ParamPrincipal, caller("alice", "k2"), caller("bob", "k1")},
		// Same key with another principal shares; another key does not.
		{ParamAPIKeyID, caller("bob", "k1"), caller("alice", "k2")},
	} {
		t.Run(tc.param, func(t *testing.T) {
			f := newFixture()
			b := &backend{}
			r := route("/pets", getOnly, tc.param)
			r.Authorization = &xdsv1alpha1.Authorization{Authorizer: "authz", ApiKeyRequired: true}
			h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
			expect(t, call(t, h, r, "GET", "/pets", caller("alice", "k1")), 200, "body 1", "Miss")
			expect(t, call(t, h, r, "GET", "/pets", caller("alice", "k1")), 200, "body 1", "Hit")
			expect(t, call(t, h, r, "GET", "/pets", tc.same), 200, "body 1", "Hit")
			expect(t, call(t, h, r, "GET", "/pets", tc.diff), 200, "body 2", "Miss")
			expect(t, call(t, h, r, "GET", "/pets", tc.diff), 200, "body 2", "Hit")
		})
	}
}

// TestCallerKeyIsNotAHeader checks that a client cannot pick another caller's entry by
// sending a header named like the context parameter: the value is the verified caller's.
func TestCallerKeyIsNotAHeader(t *testing.T) {
	f := newFixture()
	b := &backend{}
	r := route("/pets", getOnly, ParamPrincipal)
	r.Authorization = &xdsv1alpha1.Authorization{Authorizer: "authz"}
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	expect(t, call(t, h, r, "GET", "/pets", caller("alice", "")), 200, "body 1", "Miss")
	expect(t, call(t, h, r, "GET", "/pets", caller("bob", ""), header("Context.authorizer.principalId", "alice")), 200, "body 2", "Miss")
}

// TestUnknownCacheKeyParameter refuses a route whose key names what the proxy cannot read,
// rather than serve one answer to callers the user meant to keep apart.
func TestUnknownCacheKeyParameter(t *testing.T) {
	f := newFixture()
	for _, p := range []string{"context.authorizer.claims.sub", "context.identity.sourceIp", "cookie.session"} {
		if _, err := f.step(&proxy.Route{Stage: stageSnap("ns/prod", "pets"), Route: route("/pets", getOnly, p)}, &backend{}); err == nil {
			t.Errorf("%s: no error", p)
		}
	}
}

// TestCallerlessBypasses: a request whose caller has no principal (an authorizer that
// returned none, a JWT without sub) or no key id is not cached under a key that names it,
// where every such caller would share one entry.
func TestCallerlessBypasses(t *testing.T) {
	for _, param := range []string{ParamPrincipal, ParamAPIKeyID} {
		t.Run(param, func(t *testing.T) {
			f := newFixture()
			b := &backend{}
			r := route("/pets", getOnly, param)
			r.Authorization = &xdsv1alpha1.Authorization{Authorizer: "authz"}
			h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
			expect(t, call(t, h, r, "GET", "/pets", caller("", "")), 200, "body 1", "Miss")
			expect(t, call(t, h, r, "GET", "/pets", caller("", "")), 200, "body 2", "Miss")
		})
	}
}
