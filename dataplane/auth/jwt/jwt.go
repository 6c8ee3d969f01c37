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

// Package jwt is the JWT authorizer step of the proxy: it verifies the bearer token of a
// request against the signing keys its identity provider publishes (a JWKS), checks the
// issuer, audience, validity window and the route's scopes as Amazon API Gateway's JWT
// authorizers do, and records the caller's claims as $context.authorizer.claims.*.
//
// What outlives a configuration lives in the Step's constructor: the JWKS cache, keyed by
// jwks_uri, so that a reload does not fetch keys again, and the cache of verified tokens, so
// that a client presenting the same token again costs a map lookup, not a signature
// verification. An authorizer's resultTtlSeconds bounds how long it takes a verification from
// that cache (0: it verifies every request), so that a key its provider withdrew stops
// admitting the tokens it signed within that time, as a function authorizer's cached answers
// end.
package jwt

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/httpsyntax"
	"github.com/portico-dev/portico/internal/mapping"
)

// Options configure the step.
type Options struct {
	// HTTPClient fetches the JWKS documents. Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock tokens and JWKS lifetimes are measured with. When nil, a token is
	// judged at the time the proxy received its request (reqctx.Request.Start), which it read
	// already, else time.Now; JWKS lifetimes use time.Now.
	Now func() time.Time
	// Log receives JWKS fetch errors, and refused requests at V(1). Tokens are never logged.
	Log logr.Logger
}

// authorizerType is the Authorizer type this step serves.
const authorizerType = mapping.AuthorizerJWT

// authenticator is the state a Step closes over, shared by every route and configuration.
type authenticator struct {
	now func() time.Time
	// clock is set when Options.Now was: tokens are then judged by it, not by the request's
	// start, so that tests control time.
	clock bool
	log   logr.Logger
	sets  *keySets
	// results caches verified tokens.
	results *resultCache
	// verifications counts signature verifications, for tests; waiting the requests in
	// verifyOnce; verifyHook, when set (tests), runs before each verification.
	verifications atomic.Int64
	waiting       atomic.Int64
	verifyHook    func()
}

// NewStep returns the JWT authorizer step. Routes whose authorizer is not a JWT authorizer
// are left to other steps; a route naming an authorizer its API does not define fails the
// configuration.
func NewStep(opts Options) proxy.Step { return newAuthenticator(opts).step }

func newAuthenticator(opts Options) *authenticator {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: fetchTimeout}
	}
	clock := opts.Now != nil
	if !clock {
		opts.Now = time.Now
	}
	return &authenticator{
		now:   opts.Now,
		clock: clock,
		log:   opts.Log,
		sets: &keySets{
			client: opts.HTTPClient, now: opts.Now, log: opts.Log,
			sets: map[string]*keySet{},
		},
		results: newResultCache(),
	}
}

// handler authorizes the requests of one route.
type handler struct {
	a      *authenticator
	next   http.Handler
	name   string // the authorizer's, for logs
	source identitySource
	set    *keySet
	policy policy
	// ttl is how old a cached verification the authorizer takes (resultTtlSeconds); zero
	// verifies every request.
	ttl    time.Duration
	scopes []string
	// invalidationScope is the stage's scope that lets a caller invalidate cache entries;
	// empty when no JWT caller may.
	invalidationScope string
}

func (a *authenticator) step(rt *proxy.Route, next http.Handler) (http.Handler, error) {
	auth := rt.Route.GetAuthorization()
	name := auth.GetAuthorizer()
	if name == "" {
		return next, nil
	}
	var az *xdsv1alpha1.Authorizer
	for _, x := range rt.API.GetAuthorizers() {
		if x.GetName() == name {
			az = x
			break
		}
	}
	if az == nil {
		return nil, fmt.Errorf("route %q names authorizer %q, which its API does not define", rt.Route.GetName(), name)
	}
	if az.GetType() != authorizerType {
		return next, nil
	}
	cfg := az.GetJwt()
	if _, err := mapping.JWKSURI(cfg.GetIssuer(), cfg.GetJwksUri()); err != nil {
		return nil, fmt.Errorf("authorizer %q: %w", name, err)
	}
	if cfg.GetClockSkewSeconds() < 0 {
		return nil, fmt.Errorf("authorizer %q: negative clock skew", name)
	}
	src, err := parseIdentitySource(az.GetIdentitySources())
	if err != nil {
		return nil, fmt.Errorf("authorizer %q: %w", name, err)
	}
	h := &handler{
		a:      a,
		next:   next,
		name:   name,
		source: src,
		set:    a.sets.get(cfg.GetJwksUri()),
		policy: policy{
			issuer:    cfg.GetIssuer(),
			audiences: cfg.GetAudiences(),
			leeway:    int64(cfg.GetClockSkewSeconds()),
		},
		ttl:               max(time.Duration(az.GetResultTtlSeconds())*time.Second, 0),
		scopes:            auth.GetScopes(),
		invalidationScope: rt.Stage.GetCache().GetInvalidationScope(),
	}
	return proxy.Handler(rt, h.serve), nil
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) error {
	rc := reqctx.From(r.Context())
	c, err := h.authenticate(r, h.a.requestTime(rc))
	switch {
	case errors.Is(err, errRepeated):
		_ = h.refuse(rc, gatewayresponse.BadRequestParameters, err)
		return gatewayresponse.RefuseRepeatedSource(h.source.name())
	case errors.Is(err, errExpired):
		// A token that verified and names this authorizer's issuer and audience, but too
		// late: EXPIRED_TOKEN, which an API can answer apart from other refusals (the same
		// 401 unless overridden), so that its clients know to refresh rather than log in.
		w.Header().Set("WWW-Authenticate", challenge(err))
		return h.refuse(rc, gatewayresponse.ExpiredToken, err)
	case err != nil:
		w.Header().Set("WWW-Authenticate", challenge(err))
		return h.refuse(rc, gatewayresponse.Unauthorized, err)
	}
	if !hasScope(c, h.scopes) {
		// 403 {"message":"Forbidden"}, as AWS's JWT authorizers answer a missing scope.
		_ = h.refuse(rc, gatewayresponse.AccessDenied, errScope)
		return gatewayresponse.RefuseMessage(gatewayresponse.AccessDenied, "Forbidden")
	}
	if rc != nil {
		// The context map is the cached claims', shared by every request with this token:
		// steps and integrations read it, none writes it.
		rc.Authorizer = reqctx.Authorizer{
			Authorized: true, PrincipalID: c.subject, Context: c.context, JWT: true, Scopes: c.scopes,
			// A JWT carries no policy: the stage names the scope that stands for
			// execute-api:InvalidateCache.
			InvalidateCache: h.invalidationScope != "" && slices.Contains(c.scopes, h.invalidationScope),
			Status:          http.StatusOK,
		}
	}
	h.next.ServeHTTP(w, r)
	return nil
}

// challenge is the WWW-Authenticate of a 401 for err, as AWS's JWT authorizers answer
// (RFC 6750): a bare "Bearer" without a token, else why the token was refused, in the words
// of the checks that refused it (nothing else, such as the JWKS endpoint's failure, is told).
func challenge(err error) string {
	if errors.Is(err, errMissing) {
		return "Bearer"
	}
	why := "the token could not be verified"
	for _, known := range []error{errMalformed, errNoKey, errSignature, errNoExpiry, errClaims, errIssuer, errAudience, errExpired, errNotBefore, errIssuedLater} {
		if errors.Is(err, known) {
			why = known.Error()
			break
		}
	}
	return `Bearer scope="" error="invalid_token" error_description="` + why + `"`
}

var (
	errMissing  = errors.New("no token in the identity source")
	errRepeated = errors.New("the identity source is repeated")
	errScope    = errors.New("token has none of the route's scopes")
)

// authenticate returns the claims of the request's token once it verified and satisfies the
// authorizer.
func (h *handler) authenticate(r *http.Request, now time.Time) (*claims, error) {
	token, err := h.source.token(r)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errMissing
	}
	if len(token) > maxTokenBytes {
		return nil, errMalformed
	}
	key := cacheKey{set: h.set, token: token}
	var c *claims
	if h.ttl > 0 {
		c = h.a.results.get(key, now, h.ttl)
	}
	if c == nil {
		var err error
		if c, err = h.a.verifyOnce(key, now, h.ttl); err != nil {
			return nil, err
		}
	}
	if err := h.policy.check(c, now); err != nil {
		return nil, err
	}
	return c, nil
}

// verifyOnce verifies k's token and caches its claims, once for the requests presenting it
// at the same time: the first verifies, the others wait for it and share its outcome, where
// each would have verified the token (a cold start, a key rotation, a token a whole fleet of
// clients shares). An invalid token's error is shared alike, and not cached. ttl is the
// first request's authorizer's: with zero, the claims are neither taken from the cache nor
// put in it.
func (a *authenticator) verifyOnce(k cacheKey, now time.Time, ttl time.Duration) (*claims, error) {
	a.waiting.Add(1)
	defer a.waiting.Add(-1)
	v, err, _ := k.set.verifying.Do(k.token, func() (any, error) {
		// A request that missed the cache just as the last verification landed in it.
		if ttl > 0 {
			if c := a.results.get(k, now, ttl); c != nil {
				return c, nil
			}
		}
		if a.verifyHook != nil {
			a.verifyHook()
		}
		a.verifications.Add(1)
		c, err := verify(k.token, k.set)
		if err != nil {
			return nil, err
		}
		if ttl > 0 && !c.stale(now.Unix()) {
			a.results.put(k, c, now)
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*claims), nil
}

// requestTime is the time a request's token is judged at: the request's arrival, which the
// proxy read already (a clock read costs as much as the rest of a cached token's checks), or
// the configured clock. Expiry and not-before are seconds; the microseconds between arrival
// and this step do not matter to them.
func (a *authenticator) requestTime(rc *reqctx.Request) time.Time {
	if !a.clock && rc != nil && !rc.Start.IsZero() {
		return rc.Start
	}
	return a.now()
}

// refuse logs why a request is refused, and returns the refusal.
func (h *handler) refuse(rc *reqctx.Request, t gatewayresponse.Type, why error) error {
	var id string
	if rc != nil {
		id = rc.ID
		// For access logs' $context.authorizer.status and .error: why, never the token.
		rc.Authorizer.Status, rc.Authorizer.Error = t.Status(), why.Error()
	}
	h.a.log.V(1).Info("JWT authorizer refused a request", "authorizer", h.name, "requestId", id, "reason", why.Error(), "response", t.String())
	return gatewayresponse.Refuse(t)
}

// identitySource is where a token is read: a header or a query string parameter.
type identitySource struct {
	header string // canonical header name; empty for a query string parameter
	query  string
}

// parseIdentitySource reads the first identity source, as Amazon API Gateway's JWT
// authorizers do, with the grammar the compiler checks Authorizers with (internal/mapping).
func parseIdentitySource(sources []string) (identitySource, error) {
	src, err := mapping.CheckIdentitySources(mapping.AuthorizerJWT, sources)
	if err != nil {
		return identitySource{}, err
	}
	if src[0].Kind == mapping.Header {
		return identitySource{header: src[0].Name}, nil
	}
	return identitySource{query: src[0].Name}, nil
}

// name is the header or query string parameter the token is read from.
func (s identitySource) name() string {
	if s.header != "" {
		return s.header
	}
	return s.query
}

// token returns the request's token, without the optional "Bearer " prefix; empty when
// there is none. A request carrying the identity source twice (two Authorization headers,
// ?token=a&token=b) fails with errRepeated: the proxy checks one and the backend may read
// the other.
func (s identitySource) token(r *http.Request) (string, error) {
	var vs []string
	if s.header != "" {
		vs = r.Header[s.header]
	} else {
		vs = r.URL.Query()[s.query]
	}
	if len(vs) == 0 {
		return "", nil
	}
	if len(vs) > 1 {
		// The token checked must be the only one the backend can read.
		return "", errRepeated
	}
	v := trimSpace(vs[0])
	// ASCII case folding: no other letter folds to one of "bearer" in Unicode either, and it
	// costs a tenth of strings.EqualFold.
	if len(v) > 7 && httpsyntax.EqualFoldASCII(v[:7], "bearer ") {
		v = trimSpace(v[7:])
	}
	return v, nil
}

// trimSpace is strings.TrimSpace, for less when there is nothing to trim, as for a header
// whose parser trimmed it already: a token's ends are printable ASCII.
func trimSpace(v string) string {
	if v == "" || v[0] <= ' ' || v[0] >= utf8.RuneSelf || v[len(v)-1] <= ' ' || v[len(v)-1] >= utf8.RuneSelf {
		return strings.TrimSpace(v)
	}
	return v
}
