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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// Shared is a second cache level that every proxy replica reads and writes (Redis, in
// package rediscache), behind each proxy's own LRU: a local miss looks there before calling
// the backend, a filled entry is written there too, so that N replicas call the backend once
// per key and TTL instead of N times. Values are entries encoded by this package; keys are
// namespaced per stage and API. An implementation swallows its errors (counting and logging
// them): a shared level that cannot answer is a miss, never a failed request.
type Shared interface {
	// Get returns the value stored under key and the time it has left; ok is false when
	// there is none, or the shared level cannot answer.
	Get(ctx context.Context, key string) (value []byte, ttl time.Duration, ok bool)
	// Set stores value under key for ttl, so that every replica drops it at the same moment.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration)
	// Delete drops the value under key, for Cache-Control: max-age=0, and tells the other
	// replicas, whose own levels may hold a copy.
	Delete(ctx context.Context, key string)
	// OnDelete registers f, called with the key of each entry another replica deleted, so
	// that this replica's own level drops its copy too. Each Store registers itself.
	OnDelete(f func(key string))
}

// dropShared drops this proxy's copy of the entry a shared key names: another replica
// invalidated it. A key of no cache here names nothing.
func (s *Store) dropShared(key string) {
	rest, hexKey, ok := cutLast(key, ':')
	stage, api, ok2 := strings.Cut(rest, ":")
	var k [32]byte
	if !ok || !ok2 || hex.DecodedLen(len(hexKey)) != len(k) {
		return
	}
	if _, err := hex.Decode(k[:], []byte(hexKey)); err != nil {
		return
	}
	s.mu.Lock()
	c := s.caches[cacheID{stage, api}].Value()
	s.mu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.hashed[k]; ok {
		c.remove(el)
	}
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// sharedKey is the shared level's key of the entry whose key has SHA-256 sum in this stage
// cache: "<stage key>:<api>:<hex of sum>". Stage keys and API names are Kubernetes names and
// never hold a colon, so no two caches write the same key.
func (c *stageCache) sharedKey(sum [32]byte) string {
	b := make([]byte, 0, len(c.sharedPrefix)+hex.EncodedLen(len(sum)))
	b = append(b, c.sharedPrefix...)
	return string(hex.AppendEncode(b, sum[:]))
}

// fromShared returns the shared level's live entry of key, with the time it has left there
// as its local lifetime, so that every replica drops it at the same moment; nil on a miss, an
// entry that does not decode, or when invalidate asks for a fresh answer, in which case the
// shared entry is deleted. Called by the leader of f, a local miss of key, only: its
// followers wait. It hashes key into f, for finish and toShared: local hits never hash.
func (c *stageCache) fromShared(ctx context.Context, key []byte, f *flight, invalidate bool) *entry {
	if c.shared == nil {
		return nil
	}
	f.sum = sha256.Sum256(key)
	if invalidate {
		c.shared.Delete(ctx, c.sharedKey(f.sum))
		return nil
	}
	value, ttl, ok := c.shared.Get(ctx, c.sharedKey(f.sum))
	if !ok || ttl <= 0 {
		return nil
	}
	e, err := decodeEntry(value)
	if err != nil {
		return nil
	}
	now := c.now()
	e.expires = now.Add(ttl)
	// Stored by another replica: its age is the backend's Date's (the layout keeps no time
	// of its own), never in the future.
	e.stored = now
	for _, f := range e.header {
		if f.Name == "Date" && len(f.Values) > 0 {
			if t, err := http.ParseTime(f.Values[0]); err == nil && t.Before(now) {
				e.stored = t
			}
		}
	}
	return e
}

// toShared writes e to the shared level for the time it has left.
func (c *stageCache) toShared(ctx context.Context, e *entry) {
	if c.shared == nil {
		return
	}
	if ttl := e.expires.Sub(c.now()); ttl > 0 {
		c.shared.Set(ctx, c.sharedKey(e.sum), encodeEntry(e), ttl)
	}
}

// entryVersion starts every encoded entry: a proxy ignores entries of a layout it does not
// know (a newer or older release sharing the Redis during an upgrade) as misses.
const entryVersion = 1

// encodeEntry lays out e as: version byte, status, header count, then each header's name,
// value count and values, then the body; integers as uvarints, strings and the body with
// their length first.
func encodeEntry(e *entry) []byte {
	b := make([]byte, 0, 16+len(e.body)+64*len(e.header))
	b = append(b, entryVersion)
	b = binary.AppendUvarint(b, uint64(e.status))
	b = binary.AppendUvarint(b, uint64(len(e.header)))
	for _, f := range e.header {
		b = appendString(b, f.Name)
		b = binary.AppendUvarint(b, uint64(len(f.Values)))
		for _, v := range f.Values {
			b = appendString(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(e.body)))
	return append(b, e.body...)
}

var errCorrupt = errors.New("cache entry does not decode")

// decodeEntry reads what encodeEntry wrote, and only what the cache could have stored: a 2xx
// status, valid header names and values, at most MaxItemBytes in all, nothing left over.
// Anything else (a corrupt value, another program's key, another layout) is an error, so that
// it is a miss.
func decodeEntry(b []byte) (*entry, error) {
	d := decoder{b: b}
	if d.byte() != entryVersion {
		return nil, errCorrupt
	}
	e := &entry{status: int(d.uvarint())}
	content := 0 // what MaxItemBytes caps: header names and values, and the body
	if e.status < 200 || e.status > 299 {
		return nil, errCorrupt
	}
	// A header takes at least two bytes: an upper bound that no corrupt count can exceed
	// the allocation of.
	n := d.count(2)
	e.header = make([]field, 0, n)
	for range n {
		k := d.string()
		if !validName(k) {
			return nil, errCorrupt
		}
		vs := make([]string, d.count(1))
		for i := range vs {
			vs[i] = d.string()
			if !validValue(vs[i]) {
				return nil, errCorrupt
			}
			content += len(vs[i])
		}
		e.header = append(e.header, field{Name: k, Values: vs})
		content += len(k)
	}
	// Sorted as a captured entry is; earlier releases wrote fields in map order.
	httpsyntax.SortFields(e.header)
	for i := 1; i < len(e.header); i++ {
		if e.header[i].Name == e.header[i-1].Name {
			return nil, errCorrupt
		}
	}
	body := d.bytes()
	content += len(body)
	if d.err || len(d.b) != 0 || content > MaxItemBytes {
		return nil, errCorrupt
	}
	if len(body) > 0 {
		// A copy: the body would otherwise keep the whole value alive, headers included,
		// which its charge does not count.
		e.body = bytes.Clone(body)
	}
	e.size = charge(e.header, e.body)
	return e, nil
}

// decoder reads an encoded entry; the first read past the end sets err and reads zeros.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	// binary.Uvarint also reads padded encodings (0x81 0x00 for 1); encodeEntry writes none,
	// and a value that reads back otherwise than it was written is not one of ours.
	if n <= 0 || (n > 1 && d.b[n-1] == 0) {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of items taking at least least bytes each, 0 when the rest cannot hold
// them.
func (d *decoder) count(least int) int {
	v := d.uvarint()
	if v > uint64(len(d.b)/least) {
		d.err, d.b = true, nil
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err, d.b = true, nil
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) string() string { return string(d.bytes()) }

// validName reports whether s is an HTTP header field name (a token): a corrupt name must
// not reach the client's connection, where it could split the response.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ':' || c == '(' || c == ')' || c == ',' || c == '/' || c == ';' ||
			c == '<' || c == '=' || c == '>' || c == '?' || c == '@' || c == '[' || c == '\\' || c == ']' ||
			c == '{' || c == '}' || c == '"' {
			return false
		}
	}
	return true
}

// validValue reports whether s may be an HTTP header field value: no control character but
// the tab.
func validValue(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
