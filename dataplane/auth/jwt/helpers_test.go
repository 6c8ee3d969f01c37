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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

const (
	testIssuer   = "https://idp.example.com/"
	testAudience = "pets"
)

// clock is a settable clock: tests move time instead of sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// signingKey is a private key with the kid and algorithm its tokens carry.
type signingKey struct {
	jwk jose.JSONWebKey
	alg jose.SignatureAlgorithm
}

// Keys are generated once: RSA generation is slow under the race detector.
var (
	keysOnce sync.Once
	rsaKeys  [3]*rsa.PrivateKey
	ecKeys   [2]*ecdsa.PrivateKey // P-256, P-384
)

func genKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		for i := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[i] = k
		}
		var err error
		if ecKeys[0], err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if ecKeys[1], err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

func rsaKey(t testing.TB, i int, kid string, alg jose.SignatureAlgorithm) signingKey {
	genKeys(t)
	return signingKey{jwk: jose.JSONWebKey{Key: rsaKeys[i], KeyID: kid, Algorithm: string(alg), Use: "sig"}, alg: alg}
}

func ecKey(t testing.TB, i int, kid string, alg jose.SignatureAlgorithm) signingKey {
	genKeys(t)
	return signingKey{jwk: jose.JSONWebKey{Key: ecKeys[i], KeyID: kid, Algorithm: string(alg), Use: "sig"}, alg: alg}
}

// sign returns a compact JWT with claims, signed by k.
func sign(t testing.TB, k signingKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.jwk}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := josejwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// idp is an identity provider's JWKS endpoint whose keys, Cache-Control and availability
// tests change, and which counts its requests.
type idp struct {
	*httptest.Server
	mu           sync.Mutex
	keys         []signingKey
	cacheControl string
	down         bool
	requests     atomic.Int64
}

func newIDP(t testing.TB, keys ...signingKey) *idp {
	p := &idp{keys: keys}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.requests.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		set := jose.JSONWebKeySet{}
		for _, k := range p.keys {
			set.Keys = append(set.Keys, k.jwk.Public())
		}
		if p.cacheControl != "" {
			w.Header().Set("Cache-Control", p.cacheControl)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *idp) set(f func(p *idp)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// claimsAt are valid claims for a token issued at now.
func claimsAt(now time.Time, extra ...any) map[string]any {
	c := map[string]any{
		"iss": testIssuer, "aud": testAudience, "sub": "alice",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == nil {
			delete(c, extra[i].(string))
			continue
		}
		c[extra[i].(string)] = extra[i+1]
	}
	return c
}

// jwtAuthorizer is the authorizer the tests' routes name.
func jwtAuthorizer(jwksURI string, sources ...string) *xdsv1alpha1.Authorizer {
	return &xdsv1alpha1.Authorizer{
		Name: "jwt", Type: "JWT", IdentitySources: sources,
		Jwt: &xdsv1alpha1.Jwt{Issuer: testIssuer, Audiences: []string{testAudience}, JwksUri: jwksURI},
		// The compiler's default.
		ResultTtlSeconds: 300,
	}
}

func routeWith(az *xdsv1alpha1.Authorizer, scopes ...string) *proxy.Route {
	return &proxy.Route{
		API: &xdsv1alpha1.Api{Protocol: "HTTP", Authorizers: []*xdsv1alpha1.Authorizer{az}},
		Route: &xdsv1alpha1.Route{Name: "pets", Path: "/pets", Methods: []string{"GET"},
			Authorization: &xdsv1alpha1.Authorization{Authorizer: az.GetName(), Scopes: scopes}},
		Variant: proxy.VariantStable,
	}
}

// env is an authenticator, its clock and identity provider, and one route's handler.
type env struct {
	rc    *reqctx.Request // the last request's
	t     testing.TB
	clock *clock
	idp   *idp
	a     *authenticator
	h     http.Handler
	// last is the request context the next handler saw; nil when it was not called.
	last *reqctx.Request
}

func newEnv(t testing.TB, keys []signingKey, configure func(az *xdsv1alpha1.Authorizer), scopes ...string) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), idp: newIDP(t, keys...)}
	e.a = newAuthenticator(Options{Now: e.clock.Now, HTTPClient: e.idp.Client()})
	az := jwtAuthorizer(e.idp.URL + "/jwks.json")
	if configure != nil {
		configure(az)
	}
	e.h = e.build(routeWith(az, scopes...))
	return e
}

func (e *env) build(rt *proxy.Route) http.Handler {
	e.t.Helper()
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.last = reqctx.From(r.Context())
		_, _ = w.Write([]byte("ok"))
	})
	h, err := e.a.step(rt, next)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// do sends a request with the header pairs to the route's handler.
func (e *env) do(target string, headers ...string) *httptest.ResponseRecorder {
	e.last = nil
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	e.rc = &reqctx.Request{ID: "req-1"}
	r = r.WithContext(reqctx.With(r.Context(), e.rc))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// bearer sends token in the Authorization header.
func (e *env) bearer(token string) *httptest.ResponseRecorder {
	return e.do("/pets", "Authorization", "Bearer "+token)
}

// wantStatus checks a response's status and, for a refusal, its gateway response type.
func (e *env) wantStatus(w *httptest.ResponseRecorder, status int, errorType string) {
	e.t.Helper()
	if w.Code != status {
		e.t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if got := w.Header().Get("X-Portico-Error-Type"); got != errorType {
		e.t.Fatalf("error type %q, want %q", got, errorType)
	}
	if status == http.StatusOK && (e.last == nil || !e.last.Authorizer.Authorized) {
		e.t.Fatalf("next not called with an authorized request: %+v", e.last)
	}
	if status != http.StatusOK && e.last != nil {
		e.t.Fatal("next called for a refused request")
	}
}
