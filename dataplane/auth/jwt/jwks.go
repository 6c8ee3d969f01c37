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
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-logr/logr"
	"golang.org/x/sync/singleflight"
)

// JWKS caching bounds: an identity provider's Cache-Control max-age is honoured within
// [minKeysTTL, maxKeysTTL] so that a provider answering no-store is not fetched on every
// request and one answering a year still gets its rotations picked up daily.
const (
	defaultKeysTTL = 5 * time.Minute
	minKeysTTL     = time.Minute
	maxKeysTTL     = 24 * time.Hour
	// refreshInterval is the least time between two fetches of one JWKS: a token with an
	// unknown kid (a rotation, or garbage sent by anyone) must not let clients drive traffic
	// to the identity provider.
	refreshInterval = 30 * time.Second
	// coldRetry is the least time between fetches while no key was ever fetched: short, as
	// every request fails until then, but not zero, to spare a provider that is down.
	coldRetry = 5 * time.Second
	// fetchTimeout bounds one JWKS fetch; requests without usable keys wait for it.
	fetchTimeout = 10 * time.Second
	// maxJWKSBytes bounds a JWKS document.
	maxJWKSBytes = 1 << 20
)

// keys is one fetched JWKS: the signing keys by kid, and when to fetch again.
type keys struct {
	byKid   map[string][]jose.JSONWebKey
	all     []jose.JSONWebKey
	expires time.Time
}

// keySet is the cached JWKS of one jwks_uri, shared by every authorizer and configuration
// that names it.
type keySet struct {
	uri    string
	client *http.Client
	now    func() time.Time
	log    logr.Logger

	current atomic.Pointer[keys] // the last good keys; nil until a fetch succeeded
	fetches atomic.Int64         // JWKS requests made, for tests and logs

	mu          sync.Mutex
	inflight    chan struct{} // closed when the running fetch ends; nil when none runs
	nextAttempt time.Time     // no fetch starts before this

	// verifying runs one verification of a token against these keys at a time, keyed by
	// the token: the requests presenting it meanwhile share the result (authenticator.
	// verifyOnce).
	verifying singleflight.Group
}

// lookup returns the keys that may have signed a token with kid (every key when kid is
// empty). It fetches the JWKS when none is cached, when the cached one expired, or when kid
// is unknown, within the rate limits; it falls back on the last good keys when the fetch
// fails.
func (s *keySet) lookup(kid string) []jose.JSONWebKey {
	k := s.current.Load()
	if k == nil || !s.now().Before(k.expires) {
		k = s.refresh()
	}
	if k == nil {
		return nil
	}
	if found := k.find(kid); len(found) > 0 {
		return found
	}
	if k = s.refresh(); k == nil {
		return nil
	}
	return k.find(kid)
}

// find returns the keys a token with kid names: those with that kid, else the keys the
// provider published without a kid, which may sign any token (RFC 7517 makes kid optional).
// A token without a kid is tried against those alone, not against every key (AWS refuses
// it; trying each key would let anyone make the proxy verify one token many times).
func (k *keys) find(kid string) []jose.JSONWebKey {
	if kid != "" {
		if found := k.byKid[kid]; len(found) > 0 {
			return found
		}
	}
	return k.byKid[""]
}

// refresh fetches the JWKS unless a fetch ran less than the rate limit ago, and returns the
// keys to use. Concurrent callers share one fetch; those that hold keys already do not wait
// for it.
func (s *keySet) refresh() *keys {
	s.mu.Lock()
	if ch := s.inflight; ch != nil {
		s.mu.Unlock()
		if k := s.current.Load(); k != nil {
			return k
		}
		<-ch
		return s.current.Load()
	}
	if s.now().Before(s.nextAttempt) {
		s.mu.Unlock()
		return s.current.Load()
	}
	ch := make(chan struct{})
	s.inflight = ch
	s.mu.Unlock()

	k, err := s.fetch()

	s.mu.Lock()
	now := s.now()
	switch {
	case err == nil:
		s.current.Store(k)
		s.nextAttempt = now.Add(refreshInterval)
		s.log.V(1).Info("JWKS fetched", "jwksUri", s.uri, "keys", len(k.all), "expires", k.expires)
	case s.current.Load() != nil:
		s.nextAttempt = now.Add(refreshInterval)
		s.log.Error(err, "JWKS fetch failed; keeping the last good keys", "jwksUri", s.uri)
	default:
		s.nextAttempt = now.Add(coldRetry)
		s.log.Error(err, "JWKS fetch failed; no keys to verify tokens with", "jwksUri", s.uri)
	}
	s.inflight = nil
	close(ch)
	s.mu.Unlock()
	return s.current.Load()
}

// fetch gets and parses the JWKS. It does not use a request's context: the fetch serves
// every request waiting for it, and one client going away must not fail the others.
func (s *keySet) fetch() (*keys, error) {
	s.fetches.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS is larger than %d bytes", maxJWKSBytes)
	}
	k, err := parseJWKS(body)
	if err != nil {
		return nil, err
	}
	k.expires = s.now().Add(keysTTL(resp.Header.Values("Cache-Control")))
	return k, nil
}

// parseJWKS keeps the public RSA and EC signing keys of a JWKS. Keys are parsed one by one
// so that a key of a type this authorizer does not use (an encryption key, an OKP key, a
// symmetric key) does not discard the whole set.
func parseJWKS(body []byte) (*keys, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("JWKS is not JSON: %w", err)
	}
	k := &keys{byKid: map[string][]jose.JSONWebKey{}}
	for _, raw := range doc.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(raw); err != nil || (key.Use != "" && key.Use != "sig") {
			continue
		}
		if !key.IsPublic() {
			key = key.Public() // a provider publishing private keys still gets its tokens verified
		}
		switch key.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
		default:
			continue
		}
		k.all = append(k.all, key)
		k.byKid[key.KeyID] = append(k.byKid[key.KeyID], key)
	}
	if len(k.all) == 0 {
		return nil, errors.New("JWKS has no RSA or EC signing key")
	}
	return k, nil
}

// keysTTL is how long a JWKS is cached: its Cache-Control max-age within the bounds, no-store
// and no-cache being the least.
func keysTTL(cacheControl []string) time.Duration {
	ttl := defaultKeysTTL
	for _, line := range cacheControl {
		for _, d := range strings.Split(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return minKeysTTL
			case "max-age":
				if n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64); err == nil && n >= 0 {
					ttl = time.Duration(min(n, int64(maxKeysTTL/time.Second))) * time.Second
				}
			}
		}
	}
	return min(max(ttl, minKeysTTL), maxKeysTTL)
}

// keySets is the JWKS cache of a Step: one keySet per jwks_uri, kept across configurations
// so that a reload does not fetch keys again.
type keySets struct {
	client *http.Client
	now    func() time.Time
	log    logr.Logger

	mu   sync.Mutex
	sets map[string]*keySet
}

func (c *keySets) get(uri string) *keySet {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sets[uri]; ok {
		return s
	}
	s := &keySet{uri: uri, client: c.client, now: c.now, log: c.log}
	c.sets[uri] = s
	return s
}
