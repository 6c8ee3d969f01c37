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

package apikey

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

const (
	goldKey   = "gold-key-0123456789abcdefghijklmnop"
	silverKey = "silver-key-0123456789abcdefghijklmn"
	otherKey  = "other-stage-key-0123456789abcdefghij"
)

func digest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

func stage(key string, plans ...*xdsv1alpha1.UsagePlan) *xdsv1alpha1.StageSnapshot {
	return &xdsv1alpha1.StageSnapshot{Key: key, StageName: "prod", UsagePlans: plans}
}

func plan(name string, keys ...string) *xdsv1alpha1.UsagePlan {
	p := &xdsv1alpha1.UsagePlan{Name: name}
	for i := 0; i+1 < len(keys); i += 2 {
		p.Keys = append(p.Keys, &xdsv1alpha1.ApiKey{Id: keys[i], Sha256: digest(keys[i+1])})
	}
	return p
}

func route(required bool) *xdsv1alpha1.Route {
	return &xdsv1alpha1.Route{Name: "get-pets", Path: "/pets", Methods: []string{"GET"},
		Authorization: &xdsv1alpha1.Authorization{ApiKeyRequired: required}}
}

// served records what reached the integration.
type served struct {
	keyID string
	hits  int
}

func build(t *testing.T, step proxy.Step, st *xdsv1alpha1.StageSnapshot, api *xdsv1alpha1.Api, r *xdsv1alpha1.Route) (http.Handler, *served) {
	t.Helper()
	s := &served{}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits++
		s.keyID = reqctx.From(r.Context()).APIKeyID
		w.WriteHeader(http.StatusOK)
	})
	h, err := step(&proxy.Route{Stage: st, API: api, Route: r, Variant: proxy.VariantStable}, next)
	if err != nil {
		t.Fatal(err)
	}
	return h, s
}

func do(h http.Handler, rc *reqctx.Request, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/prod/pets", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	if rc == nil {
		rc = &reqctx.Request{ID: "req-1"}
	}
	r = r.WithContext(reqctx.With(r.Context(), rc))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHeaderSource(t *testing.T) {
	st := stage("shop/prod", plan("gold", "customer-a", goldKey), plan("silver", "customer-b", silverKey))
	h, s := build(t, NewStep(), st, &xdsv1alpha1.Api{}, route(true))
	for _, tc := range []struct {
		name    string
		headers []string
		keyID   string
	}{
		{"gold", []string{"x-api-key", goldKey}, "customer-a"},
		{"silver", []string{"X-API-KEY", silverKey}, "customer-b"},
		{"missing", nil, ""},
		{"empty", []string{"x-api-key", ""}, ""},
		{"unknown", []string{"x-api-key", "not-a-key-of-any-plan-0123456789"}, ""},
		{"other stage's key", []string{"x-api-key", otherKey}, ""},
		{"key in another header", []string{"authorization", goldKey}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := s.hits
			w := do(h, nil, tc.headers...)
			if tc.keyID == "" {
				if w.Code != http.StatusForbidden || w.Header().Get(gatewayresponse.HeaderErrorType) != "INVALID_API_KEY" || !strings.Contains(w.Body.String(), `"Forbidden"`) {
					t.Fatalf("got %d %v %s, want 403 INVALID_API_KEY", w.Code, w.Header(), w.Body)
				}
				if s.hits != hits {
					t.Fatal("a refused request reached the integration")
				}
				return
			}
			if w.Code != http.StatusOK || s.keyID != tc.keyID {
				t.Fatalf("got %d with key id %q, want 200 with %q", w.Code, s.keyID, tc.keyID)
			}
		})
	}
}

// A key that is valid for another stage (a plan bound to another stage holds it) is refused.
func TestKeyOfAnotherStage(t *testing.T) {
	step := NewStep()
	prod := stage("shop/prod", plan("gold", "customer-a", goldKey))
	beta := stage("shop/beta", plan("beta-testers", "customer-c", otherKey))
	hProd, _ := build(t, step, prod, &xdsv1alpha1.Api{}, route(true))
	hBeta, sBeta := build(t, step, beta, &xdsv1alpha1.Api{}, route(true))
	if w := do(hProd, nil, "x-api-key", otherKey); w.Code != http.StatusForbidden {
		t.Fatalf("prod accepted beta's key: %d", w.Code)
	}
	if w := do(hBeta, nil, "x-api-key", goldKey); w.Code != http.StatusForbidden {
		t.Fatalf("beta accepted prod's key: %d", w.Code)
	}
	if w := do(hBeta, nil, "x-api-key", otherKey); w.Code != http.StatusOK || sBeta.keyID != "customer-c" {
		t.Fatalf("beta refused its key: %d %q", w.Code, sBeta.keyID)
	}
	// A stage without plans accepts no key at all.
	hNone, _ := build(t, step, stage("shop/dev"), &xdsv1alpha1.Api{}, route(true))
	if w := do(hNone, nil, "x-api-key", goldKey); w.Code != http.StatusForbidden {
		t.Fatalf("a stage without plans accepted a key: %d", w.Code)
	}
}

// A new snapshot of the same stage replaces the cached index.
func TestNewSnapshotRebuildsIndex(t *testing.T) {
	step := NewStep()
	h1, _ := build(t, step, stage("shop/prod", plan("gold", "customer-a", goldKey)), &xdsv1alpha1.Api{}, route(true))
	h2, _ := build(t, step, stage("shop/prod", plan("gold", "customer-b", silverKey)), &xdsv1alpha1.Api{}, route(true))
	if do(h1, nil, "x-api-key", goldKey).Code != http.StatusOK || do(h1, nil, "x-api-key", silverKey).Code != http.StatusForbidden {
		t.Fatal("the first configuration changed")
	}
	if do(h2, nil, "x-api-key", silverKey).Code != http.StatusOK || do(h2, nil, "x-api-key", goldKey).Code != http.StatusForbidden {
		t.Fatal("the second configuration kept the first's keys")
	}
}

func TestAuthorizerSource(t *testing.T) {
	st := stage("shop/prod", plan("gold", "customer-a", goldKey))
	h, s := build(t, NewStep(), st, &xdsv1alpha1.Api{ApiKeySource: SourceAuthorizer}, route(true))
	rc := &reqctx.Request{ID: "r", Authorizer: reqctx.Authorizer{Authorized: true, UsageIdentifierKey: goldKey}}
	if w := do(h, rc); w.Code != http.StatusOK || s.keyID != "customer-a" {
		t.Fatalf("got %d %q", w.Code, s.keyID)
	}
	// The header is not a key source then.
	if w := do(h, &reqctx.Request{ID: "r"}, "x-api-key", goldKey); w.Code != http.StatusForbidden {
		t.Fatalf("the header was read with apiKeySource AUTHORIZER: %d", w.Code)
	}
	bad := &reqctx.Request{ID: "r", Authorizer: reqctx.Authorizer{Authorized: true, UsageIdentifierKey: "nope"}}
	if w := do(h, bad); w.Code != http.StatusForbidden {
		t.Fatalf("an unknown usageIdentifierKey was accepted: %d", w.Code)
	}
}

func TestNotApplicable(t *testing.T) {
	next := http.NotFoundHandler()
	h, err := NewStep()(&proxy.Route{Stage: stage("s"), API: &xdsv1alpha1.Api{}, Route: route(false)}, next)
	if err != nil {
		t.Fatal(err)
	}
	if w := do(h, nil); w.Code != http.StatusNotFound {
		t.Fatal("a route without apiKeyRequired was wrapped")
	}
	// No route authorization at all.
	if _, err := NewStep()(&proxy.Route{Stage: stage("s"), API: &xdsv1alpha1.Api{}, Route: &xdsv1alpha1.Route{}}, next); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidConfiguration(t *testing.T) {
	for name, rt := range map[string]*proxy.Route{
		"source": {Stage: stage("s"), API: &xdsv1alpha1.Api{ApiKeySource: "QUERY"}, Route: route(true)},
		"digest": {Stage: stage("s", &xdsv1alpha1.UsagePlan{Name: "p", Keys: []*xdsv1alpha1.ApiKey{{Id: "k", Sha256: "abc"}}}), API: &xdsv1alpha1.Api{}, Route: route(true)},
		"long":   {Stage: stage("s", &xdsv1alpha1.UsagePlan{Name: "p", Keys: []*xdsv1alpha1.ApiKey{{Id: "k", Sha256: digest("a") + "00"}}}), API: &xdsv1alpha1.Api{}, Route: route(true)},
		"hex":    {Stage: stage("s", &xdsv1alpha1.UsagePlan{Name: "p", Keys: []*xdsv1alpha1.ApiKey{{Id: "k", Sha256: strings.Repeat("zz", 32)}}}), API: &xdsv1alpha1.Api{}, Route: route(true)},
		"no id":  {Stage: stage("s", &xdsv1alpha1.UsagePlan{Name: "p", Keys: []*xdsv1alpha1.ApiKey{{Sha256: digest("a")}}}), API: &xdsv1alpha1.Api{}, Route: route(true)},
	} {
		if _, err := NewStep()(rt, http.NotFoundHandler()); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), digest("a")) {
			t.Errorf("%s: the error shows a digest: %v", name, err)
		}
	}
}

// Without a request context, nothing can record the key: the step refuses.
func TestNoRequestContext(t *testing.T) {
	h, s := build(t, NewStep(), stage("s", plan("gold", "customer-a", goldKey)), &xdsv1alpha1.Api{}, route(true))
	r := httptest.NewRequest(http.MethodGet, "/prod/pets", nil)
	r.Header.Set("x-api-key", goldKey)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || s.hits != 0 {
		t.Fatalf("got %d", w.Code)
	}
}

func TestPlanOf(t *testing.T) {
	st := stage("shop/prod", plan("gold", "customer-a", goldKey), plan("silver", "customer-b", silverKey, "customer-a", goldKey))
	for id, want := range map[string]string{"customer-a": "gold", "customer-b": "silver", "customer-z": "", "": ""} {
		if got := PlanOf(st, id); got != want {
			t.Errorf("PlanOf(%q) = %q, want %q", id, got, want)
		}
	}
	if PlanOf(nil, "customer-a") != "" {
		t.Error("PlanOf(nil) found a plan")
	}
}

func TestLookupUsesFullDigest(t *testing.T) {
	idx, err := buildIndex(stage("s", plan("gold", "customer-a", goldKey)))
	if err != nil {
		t.Fatal(err)
	}
	if e := idx.verify(goldKey); e == nil || e.id != "customer-a" || e.plan != "gold" {
		t.Fatalf("verify = %+v", e)
	}
	// An entry whose stored digest differs from its map key is refused by the constant-time
	// check, not accepted on the map hit alone.
	sum := sha256.Sum256([]byte(goldKey))
	idx.byDigest[sum].digest[31] ^= 1
	if idx.verify(goldKey) != nil || idx.lookup(goldKey) != nil {
		t.Fatal("the full digest was not compared")
	}
}

// seen remembers only keys that matched, by their whole value: one entry per configured key
// at most, and a value close to a remembered key (a prefix, an extension, one character off)
// is refused.
func TestLookupRemembersMatchedKeysOnly(t *testing.T) {
	idx, err := buildIndex(stage("s", plan("gold", "customer-a", goldKey), plan("silver", "customer-b", silverKey)))
	if err != nil {
		t.Fatal(err)
	}
	seen := func() int {
		n := 0
		for k, v := range idx.seen.All() {
			n++
			if e := idx.verify(k); e != v {
				t.Errorf("seen holds a value whose digest is not its entry's")
			}
		}
		return n
	}
	wrong := []string{goldKey[:len(goldKey)-1], goldKey + "x", "X" + goldKey[1:], strings.ToUpper(goldKey), "nope"}
	for _, v := range wrong {
		if idx.lookup(v) != nil {
			t.Fatalf("%q accepted", v)
		}
	}
	if n := seen(); n != 0 {
		t.Fatalf("%d values remembered after refusals only", n)
	}
	for range 3 {
		if e := idx.lookup(goldKey); e == nil || e.id != "customer-a" {
			t.Fatalf("lookup = %+v", e)
		}
		if e := idx.lookup(silverKey); e == nil || e.id != "customer-b" {
			t.Fatalf("lookup = %+v", e)
		}
	}
	for _, v := range wrong {
		if idx.lookup(v) != nil {
			t.Fatalf("%q accepted once the key was remembered", v)
		}
	}
	if n := seen(); n != 2 {
		t.Fatalf("%d values remembered, want 2", n)
	}
}

func BenchmarkStep(b *testing.B) {
	p := &xdsv1alpha1.UsagePlan{Name: "gold"}
	for i := range 10000 {
		p.Keys = append(p.Keys, &xdsv1alpha1.ApiKey{Id: "k" + strings.Repeat("x", i%7), Sha256: digest(goldKey + string(rune('a'+i%26)) + strings.Repeat("y", i))})
	}
	p.Keys = append(p.Keys, &xdsv1alpha1.ApiKey{Id: "customer-a", Sha256: digest(goldKey)})
	h, err := NewStep()(&proxy.Route{Stage: stage("s", p), API: &xdsv1alpha1.Api{}, Route: route(true)}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/prod/pets", nil)
	r.Header.Set("x-api-key", goldKey)
	rc := &reqctx.Request{}
	r = r.WithContext(reqctx.With(r.Context(), rc))
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		rc.APIKeyID = ""
		h.ServeHTTP(w, r)
	}
}
