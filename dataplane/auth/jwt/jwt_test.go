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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-logr/logr/funcr"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

func TestValidTokens(t *testing.T) {
	keys := []signingKey{
		rsaKey(t, 0, "rs256", jose.RS256), rsaKey(t, 0, "rs384", jose.RS384), rsaKey(t, 0, "rs512", jose.RS512),
		rsaKey(t, 1, "ps256", jose.PS256), ecKey(t, 0, "es256", jose.ES256), ecKey(t, 1, "es384", jose.ES384),
	}
	e := newEnv(t, keys, nil)
	for _, k := range keys {
		t.Run(string(k.alg), func(t *testing.T) {
			tok := sign(t, k, claimsAt(e.clock.Now(), "email", "alice@example.com", "groups", []string{"a", "b"}, "admin", true,
				"big", json.RawMessage("12345678901234567890"), "ratio", 0.5, "org", map[string]any{"id": 7}, "nothing", json.RawMessage("null")))
			w := e.bearer(tok)
			e.wantStatus(w, 200, "")
			a := e.last.Authorizer
			if a.PrincipalID != "alice" || a.Get("principalId") != "alice" {
				t.Errorf("principal %q", a.PrincipalID)
			}
			for k, want := range map[string]string{
				"claims.email": "alice@example.com", "claims.sub": "alice", "claims.iss": testIssuer,
				"claims.groups": "[a b]", "claims.admin": "true", "claims.big": "12345678901234567890",
				"claims.ratio": "0.5", "claims.org": `{"id":7}`, "claims.nothing": "",
				"claims.exp": formatUnix(e.clock.Now().Add(time.Hour)),
			} {
				if got := a.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
	if n := e.idp.requests.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}
}

func formatUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestValidityWindow(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, func(az *xdsv1alpha1.Authorizer) { az.Jwt.ClockSkewSeconds = 60 })
	now := e.clock.Now()

	// Expired: EXPIRED_TOKEN, which an API can answer apart; not yet valid: UNAUTHORIZED.
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "exp", now.Add(-2*time.Minute).Unix()))), 401, "EXPIRED_TOKEN")
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "nbf", now.Add(2*time.Minute).Unix()))), 401, "UNAUTHORIZED")
	// An expired token that does not verify, or names another issuer or audience, is not
	// one of this authorizer's: UNAUTHORIZED.
	expired := claimsAt(now, "exp", now.Add(-2*time.Minute).Unix())
	e.wantStatus(e.bearer(sign(t, rsaKey(t, 1, "k1", jose.RS256), expired)), 401, "UNAUTHORIZED")
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "exp", now.Add(-2*time.Minute).Unix(), "iss", "https://evil.example.com/"))), 401, "UNAUTHORIZED")
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "exp", now.Add(-2*time.Minute).Unix(), "aud", "cats"))), 401, "UNAUTHORIZED")
	// Within the leeway.
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "exp", now.Add(-30*time.Second).Unix()))), 200, "")
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "nbf", now.Add(30*time.Second).Unix()))), 200, "")
	// A token without exp, or with registered claims of the wrong type, is refused.
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "exp", nil))), 401, "UNAUTHORIZED")
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "exp", "tomorrow"))), 401, "UNAUTHORIZED")
	e.wantStatus(e.bearer(sign(t, k, claimsAt(now, "aud", 7))), 401, "UNAUTHORIZED")

	// Without leeway, a token expired a second ago is refused.
	e0 := newEnv(t, []signingKey{k}, nil)
	now = e0.clock.Now()
	e0.wantStatus(e0.bearer(sign(t, k, claimsAt(now, "exp", now.Add(-time.Second).Unix()))), 401, "EXPIRED_TOKEN")
	e0.wantStatus(e0.bearer(sign(t, k, claimsAt(now, "nbf", now.Add(time.Second).Unix()))), 401, "UNAUTHORIZED")
}

func TestIssuerAndAudience(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	now := e.clock.Now()
	for name, tc := range map[string]struct {
		claims map[string]any
		status int
	}{
		"wrong issuer":              {claimsAt(now, "iss", "https://evil.example.com/"), 401},
		"wrong audience":            {claimsAt(now, "aud", "cats"), 401},
		"audience list":             {claimsAt(now, "aud", []string{"cats", testAudience}), 200},
		"client_id without aud":     {claimsAt(now, "aud", nil, "client_id", testAudience), 200},
		"wrong client_id":           {claimsAt(now, "aud", nil, "client_id", "cats"), 401},
		"aud wins over client_id":   {claimsAt(now, "aud", "cats", "client_id", testAudience), 401},
		"neither aud nor client_id": {claimsAt(now, "aud", nil), 401},
	} {
		t.Run(name, func(t *testing.T) {
			want := ""
			if tc.status != 200 {
				want = "UNAUTHORIZED"
			}
			e.wantStatus(e.bearer(sign(t, k, tc.claims)), tc.status, want)
		})
	}
}

// A 401 tells the client why in WWW-Authenticate, as AWS's JWT authorizers do (RFC 6750):
// a bare Bearer challenge without a token, invalid_token with the check that refused one.
func TestChallenge(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	now := e.clock.Now()
	if got := e.do("/pets").Header().Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("no token: %q", got)
	}
	for claims, why := range map[string]string{
		"aud": errAudience.Error(), "iss": errIssuer.Error(), "exp": errExpired.Error(),
	} {
		c := claimsAt(now, claims, "cats")
		if claims == "exp" {
			c = claimsAt(now, "exp", now.Add(-time.Hour).Unix())
		}
		want := `Bearer scope="" error="invalid_token" error_description="` + why + `"`
		if got := e.bearer(sign(t, k, c)).Header().Get("WWW-Authenticate"); got != want {
			t.Errorf("%s: %q, want %q", claims, got, want)
		}
	}
	if got := e.bearer(sign(t, k, claimsAt(now))).Header().Get("WWW-Authenticate"); got != "" {
		t.Errorf("a valid token's answer has WWW-Authenticate %q", got)
	}
}

func TestBadSignature(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	now := e.clock.Now()
	// Signed by another key under the published kid.
	e.wantStatus(e.bearer(sign(t, rsaKey(t, 1, "k1", jose.RS256), claimsAt(now))), 401, "UNAUTHORIZED")
	// A payload changed after signing.
	parts := strings.Split(sign(t, k, claimsAt(now)), ".")
	other := strings.Split(sign(t, k, claimsAt(now, "sub", "mallory")), ".")
	e.wantStatus(e.bearer(parts[0]+"."+other[1]+"."+parts[2]), 401, "UNAUTHORIZED")
	// An algorithm the key is not for.
	e.wantStatus(e.bearer(sign(t, signingKey{jwk: jose.JSONWebKey{Key: rsaKeys[0], KeyID: "k1"}, alg: jose.RS512}, claimsAt(now))), 401, "UNAUTHORIZED")
	// Garbage.
	for _, tok := range []string{"x", "a.b.c", "..", strings.Repeat("a", maxTokenBytes+1)} {
		e.wantStatus(e.bearer(tok), 401, "UNAUTHORIZED")
	}
	// Without a kid, a token is not tried against the keys published with one (AWS
	// requires the kid); a key published without one verifies it.
	noKid := signingKey{jwk: jose.JSONWebKey{Key: rsaKeys[0], Algorithm: string(jose.RS256), Use: "sig"}, alg: jose.RS256}
	e.wantStatus(e.bearer(sign(t, noKid, claimsAt(now))), 401, "UNAUTHORIZED")
	anon := newEnv(t, []signingKey{noKid}, nil)
	anon.wantStatus(anon.bearer(sign(t, noKid, claimsAt(anon.clock.Now()))), 200, "")
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestAlgNoneAndHMACRefused(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	now := e.clock.Now()
	payload := b64(`{"iss":"` + testIssuer + `","aud":"pets","sub":"mallory","exp":` + formatUnix(now.Add(time.Hour)) + `}`)

	none := b64(`{"alg":"none","kid":"k1"}`) + "." + payload + "."
	e.wantStatus(e.bearer(none), 401, "UNAUTHORIZED")

	// HS256 with the provider's public key as the secret: the algorithm confusion attack.
	pub, err := (&jose.JSONWebKey{Key: &rsaKeys[0].PublicKey}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	input := b64(`{"alg":"HS256","kid":"k1"}`) + "." + payload
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(input))
	e.wantStatus(e.bearer(input+"."+base64.RawURLEncoding.EncodeToString(mac.Sum(nil))), 401, "UNAUTHORIZED")

	// HS256 signed by go-jose with some secret.
	hs := sign(t, signingKey{jwk: jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "k1"}, alg: jose.HS256}, claimsAt(now))
	e.wantStatus(e.bearer(hs), 401, "UNAUTHORIZED")
}

func TestIdentitySources(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	tok := sign(t, k, claimsAt(e.clock.Now()))

	e.wantStatus(e.do("/pets"), 401, "UNAUTHORIZED")
	e.wantStatus(e.do("/pets", "Authorization", ""), 401, "UNAUTHORIZED")
	e.wantStatus(e.do("/pets", "Authorization", "Bearer "), 401, "UNAUTHORIZED")
	e.wantStatus(e.do("/pets", "Authorization", tok), 200, "")
	e.wantStatus(e.do("/pets", "Authorization", "Bearer "+tok), 200, "")
	e.wantStatus(e.do("/pets", "Authorization", "bearer  "+tok), 200, "")
	e.wantStatus(e.do("/pets", "Authorization", "BeArEr "+tok), 200, "")
	e.wantStatus(e.do("/pets?token="+tok), 401, "UNAUTHORIZED")

	q := newEnv(t, []signingKey{k}, func(az *xdsv1alpha1.Authorizer) {
		az.IdentitySources = []string{"$request.querystring.token"}
	})
	q.wantStatus(q.do("/pets?token="+tok), 200, "")
	q.wantStatus(q.do("/pets", "Authorization", "Bearer "+tok), 401, "UNAUTHORIZED")

	x := newEnv(t, []signingKey{k}, func(az *xdsv1alpha1.Authorizer) { az.IdentitySources = []string{"$request.header.x-id-token"} })
	x.wantStatus(x.do("/pets", "X-Id-Token", tok), 200, "")
	x.wantStatus(x.do("/pets", "Authorization", tok), 401, "UNAUTHORIZED")
}

func TestScopes(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil, "pets:read", "pets:admin")
	now := e.clock.Now()
	for name, tc := range map[string]struct {
		claims map[string]any
		status int
		typ    string
	}{
		"scope string":   {claimsAt(now, "scope", "openid pets:read"), 200, ""},
		"scp string":     {claimsAt(now, "scp", "pets:admin"), 200, ""},
		"scp array":      {claimsAt(now, "scp", []string{"openid", "pets:admin"}), 200, ""},
		"other scopes":   {claimsAt(now, "scope", "pets:write openid"), 403, "ACCESS_DENIED"},
		"no scope":       {claimsAt(now), 403, "ACCESS_DENIED"},
		"scope as array": {claimsAt(now, "scope", []string{"pets:read"}), 403, "ACCESS_DENIED"},
		"invalid token":  {claimsAt(now, "scope", "pets:read", "iss", "x"), 401, "UNAUTHORIZED"},
	} {
		t.Run(name, func(t *testing.T) {
			w := e.bearer(sign(t, k, tc.claims))
			e.wantStatus(w, tc.status, tc.typ)
			if tc.status == 403 && w.Body.String() != `{"message":"Forbidden"}` { // AWS's JWT authorizers'
				t.Errorf("body %s", w.Body)
			}
		})
	}
	// Without route scopes, a token needs none.
	open := newEnv(t, []signingKey{k}, nil)
	open.wantStatus(open.bearer(sign(t, k, claimsAt(now))), 200, "")
}

func TestVerificationCache(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	now := e.clock.Now()
	tok := sign(t, k, claimsAt(now, "exp", now.Add(time.Minute).Unix()))
	for range 3 {
		e.wantStatus(e.bearer(tok), 200, "")
	}
	if n := e.a.verifications.Load(); n != 1 {
		t.Errorf("%d verifications, want 1", n)
	}
	// The cached result still expires with the token.
	e.clock.Add(2 * time.Minute)
	e.wantStatus(e.bearer(tok), 401, "EXPIRED_TOKEN")
	// A failed verification is not cached.
	bad := sign(t, rsaKey(t, 1, "k1", jose.RS256), claimsAt(now))
	e.bearer(bad)
	e.bearer(bad)
	if n := e.a.verifications.Load(); n != 3 {
		t.Errorf("%d verifications, want 3", n)
	}
	// Only the verified token is cached.
	if e.a.results.len() != 1 {
		t.Errorf("%d cached results", e.a.results.len())
	}
	// The lookup is by the whole token: the cached token with a character of its signature,
	// header or payload changed, cut short or extended, is verified (and refused), not
	// served from the cache.
	for _, forged := range []string{flip(tok, len(tok)-2), flip(tok, 3), flip(tok, strings.Index(tok, ".")+3), tok[:len(tok)-1], tok + "A"} {
		e.wantStatus(e.bearer(forged), 401, "UNAUTHORIZED")
	}
	if n := e.a.verifications.Load(); n != 3+5 {
		t.Errorf("%d verifications, want 8", n)
	}
}

// An authorizer takes a cached verification for resultTtlSeconds, then verifies the token
// again; with 0 it verifies every request. A key the provider withdrew stops admitting the
// tokens it signed once their verifications are that old.
func TestVerificationCacheTTL(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, func(az *xdsv1alpha1.Authorizer) { az.ResultTtlSeconds = 60 })
	tok := sign(t, k, claimsAt(e.clock.Now()))
	e.wantStatus(e.bearer(tok), 200, "")
	e.clock.Add(59 * time.Second)
	e.wantStatus(e.bearer(tok), 200, "")
	if n := e.a.verifications.Load(); n != 1 {
		t.Errorf("%d verifications within the TTL, want 1", n)
	}
	e.clock.Add(time.Second)
	e.wantStatus(e.bearer(tok), 200, "")
	if n := e.a.verifications.Load(); n != 2 {
		t.Errorf("%d verifications once the TTL passed, want 2", n)
	}
	// Verified again, the entry's age starts over.
	e.clock.Add(30 * time.Second)
	e.wantStatus(e.bearer(tok), 200, "")
	if n := e.a.verifications.Load(); n != 2 {
		t.Errorf("%d verifications, want 2: the new verification is cached", n)
	}

	// The provider withdraws the key, and the JWKS is read again past its lifetime: the
	// token, still cached, is refused once its verification is older than the TTL. An
	// authorizer of a longer TTL sharing the key set still takes the cached verification:
	// the reader's TTL decides.
	long := jwtAuthorizer(e.idp.URL + "/jwks.json")
	long.ResultTtlSeconds = 3600
	lh := e.build(routeWith(long))
	e.idp.set(func(p *idp) { p.keys = []signingKey{rsaKey(t, 1, "k2", jose.RS256)} })
	e.clock.Add(defaultKeysTTL + time.Minute)
	e.wantStatus(e.bearer(tok), 401, "UNAUTHORIZED")
	e.h = lh
	e.wantStatus(e.bearer(tok), 200, "")

	// 0: every request is verified, and nothing is cached.
	z := newEnv(t, []signingKey{k}, func(az *xdsv1alpha1.Authorizer) { az.ResultTtlSeconds = 0 })
	tok = sign(t, k, claimsAt(z.clock.Now()))
	for range 3 {
		z.wantStatus(z.bearer(tok), 200, "")
	}
	if n := z.a.verifications.Load(); n != 3 {
		t.Errorf("resultTtlSeconds 0: %d verifications for 3 requests, want 3", n)
	}
	if n := z.a.results.len(); n != 0 {
		t.Errorf("resultTtlSeconds 0: %d cached results, want 0", n)
	}
}

// Requests presenting one token at the same time, before it is cached, verify it once and
// share the outcome: a valid token's claims, and an invalid one's refusal.
func TestVerificationSingleFlight(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	h, err := e.a.step(routeWith(jwtAuthorizer(e.idp.URL+"/jwks.json")), next)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	// The first verification waits until all n requests are in verifyOnce.
	e.a.verifyHook = func() {
		for deadline := time.Now().Add(time.Minute); e.a.waiting.Load() < n && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	for _, tc := range []struct {
		name   string
		token  string
		status int
	}{
		{"valid", sign(t, k, claimsAt(e.clock.Now())), http.StatusOK},
		{"invalid", sign(t, rsaKey(t, 1, "k1", jose.RS256), claimsAt(e.clock.Now())), http.StatusUnauthorized},
	} {
		before := e.a.verifications.Load()
		codes := make(chan int, n)
		for range n {
			go func() {
				r := httptest.NewRequest(http.MethodGet, "/pets", nil)
				r.Header.Set("Authorization", "Bearer "+tc.token)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				codes <- w.Code
			}()
		}
		for range n {
			if code := <-codes; code != tc.status {
				t.Errorf("%s token: status %d, want %d", tc.name, code, tc.status)
			}
		}
		if got := e.a.verifications.Load() - before; got != 1 {
			t.Errorf("%s token: %d verifications for %d requests at once, want 1", tc.name, got, n)
		}
	}
}

// flip changes the base64url character of s at i to another one.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// Without a configured clock, a token is judged at its request's arrival.
func TestRequestTime(t *testing.T) {
	a := newAuthenticator(Options{})
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := a.requestTime(&reqctx.Request{Start: start}); !got.Equal(start) {
		t.Errorf("requestTime = %v, want the request's start", got)
	}
	if got := a.requestTime(&reqctx.Request{}); time.Since(got) > time.Minute {
		t.Errorf("requestTime without a start = %v, want now", got)
	}
	if got := a.requestTime(nil); time.Since(got) > time.Minute {
		t.Errorf("requestTime without a request context = %v, want now", got)
	}
	clocked := newAuthenticator(Options{Now: func() time.Time { return start }})
	if got := clocked.requestTime(&reqctx.Request{Start: start.Add(time.Hour)}); !got.Equal(start) {
		t.Errorf("requestTime with a clock = %v, want the clock's", got)
	}
}

// TestVerificationCacheScope: a token verified for one authorizer is not accepted by another
// trusting other keys, nor by one with other audiences, because it is in the cache.
func TestVerificationCacheScope(t *testing.T) {
	k1, k2 := rsaKey(t, 0, "k1", jose.RS256), rsaKey(t, 1, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k1}, nil)
	tok := sign(t, k1, claimsAt(e.clock.Now()))
	e.wantStatus(e.bearer(tok), 200, "")

	other := newIDP(t, k2)
	e.h = e.build(routeWith(jwtAuthorizer(other.URL)))
	e.wantStatus(e.bearer(tok), 401, "UNAUTHORIZED")

	cats := jwtAuthorizer(e.idp.URL + "/jwks.json")
	cats.Jwt.Audiences = []string{"cats"}
	e.h = e.build(routeWith(cats))
	e.wantStatus(e.bearer(tok), 401, "UNAUTHORIZED")
	if n := e.a.verifications.Load(); n != 2 {
		t.Errorf("%d verifications, want 2: the audience check runs on the cached claims", n)
	}
}

// shardKeys returns n distinct keys of c's first shard.
func shardKeys(c *resultCache, n, size int) []cacheKey {
	var keys []cacheKey
	for i := 0; len(keys) < n; i++ {
		// The distinct part last, where shard looks.
		tok := strconv.Itoa(i)
		tok = strings.Repeat("t", max(size-len(tok), 0)) + tok
		if k := (cacheKey{token: tok}); c.shard(tail(k.token)) == &c.shards[0] {
			keys = append(keys, k)
		}
	}
	return keys
}

func TestResultCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newResultCache()
	now := time.Now()
	cl := &claims{exp: now.Add(time.Hour).Unix()}
	per := cacheEntries / cacheShards
	keys := shardKeys(c, per+1, 20)
	for _, k := range keys[:per] {
		c.put(k, cl, now)
	}
	c.get(keys[0], now, time.Hour) // 0 is now the most recently used; 1 the least
	c.put(keys[per], cl, now)
	if c.get(keys[0], now, time.Hour) == nil || c.get(keys[1], now, time.Hour) != nil || c.get(keys[per], now, time.Hour) == nil {
		t.Error("LRU order not kept")
	}
	if c.len() != per {
		t.Errorf("%d entries, want %d", c.len(), per)
	}
	if c.get(keys[2], now.Add(time.Hour+cacheGrace+time.Second), time.Hour) != nil || c.len() != per-1 {
		t.Error("entry past its expiry kept")
	}
}

// An entry is found by its token's tail, and is the token's only when all of it and its key
// set are equal: a token that ends as a cached one does, or the cached token sent to an
// authorizer of another key set, finds nothing; once verified, it takes the tail's entry.
func TestResultCacheTailIsNoIdentity(t *testing.T) {
	c := newResultCache()
	now := time.Now()
	end := strings.Repeat("s", 8) // the tail
	cached := cacheKey{set: &keySet{}, token: "header.alice." + end}
	alice := &claims{subject: "alice", exp: now.Add(time.Hour).Unix()}
	c.put(cached, alice, now)
	forged := cacheKey{set: cached.set, token: "header.mallory." + end}
	otherSet := cacheKey{set: &keySet{}, token: cached.token}
	if got := c.get(forged, now, time.Hour); got != nil {
		t.Fatalf("a token ending as a cached one got its claims (%s)", got.subject)
	}
	if got := c.get(otherSet, now, time.Hour); got != nil {
		t.Fatalf("a token cached for one key set got its claims for another (%s)", got.subject)
	}
	if c.get(cached, now, time.Hour) != alice {
		t.Fatal("the cached token no longer found")
	}
	bob := &claims{subject: "bob", exp: now.Add(time.Hour).Unix()}
	c.put(otherSet, bob, now)
	if c.get(otherSet, now, time.Hour) != bob || c.get(cached, now, time.Hour) != nil || c.len() != 1 {
		t.Errorf("the tail's entry not replaced: %d entries", c.len())
	}
}

// The tokens a shard holds stay within its share of cacheBytes, and the copies of evicted
// tokens are wiped.
func TestResultCacheBoundsBytesAndWipes(t *testing.T) {
	c := newResultCache()
	now := time.Now()
	cl := &claims{exp: now.Add(time.Hour).Unix()}
	per := cacheBytes / cacheShards / maxTokenBytes
	keys := shardKeys(c, per+1, maxTokenBytes)
	for _, k := range keys[:per] {
		c.put(k, cl, now)
	}
	s := &c.shards[0]
	oldest := s.order.Back().Value.(*cacheEntry).key.token
	if s.order.Len() != per || s.bytes != per*maxTokenBytes {
		t.Fatalf("%d entries of %d bytes, want %d", s.order.Len(), s.bytes, per)
	}
	c.put(keys[per], cl, now)
	if s.order.Len() != per || s.bytes > cacheBytes/cacheShards || c.get(keys[0], now, time.Hour) != nil || c.get(keys[per], now, time.Hour) == nil {
		t.Fatalf("%d entries of %d bytes after one more", s.order.Len(), s.bytes)
	}
	if strings.Trim(oldest, "\x00") != "" {
		t.Error("the evicted token's copy was not wiped")
	}
	if keys[0].token == oldest || strings.Trim(keys[0].token, "\x00") == "" {
		t.Error("the cache kept the caller's string, or wiped it")
	}
}

// TestRefusalsLogged: refusals are logged at V(1) with their reason, never with the token.
func TestRefusalsLogged(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	var mu sync.Mutex
	var lines []string
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		lines = append(lines, args)
		mu.Unlock()
	}, funcr.Options{Verbosity: 1})
	e := newEnv(t, []signingKey{k}, nil)
	e.a.log = log
	tok := sign(t, k, claimsAt(e.clock.Now(), "iss", "https://evil.example.com/"))
	e.wantStatus(e.bearer(tok), 401, "UNAUTHORIZED")
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, errIssuer.Error()) || !strings.Contains(all, `"requestId"="req-1"`) {
		t.Errorf("log %s", all)
	}
	if strings.Contains(all, tok) || strings.Contains(all, strings.Split(tok, ".")[2]) {
		t.Error("token logged")
	}
	// Access logs' $context.authorizer.status and .error say why too.
	if a := e.rc.Authorizer; a.LogValue("status") != "401" || a.LogValue("error") != errIssuer.Error() {
		t.Errorf("authorizer status %q, error %q", a.LogValue("status"), a.LogValue("error"))
	}
}

func TestStepConfiguration(t *testing.T) {
	a := newAuthenticator(Options{})
	next := http.NotFoundHandler()
	same := func(h http.Handler) bool { _, ok := h.(http.HandlerFunc); return ok }

	az := jwtAuthorizer("https://idp.example.com/jwks.json")
	rt := routeWith(az)
	rt.Route.Authorization = nil
	if h, err := a.step(rt, next); err != nil || !same(h) {
		t.Errorf("route without authorizer: %T %v", h, err)
	}
	lambda := &xdsv1alpha1.Authorizer{Name: "jwt", Type: "TOKEN"}
	if h, err := a.step(routeWith(lambda), next); err != nil || !same(h) {
		t.Errorf("TOKEN authorizer: %T %v", h, err)
	}
	missing := routeWith(az)
	missing.Route.Authorization.Authorizer = "other"
	if _, err := a.step(missing, next); err == nil {
		t.Error("undefined authorizer accepted")
	}
	for name, f := range map[string]func(az *xdsv1alpha1.Authorizer){
		"no jwt":          func(az *xdsv1alpha1.Authorizer) { az.Jwt = nil },
		"bad jwks uri":    func(az *xdsv1alpha1.Authorizer) { az.Jwt.JwksUri = "file:///etc/passwd" },
		"negative skew":   func(az *xdsv1alpha1.Authorizer) { az.Jwt.ClockSkewSeconds = -1 },
		"stage variable":  func(az *xdsv1alpha1.Authorizer) { az.IdentitySources = []string{"$stageVariables.token"} },
		"empty header":    func(az *xdsv1alpha1.Authorizer) { az.IdentitySources = []string{"$request.header."} },
		"empty parameter": func(az *xdsv1alpha1.Authorizer) { az.IdentitySources = []string{"$request.querystring."} },
		// One token is read: a second source would look checked and be ignored.
		"two sources": func(az *xdsv1alpha1.Authorizer) {
			az.IdentitySources = []string{"$request.header.Authorization", "$request.querystring.token"}
		},
	} {
		az := jwtAuthorizer("https://idp.example.com/jwks.json")
		f(az)
		if _, err := a.step(routeWith(az), next); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
