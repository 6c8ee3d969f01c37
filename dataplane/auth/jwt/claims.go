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
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// algorithms are the signature algorithms accepted. "none" and the HMAC algorithms are not
// among them: an HMAC key would be the provider's shared secret, which a JWKS never
// publishes, and a verifier accepting HS256 with an RSA public key as the secret is the
// classic algorithm confusion attack.
var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.ES256, jose.ES384}

// maxTokenBytes bounds the tokens parsed: anything longer is refused before any decoding.
const maxTokenBytes = 16 << 10

// claims is what a verified token says, parsed once and shared read-only by every request
// presenting the same token.
type claims struct {
	issuer, subject, clientID string
	audience                  []string
	// exp and nbf are the token's NumericDates, seconds of Unix time; hasNBF is whether it
	// has nbf. Seconds, not time.Time: a request's checks compare them with its time's
	// seconds, where Time.Add and Time.After cost as much again.
	exp, nbf int64
	hasNBF   bool
	// iat, when hasIAT, is when the token says it was issued: AWS refuses one issued in
	// the future (beyond the leeway), as a clock that far off signs nothing trustworthy.
	iat    int64
	hasIAT bool
	scopes []string // from scope and scp
	// context is $context.authorizer.*: "claims.<name>" for every claim.
	context map[string]string
	// accepted is the last policy whose issuer and audiences these claims met, so that a
	// client repeating its token to one authorizer has them compared once: the claims are
	// fixed, and so is a policy (a reload makes new ones).
	accepted atomic.Pointer[policy]
}

var (
	errMalformed = errors.New("token is not a signed JWT with an accepted algorithm")
	errNoKey     = errors.New("no key of the JWKS matches the token")
	errNoJWKS    = errors.New("the authorizer's JWKS could not be fetched")
	errSignature = errors.New("token signature does not verify")
	errNoExpiry  = errors.New("token has no exp claim")
	errClaims    = errors.New("token claims are not a JSON object of valid registered claims")
)

// verify checks the token's signature against the keys of set and parses its claims. It
// does not check the claims' values, which depend on the authorizer.
func verify(token string, set *keySet) (*claims, error) {
	if len(token) > maxTokenBytes {
		return nil, errMalformed
	}
	tok, err := josejwt.ParseSigned(token, algorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, errMalformed
	}
	h := tok.Headers[0]
	candidates := set.lookup(h.KeyID)
	if len(candidates) == 0 {
		if set.current.Load() == nil {
			// No JWKS was ever fetched: the token is not to blame, and the challenge
			// does not say it is (errNoJWKS is not one of the reasons it tells).
			return nil, errNoJWKS
		}
		return nil, errNoKey
	}
	for i := range candidates {
		k := &candidates[i]
		if k.Algorithm != "" && k.Algorithm != h.Algorithm {
			continue
		}
		var payload josejson.RawMessage
		if err := tok.Claims(k.Key, &payload); err != nil {
			continue
		}
		return parseClaims(payload)
	}
	return nil, errSignature
}

// parseClaims reads a verified payload. Numbers are kept as written, so that a large
// integer claim reaches $context.authorizer.claims.* unchanged.
func parseClaims(payload []byte) (*claims, error) {
	var std josejwt.Claims
	if err := json.Unmarshal(payload, &std); err != nil {
		return nil, errClaims
	}
	var all map[string]any
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&all); err != nil || all == nil {
		return nil, errClaims
	}
	if std.Expiry == nil {
		return nil, errNoExpiry
	}
	c := &claims{
		issuer:   std.Issuer,
		subject:  std.Subject,
		audience: std.Audience,
		exp:      int64(*std.Expiry),
		context:  make(map[string]string, len(all)),
	}
	if std.NotBefore != nil {
		c.nbf, c.hasNBF = int64(*std.NotBefore), true
	}
	if std.IssuedAt != nil {
		c.iat, c.hasIAT = int64(*std.IssuedAt), true
	}
	if s, ok := all["client_id"].(string); ok {
		c.clientID = s
	}
	if s, ok := all["scope"].(string); ok {
		c.scopes = append(c.scopes, strings.Fields(s)...)
	}
	switch scp := all["scp"].(type) {
	case string:
		c.scopes = append(c.scopes, strings.Fields(scp)...)
	case []any:
		for _, s := range scp {
			if s, ok := s.(string); ok {
				c.scopes = append(c.scopes, s)
			}
		}
	}
	for name, v := range all {
		c.context[reqctx.ClaimPrefix+name] = claimString(v)
	}
	return c, nil
}

// claimString renders a claim as $context.authorizer.claims.<name>: strings as they are,
// numbers as written, arrays as AWS's JWT authorizers pass them ("[admin users]": the items
// in brackets, space-separated; functions written for AWS parse cognito:groups so), and
// objects as JSON.
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	case []any:
		b := []byte{'['}
		for i, item := range v {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, claimString(item)...)
		}
		return string(append(b, ']'))
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// policy is what one JWT authorizer requires of a token's claims.
type policy struct {
	issuer    string
	audiences []string
	leeway    int64 // seconds
}

var (
	errIssuer      = errors.New("token issuer is not the authorizer's")
	errAudience    = errors.New("token audience and client_id are not among the authorizer's audiences")
	errExpired     = errors.New("token expired")
	errNotBefore   = errors.New("token is not valid yet")
	errIssuedLater = errors.New("token issued in the future")
)

// check applies the authorizer's issuer, audiences and validity window to verified claims.
func (p *policy) check(c *claims, now time.Time) error {
	if c.accepted.Load() != p {
		if p.issuer != "" && c.issuer != p.issuer {
			return errIssuer
		}
		if len(p.audiences) > 0 && !p.audienceOK(c) {
			return errAudience
		}
		c.accepted.Store(p)
	}
	// now after exp + leeway, and now + leeway before nbf, in whole seconds and the
	// nanoseconds past now's: exp and nbf are whole seconds, and the leeway too. Neither
	// sum can overflow with exp or nbf on one side: now's seconds are this century's, and
	// the leeway an int32.
	sec := now.Unix()
	if late := sec - p.leeway; late > c.exp || late == c.exp && now.Nanosecond() > 0 {
		return errExpired
	}
	if c.hasNBF && sec+p.leeway < c.nbf {
		return errNotBefore
	}
	if c.hasIAT && sec+p.leeway < c.iat {
		return errIssuedLater
	}
	return nil
}

// stale reports whether claims are past their cache's grace at sec (Unix seconds): an
// entry is dropped then, and a token not cached. A second either way does not matter here:
// check decides whether a token is valid.
func (c *claims) stale(sec int64) bool { return sec-int64(cacheGrace/time.Second) > c.exp }

// audienceOK accepts a token whose aud names one of the audiences. As in Amazon API Gateway,
// client_id stands in for aud only when the token has no aud (Cognito's access tokens).
func (p *policy) audienceOK(c *claims) bool {
	if len(c.audience) == 0 {
		return c.clientID != "" && slices.Contains(p.audiences, c.clientID)
	}
	for _, a := range c.audience {
		if slices.Contains(p.audiences, a) {
			return true
		}
	}
	return false
}

// hasScope reports whether the token carries one of the route's scopes; a route without
// scopes needs none.
func hasScope(c *claims, routeScopes []string) bool {
	if len(routeScopes) == 0 {
		return true
	}
	for _, s := range c.scopes {
		if slices.Contains(routeScopes, s) {
			return true
		}
	}
	return false
}
