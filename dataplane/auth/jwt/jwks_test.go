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
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TestKeyRotation: a token signed with a kid the cached JWKS lacks refreshes it, at most once
// per refreshInterval.
func TestKeyRotation(t *testing.T) {
	k1, k2, k3 := rsaKey(t, 0, "k1", jose.RS256), ecKey(t, 0, "k2", jose.ES256), rsaKey(t, 1, "k3", jose.RS256)
	e := newEnv(t, []signingKey{k1}, nil)
	e.wantStatus(e.bearer(sign(t, k1, claimsAt(e.clock.Now()))), 200, "")
	wantFetches(t, e, 1)

	e.idp.set(func(p *idp) { p.keys = []signingKey{k1, k2} })
	e.clock.Add(refreshInterval + time.Second)
	e.wantStatus(e.bearer(sign(t, k2, claimsAt(e.clock.Now()))), 200, "")
	wantFetches(t, e, 2)

	// Another unknown kid right after does not fetch again, even once it is published.
	e.wantStatus(e.bearer(sign(t, k3, claimsAt(e.clock.Now()))), 401, "UNAUTHORIZED")
	e.idp.set(func(p *idp) { p.keys = []signingKey{k2, k3} })
	e.clock.Add(refreshInterval - time.Second)
	e.wantStatus(e.bearer(sign(t, k3, claimsAt(e.clock.Now()))), 401, "UNAUTHORIZED")
	wantFetches(t, e, 2)

	e.clock.Add(2 * time.Second)
	e.wantStatus(e.bearer(sign(t, k3, claimsAt(e.clock.Now()))), 200, "")
	wantFetches(t, e, 3)
	// The retired key is gone with the refresh.
	e.wantStatus(e.bearer(sign(t, k1, claimsAt(e.clock.Now()))), 401, "UNAUTHORIZED")
}

func wantFetches(t *testing.T, e *env, n int64) {
	t.Helper()
	if got := e.idp.requests.Load(); got != n {
		t.Fatalf("JWKS fetched %d times, want %d", got, n)
	}
}

func TestJWKSCacheControl(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	for _, tc := range []struct {
		cacheControl string
		ttl          time.Duration
	}{
		{"", defaultKeysTTL},
		{"public, max-age=120", 2 * time.Minute},
		{"max-age=10", minKeysTTL},
		{"no-store", minKeysTTL},
		{"max-age=31536000", maxKeysTTL},
	} {
		t.Run(tc.cacheControl, func(t *testing.T) {
			e := newEnv(t, []signingKey{k}, nil)
			e.idp.set(func(p *idp) { p.cacheControl = tc.cacheControl })
			// Each request brings a new token, so that each one looks its key up.
			e.wantStatus(e.bearer(sign(t, k, claimsAt(e.clock.Now()))), 200, "")
			e.clock.Add(tc.ttl - time.Second)
			e.wantStatus(e.bearer(sign(t, k, claimsAt(e.clock.Now()))), 200, "")
			wantFetches(t, e, 1)
			e.clock.Add(time.Second)
			e.wantStatus(e.bearer(sign(t, k, claimsAt(e.clock.Now()))), 200, "")
			wantFetches(t, e, 2)
		})
	}
}

func TestKeysTTL(t *testing.T) {
	for cc, want := range map[string]time.Duration{
		"":                         defaultKeysTTL,
		"max-age=600":              10 * time.Minute,
		"Max-Age=\"600\", private": 10 * time.Minute,
		"max-age=abc":              defaultKeysTTL,
		"max-age=-5":               defaultKeysTTL,
		"max-age=0":                minKeysTTL,
		"max-age=99999999999999":   maxKeysTTL,
		"max-age=600, no-cache":    minKeysTTL,
	} {
		if got := keysTTL([]string{cc}); got != want {
			t.Errorf("%q: %v, want %v", cc, got, want)
		}
	}
}

// TestIdentityProviderDown: expired keys stay in use while the provider fails, and the
// provider is asked again at most once per refreshInterval.
func TestIdentityProviderDown(t *testing.T) {
	k1, k2 := rsaKey(t, 0, "k1", jose.RS256), ecKey(t, 1, "k2", jose.ES384)
	e := newEnv(t, []signingKey{k1}, nil)
	e.wantStatus(e.bearer(sign(t, k1, claimsAt(e.clock.Now()))), 200, "")

	e.idp.set(func(p *idp) { p.down = true })
	e.clock.Add(defaultKeysTTL + time.Second)
	e.wantStatus(e.bearer(sign(t, k1, claimsAt(e.clock.Now()))), 200, "")
	wantFetches(t, e, 2)
	e.clock.Add(refreshInterval - time.Second)
	e.wantStatus(e.bearer(sign(t, k1, claimsAt(e.clock.Now()))), 200, "")
	wantFetches(t, e, 2)
	e.clock.Add(2 * time.Second)
	e.wantStatus(e.bearer(sign(t, k1, claimsAt(e.clock.Now()))), 200, "")
	wantFetches(t, e, 3)

	// Back up with rotated keys.
	e.idp.set(func(p *idp) { p.down, p.keys = false, []signingKey{k2} })
	e.clock.Add(refreshInterval + time.Second)
	e.wantStatus(e.bearer(sign(t, k2, claimsAt(e.clock.Now()))), 200, "")
	wantFetches(t, e, 4)
}

// TestIdentityProviderDownFromStart: without keys every token is refused, and the provider
// is retried after coldRetry.
func TestIdentityProviderDownFromStart(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	e.idp.set(func(p *idp) { p.down = true })
	tok := sign(t, k, claimsAt(e.clock.Now()))
	w := e.bearer(tok)
	e.wantStatus(w, 401, "UNAUTHORIZED")
	// The client is not told its token matched no key: no key could be fetched.
	if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, "the token could not be verified") {
		t.Errorf("WWW-Authenticate %q", got)
	}
	e.wantStatus(e.bearer(tok), 401, "UNAUTHORIZED")
	wantFetches(t, e, 1)
	e.idp.set(func(p *idp) { p.down = false })
	e.clock.Add(coldRetry)
	e.wantStatus(e.bearer(tok), 200, "")
	wantFetches(t, e, 2)
}

// TestReloadKeepsKeys: the handler built for the next configuration uses the keys fetched
// for the previous one.
func TestReloadKeepsKeys(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	tok := sign(t, k, claimsAt(e.clock.Now()))
	e.wantStatus(e.bearer(tok), 200, "")
	e.h = e.build(routeWith(jwtAuthorizer(e.idp.URL+"/jwks.json"), "pets:read"))
	e.wantStatus(e.bearer(sign(t, k, claimsAt(e.clock.Now(), "scope", "pets:read"))), 200, "")
	wantFetches(t, e, 1)
}

// TestConcurrentColdFetch: requests arriving before any key was fetched share one fetch.
func TestConcurrentColdFetch(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	tok := sign(t, k, claimsAt(e.clock.Now()))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if c, err := verify(tok, e.a.sets.get(e.idp.URL+"/jwks.json")); err != nil || c.subject != "alice" {
				t.Errorf("verify: %v", err)
			}
		})
	}
	wg.Wait()
	wantFetches(t, e, 1)
}

// TestKeysWithoutKid: keys published without a kid verify tokens with or without one.
func TestKeysWithoutKid(t *testing.T) {
	k := rsaKey(t, 0, "", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	e.wantStatus(e.bearer(sign(t, k, claimsAt(e.clock.Now()))), 200, "")
	named := k
	named.jwk.KeyID = "some-kid"
	e.wantStatus(e.bearer(sign(t, named, claimsAt(e.clock.Now()))), 200, "")
	e.wantStatus(e.bearer(sign(t, rsaKey(t, 1, "", jose.RS256), claimsAt(e.clock.Now()))), 401, "UNAUTHORIZED")
	wantFetches(t, e, 1)
}

func TestParseJWKS(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	pub, err := k.jwk.Public().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ecKey(t, 0, "k2", jose.ES256).jwk.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"keys":[` + string(pub) + `,` + string(priv) +
		`,{"kty":"oct","kid":"s","k":"c2VjcmV0"}` +
		`,{"kty":"OKP","crv":"X25519","kid":"x","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}` +
		`,{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}` +
		`,{"kty":"weird"}]}`
	ks, err := parseJWKS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(ks.all) != 2 || len(ks.byKid["k1"]) != 1 || len(ks.byKid["k2"]) != 1 || !ks.byKid["k2"][0].IsPublic() {
		t.Errorf("keys %+v", ks.byKid)
	}
	for _, bad := range []string{"", "{", `{"keys":[]}`, `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`} {
		if _, err := parseJWKS([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
