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

// Package apikey is the API key step: a route with apiKeyRequired admits only a request
// that presents a key of a usage plan bound to the stage, read from the x-api-key header or,
// with apiKeySource AUTHORIZER, from the usageIdentifierKey an authorizer returned.
//
// The configuration only ever carries SHA-256 digests of keys (the compiler hashes them and
// drops disabled ones), so the step hashes what the client presents and looks the digest up.
// A key that matched is then remembered by its value, for its stage's index only, so that
// the next requests presenting it skip the hash (see index.seen for the trade-off). Key
// values are never logged or recorded; only the key's id (its Secret's name) is, in
// reqctx.Request.APIKeyID, for the usage plan step, the access log and usage reports.
package apikey

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/puzpuzpuz/xsync/v4"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// Header is the request header a HEADER key source reads.
const Header = "X-Api-Key"

// Key sources of Api.api_key_source.
const (
	SourceHeader     = "HEADER"
	SourceAuthorizer = "AUTHORIZER"
)

// entry is one key a stage accepts.
type entry struct {
	id     string
	plan   string
	digest [sha256.Size]byte
}

// index is the keys of one stage's usage plans: by digest, as configured, and by value once
// presented.
type index struct {
	byDigest map[[sha256.Size]byte]*entry
	// seen maps the value of every key that has matched a digest to its entry, so that a key
	// presented again costs a map lookup instead of a SHA-256 (on the request path, that hash
	// was most of what a key costs). The trade-off: the clear values of the keys in use stay
	// in the proxy's memory for as long as this index serves (until the stage's next
	// configuration), where before they went with their request. They still never leave the
	// process: not logged, not in /config, not sent anywhere. What keeps it safe otherwise:
	//   - only a value whose SHA-256 matched a configured digest enters, so seen holds at most
	//     one entry per configured key, whatever clients send: unknown keys cannot grow it;
	//   - identity is decided by the whole value: the map compares the full string after its
	//     hash, there is no truncated or non-cryptographic hash deciding acceptance;
	//   - a key disabled or removed disappears with the index, which the configuration that
	//     drops it replaces;
	//   - unknown keys still take the hash-and-compare path. The map's own compare can only
	//     meet a configured key's value when the per-process seeded hash lands the probe next
	//     to it, which a client cannot aim at, so it leaks no usable timing.
	// Written once per key, then only read, from every core, without a lock; xsync's typed
	// map rather than sync.Map, which hashed and compared the value as an interface.
	seen *xsync.Map[string, *entry]
}

// buildIndex indexes the keys of every plan bound to stage. A key listed in several plans of
// one stage (which the controller refuses) belongs to the first, so that the choice is stable.
func buildIndex(stage *xdsv1alpha1.StageSnapshot) (*index, error) {
	n := 0
	for _, plan := range stage.GetUsagePlans() {
		n += len(plan.GetKeys())
	}
	idx := &index{byDigest: make(map[[sha256.Size]byte]*entry, n), seen: xsync.NewMap[string, *entry]()}
	for _, plan := range stage.GetUsagePlans() {
		for _, k := range plan.GetKeys() {
			var d [sha256.Size]byte
			// Length first: hex.Decode writes past d for a longer string.
			if len(k.GetSha256()) != 2*sha256.Size {
				return nil, fmt.Errorf("usage plan %q: API key %q has no valid SHA-256 digest", plan.GetName(), k.GetId())
			}
			if _, err := hex.Decode(d[:], []byte(k.GetSha256())); err != nil {
				// The digest is the id's business only: never print it either.
				return nil, fmt.Errorf("usage plan %q: API key %q has no valid SHA-256 digest", plan.GetName(), k.GetId())
			}
			if k.GetId() == "" {
				return nil, fmt.Errorf("usage plan %q: an API key has no id", plan.GetName())
			}
			if _, dup := idx.byDigest[d]; !dup {
				idx.byDigest[d] = &entry{id: k.GetId(), plan: plan.GetName(), digest: d}
			}
		}
	}
	return idx, nil
}

// lookup returns the entry of the key value presented, or nil: from seen when the value
// matched before, else by its digest.
func (idx *index) lookup(value string) *entry {
	if e, ok := idx.seen.Load(value); ok {
		return e
	}
	e := idx.verify(value)
	if e != nil {
		// A copy: the header's string may share memory with the rest of the request.
		idx.seen.LoadOrStore(strings.Clone(value), e)
	}
	return e
}

// verify returns the entry whose digest is the SHA-256 of value, or nil.
//
// The digest is the snapshot's SHA-256: a cheaper keyed hash would make acceptance rest on
// something other than the stored SHA-256. With the SHA extensions it costs ~150 ns for a key
// of up to 55 bytes (one block), once per key and index thanks to seen.
func (idx *index) verify(value string) *entry {
	sum := sum256(value)
	e := idx.byDigest[sum]
	if e == nil {
		return nil
	}
	// The map lookup already compared digests; the constant-time check of the full digest
	// keeps the acceptance decision itself free of data-dependent timing whatever the map's
	// implementation does.
	if subtle.ConstantTimeCompare(sum[:], e.digest[:]) != 1 {
		return nil
	}
	return e
}

// sum256 is the SHA-256 of value. Keys of usual length are copied to the stack rather than to
// a heap buffer that would linger until collected, and the copy is wiped: a value that does
// not match (a wrong or stale key) leaves no heap copy behind; only matched keys are kept, in
// index.seen. (The hash's own state, on the stack too, may still hold its last block until
// overwritten; the header's string is the server's and goes with the request.)
func sum256(value string) [sha256.Size]byte {
	if len(value) > maxStackKey {
		return sha256.Sum256([]byte(value))
	}
	var buf [maxStackKey]byte
	n := copy(buf[:], value)
	sum := sha256.Sum256(buf[:n])
	clear(buf[:n])
	return sum
}

// maxStackKey is the longest key sum256 hashes without a heap copy; AWS keys are 20 to 128
// characters.
const maxStackKey = 128

// indexKey names the stage's key index in its proxy.Scope: one index per stage build,
// shared by its routes.
type indexKey struct{}

// NewStep returns the API key step. Place it after the authorizers, since a key source of
// AUTHORIZER reads what an authorizer returned, and before the usage plan step, which reads
// the key id it records. A route without apiKeyRequired gets next unchanged; an API whose key
// source is neither HEADER nor AUTHORIZER fails the configuration.
func NewStep() proxy.Step {
	return func(rt *proxy.Route, next http.Handler) (http.Handler, error) {
		if !rt.Route.GetAuthorization().GetApiKeyRequired() {
			return next, nil
		}
		fromAuthorizer := false
		switch src := rt.API.GetApiKeySource(); src {
		case "", SourceHeader:
		case SourceAuthorizer:
			fromAuthorizer = true
		default:
			return nil, fmt.Errorf("route %q: API key source %q is not supported (HEADER or AUTHORIZER)", rt.Route.GetName(), src)
		}
		v, err := rt.Scope.Once(indexKey{}, func() (any, error) { return buildIndex(rt.Stage) })
		if err != nil {
			return nil, err
		}
		idx := v.(*index)
		return proxy.Handler(rt, func(w http.ResponseWriter, r *http.Request) error {
			rc := reqctx.From(r.Context())
			if rc == nil {
				// Nowhere to record the key: refuse rather than let the route through.
				return gatewayresponse.Refuse(gatewayresponse.InvalidAPIKey)
			}
			var value string
			if fromAuthorizer {
				value = rc.Authorizer.UsageIdentifierKey
			} else if rc.KeySelected {
				value = rc.SelectedAPIKey
			} else if vs := r.Header[Header]; len(vs) > 0 {
				// Header.Get less its canonicalization of a name that is canonical already.
				value = vs[0]
			}
			var e *entry
			if value != "" {
				e = idx.lookup(value)
			}
			if e == nil {
				return gatewayresponse.Refuse(gatewayresponse.InvalidAPIKey)
			}
			rc.APIKeyID, rc.APIKey = e.id, value
			next.ServeHTTP(w, r)
			return nil
		}), nil
	}
}

// PlanOf returns the name of the usage plan of stage that holds the key with id keyID, or ""
// when none does. A key is in at most one plan per stage; should several list it, the first
// wins, as it does for the step.
func PlanOf(stage *xdsv1alpha1.StageSnapshot, keyID string) string {
	if keyID == "" {
		return ""
	}
	for _, plan := range stage.GetUsagePlans() {
		for _, k := range plan.GetKeys() {
			if k.GetId() == keyID {
				return plan.GetName()
			}
		}
	}
	return ""
}
