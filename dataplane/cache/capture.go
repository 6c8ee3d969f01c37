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
	"encoding/binary"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

// capture passes a response through to the client while keeping a copy of it, up to
// MaxItemBytes: a large response streams as it would without the cache, and is not stored.
// It flushes and unwraps, so that streaming through http.ResponseController keeps working.
type capture struct {
	http.ResponseWriter
	// before is the header as the steps before the cache left it (the request id, a
	// warning): only what the backend's side adds is stored.
	before http.Header
	status int
	header []field
	body   []byte
	// size is the stored headers' bytes, names and values: with the body's, what
	// MaxItemBytes caps.
	size      int64
	capturing bool
	failed    bool
}

func newCapture(w http.ResponseWriter) *capture {
	return &capture{ResponseWriter: w, before: w.Header().Clone()}
}

func (c *capture) WriteHeader(code int) {
	// Informational responses go out before the final one and are not part of it.
	if c.status == 0 && code >= 200 {
		c.status = code
		c.start()
	}
	c.ResponseWriter.WriteHeader(code)
}

// start decides, once the final headers are known, whether the response may be stored.
func (c *capture) start() {
	hdr := c.Header()
	if c.status < 200 || c.status > 299 || !storable(hdr) {
		return
	}
	// What the steps before the cache set is not stored, nor X-Cache: counted first, so
	// that the entry holds no room it does not use.
	keep := func(k string, v []string) bool { return k != HeaderCache && !slices.Equal(v, c.before[k]) }
	n := 0
	for k, v := range hdr {
		if keep(k, v) {
			n++
		}
	}
	c.header = make([]field, 0, n)
	for k, v := range hdr {
		if !keep(k, v) {
			continue
		}
		// Copies: the backend's names and values are cut from memory its connection shares
		// among several answers (upstream's blocks), which an entry kept for hours would hold.
		values := make([]string, len(v))
		for i, s := range v {
			values[i] = strings.Clone(s)
			c.size += int64(len(s))
		}
		c.header = append(c.header, field{Name: strings.Clone(k), Values: values})
		c.size += int64(len(k))
	}
	httpsyntax.SortFields(c.header)
	if c.size > MaxItemBytes {
		return
	}
	c.capturing = true
	if n, err := strconv.ParseInt(hdr.Get("Content-Length"), 10, 64); err == nil && n > 0 && n+c.size <= MaxItemBytes {
		c.body = make([]byte, 0, n)
	}
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	n, err := c.ResponseWriter.Write(b)
	if err != nil {
		c.failed = true
	}
	if c.capturing {
		if c.size+int64(len(c.body))+int64(n) > MaxItemBytes {
			c.capturing, c.body = false, nil
		} else {
			c.body = append(c.body, b[:n]...)
		}
	}
	return n, err
}

// Flush sends buffered data to the client.
func (c *capture) Flush() {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(c.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// entry returns the captured response as an entry, or nil when it must not be stored: not
// cacheable, too large, or possibly incomplete (the client left, a write failed, the
// integration recorded an error, or the body is shorter than its Content-Length).
func (c *capture) entry(r *http.Request, rc *reqctx.Request) *entry {
	if !c.capturing || c.failed || r.Context().Err() != nil || rc.Integration.Error != "" {
		return nil
	}
	if cl := c.Header().Get("Content-Length"); cl != "" && r.Method != http.MethodHead {
		if n, err := strconv.ParseInt(cl, 10, 64); err != nil || n != int64(len(c.body)) {
			return nil
		}
	}
	switch {
	case r.Method == http.MethodHead:
		// A server drops what a handler writes for HEAD; so does the cache.
		c.body = nil
	case cap(c.body)-len(c.body) > len(c.body)/8:
		// A body of unknown length grew by appending and may hold up to twice what it
		// uses, which the entry would keep for its lifetime: one copy on a miss makes
		// the memory the entry takes what it is charged.
		c.body = slices.Clone(c.body)
	}
	return &entry{status: c.status, header: c.header, body: c.body, size: charge(c.header, c.body)}
}

// storable reports whether a shared cache may keep a response with these headers: not when
// the backend forbids it (no-store, private), nor when it sets a cookie, which would hand one
// client's session to every other, nor with trailers, which the capture does not keep.
func storable(h http.Header) bool {
	if len(h.Values("Set-Cookie")) > 0 || len(h.Values("Trailer")) > 0 {
		return false
	}
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(name, "no-store") || strings.EqualFold(name, "private") {
				return false
			}
		}
	}
	return true
}

// maxAgeZero reports whether a request's Cache-Control asks for a fresh answer.
func maxAgeZero(values []string) bool {
	for _, v := range values {
		for d := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(name, "max-age") && strings.Trim(arg, `"`) == "0" {
				return true
			}
		}
	}
	return false
}

// param is one cache key parameter: where it is read from and its name.
type param struct {
	full, source, name string
}

// The caller identities a cache key parameter may name, beyond AWS's request values, so that
// a route behind an authorizer or an API key can keep one answer per caller.
const (
	// ParamPrincipal is $context.authorizer.principalId: the authorizer's principal.
	ParamPrincipal = "context.authorizer.principalId"
	// ParamAPIKeyID is $context.identity.apiKeyId: the API key the request was accepted with.
	ParamAPIKeyID = "context.identity.apiKeyId"
)

// compileParams sorts a route's cache key parameters, so that their order in the Route does
// not change keys, and splits them into source and name. A context parameter other than the
// caller identities above is an error: it would silently key nothing.
func compileParams(in []string) ([]param, error) {
	out := make([]param, 0, len(in))
	for _, p := range in {
		source, name, _ := strings.Cut(p, ".")
		switch source {
		case "header":
			name = http.CanonicalHeaderKey(name)
		case "path", "querystring":
		case "context":
			if p != ParamPrincipal && p != ParamAPIKeyID {
				return nil, fmt.Errorf("cache key parameter %q: the context values are %s and %s", p, ParamPrincipal, ParamAPIKeyID)
			}
		default:
			return nil, fmt.Errorf("cache key parameter %q: its source is none of path, querystring, header and context", p)
		}
		out = append(out, param{full: p, source: source, name: name})
	}
	slices.SortFunc(out, func(a, b param) int { return strings.Compare(a.full, b.full) })
	return slices.CompactFunc(out, func(a, b param) bool { return a.full == b.full }), nil
}

// appendKey appends to b what identifies a response: method, resource path, the cache key
// parameters' values and the canary variant when it keeps its own entries. Every part is
// written with its length, so that no two different keys write the same bytes. The bytes
// themselves are the local level's key, compared whole: hashing them cost a hit more than
// the rest of its lookup, and a hash would have to be collision-free to keep entries apart.
// Their SHA-256 names the shared level's entries (sharedKey), so these bytes must not change
// (TestSharedKeyStable).
func (h *handler) appendKey(b []byte, r *http.Request, rc *reqctx.Request) []byte {
	b = appendString(b, r.Method)
	b = appendString(b, h.path)
	b = appendString(b, h.variant)
	b = binary.AppendVarint(b, h.revision)
	b = appendString(b, h.apiDigest)
	var query map[string][]string
	for _, p := range h.params {
		b = appendString(b, p.full)
		var values []string
		switch p.source {
		case "path":
			if v, ok := rc.Params.Get(p.name); ok {
				values = []string{v}
			}
		case "querystring":
			if query == nil {
				query = r.URL.Query()
			}
			values = query[p.name]
		case "header":
			values = r.Header[p.name]
		case "context":
			// The step serves only requests the authorization steps let through (see
			// ServeHTTP), so these are the verified caller's, never a client's claim.
			v := rc.APIKeyID
			if p.full == ParamPrincipal {
				v = rc.Authorizer.PrincipalID
			}
			values = []string{v}
		}
		b = binary.AppendUvarint(b, uint64(len(values)))
		for _, v := range values {
			b = appendString(b, v)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}
