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
	"encoding/hex"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

func TestEntryEncoding(t *testing.T) {
	for _, e := range []*entry{
		{status: 200, header: fields(map[string][]string{})},
		{status: 204, header: fields(map[string][]string{"X-Empty": {""}, "X-Two": {"a", "b\tc"}})},
		{status: 200, header: fields(map[string][]string{"Content-Type": {"application/json"}}), body: []byte(`{"id":7}`)},
		{status: 299, header: fields(map[string][]string{"X-Big": {strings.Repeat("v", 1000)}}), body: bytes.Repeat([]byte{0, 0xff}, MaxItemBytes/2-1000-5)},
	} {
		got, err := decodeEntry(encodeEntry(e))
		if err != nil {
			t.Fatalf("%d %v: %v", e.status, e.header, err)
		}
		// The decoded entry is charged as a captured one is, and never less than its content.
		if got.status != e.status || !reflect.DeepEqual(got.header, e.header) || !bytes.Equal(got.body, e.body) ||
			got.size != charge(got.header, got.body) || got.size < charge(e.header, e.body) {
			t.Errorf("round trip of %d: got %v, %d body bytes, size %d; want %v, %d body bytes, size %d",
				e.status, got.header, len(got.body), got.size, e.header, len(e.body), charge(e.header, e.body))
		}
	}
}

// fields is a header map's fields as an entry keeps them, sorted by name.
func fields(m map[string][]string) []field {
	out := make([]field, 0, len(m))
	for k, vs := range m {
		out = append(out, field{Name: k, Values: vs})
	}
	httpsyntax.SortFields(out)
	return out
}

// Earlier releases wrote an entry's fields in map order: they read back sorted, as a
// captured entry keeps them, and encode again in that order.
func TestDecodeUnsortedFields(t *testing.T) {
	// Status 200 is the uvarint 200, 1.
	b := []byte{entryVersion, 200, 1, 2, 1, 'b', 1, 1, '2', 1, 'a', 1, 1, '1', 0}
	e, err := decodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []field{{Name: "a", Values: []string{"1"}}, {Name: "b", Values: []string{"2"}}}
	if !reflect.DeepEqual(e.header, want) {
		t.Fatalf("header %v, want %v", e.header, want)
	}
	if again := encodeEntry(e); !bytes.Equal(again, []byte{entryVersion, 200, 1, 2, 1, 'a', 1, 1, '1', 1, 'b', 1, 1, '2', 0}) {
		t.Fatalf("encoded again as %v", again)
	}
}

// Whatever the cache could not have stored decodes to an error, never to an entry.
func TestDecodeRejects(t *testing.T) {
	good := encodeEntry(&entry{status: 200, header: fields(map[string][]string{"X-A": {"1"}}), body: []byte("body")})
	if _, err := decodeEntry(good); err != nil {
		t.Fatal(err)
	}
	enc := func(status int, header map[string][]string, body []byte) []byte {
		return encodeEntry(&entry{status: status, header: fields(header), body: body})
	}
	cases := map[string][]byte{
		"empty":          nil,
		"other version":  append([]byte{2}, good[1:]...),
		"trailing bytes": append(bytes.Clone(good), 0),
		"not 2xx":        enc(500, nil, nil),
		"no status":      {entryVersion},
		"header name":    enc(200, map[string][]string{"X-A\r\nX-B": {"1"}}, nil),
		"empty name":     enc(200, map[string][]string{"": {"1"}}, nil),
		"header value":   enc(200, map[string][]string{"X-A": {"1\r\nSet-Cookie: a=b"}}, nil),
		"too large":      enc(200, nil, make([]byte, MaxItemBytes+1)),
		"huge count":     {entryVersion, 200, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge body":      {entryVersion, 200, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"duplicate name": {entryVersion, 200, 1, 2, 1, 'a', 0, 1, 'a', 0, 0},
		// Fields are sorted once read: duplicates apart in the bytes are found too.
		"duplicate apart": {entryVersion, 200, 1, 3, 1, 'b', 0, 1, 'a', 0, 1, 'b', 0, 0},
	}
	for i := range len(good) {
		cases["truncated "+string(rune('a'+i))] = good[:i]
	}
	for name, b := range cases {
		if e, err := decodeEntry(b); err == nil {
			t.Errorf("%s: decoded to %d %v %q", name, e.status, e.header, e.body)
		}
	}
}

// FuzzDecodeEntry: whatever Redis holds under a cache key, decoding never panics, and what it
// accepts is an entry the cache could have stored, which encodes back to the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(&entry{status: 200, header: fields(map[string][]string{"Content-Type": {"text/plain"}}), body: []byte("hi")}))
	f.Add(encodeEntry(&entry{status: 204, header: fields(map[string][]string{})}))
	f.Add([]byte{entryVersion, 200, 1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		if e.status < 200 || e.status > 299 || e.size > MaxItemBytes {
			t.Fatalf("accepted status %d size %d", e.status, e.size)
		}
		for _, f := range e.header {
			if !validName(f.Name) {
				t.Fatalf("accepted header name %q", f.Name)
			}
			for _, v := range f.Values {
				if !validValue(v) {
					t.Fatalf("accepted header value %q", v)
				}
			}
		}
		// One header at most: with more, the bytes may hold them in another order than the
		// sorted one entries keep.
		if len(e.header) <= 1 {
			if again := encodeEntry(e); !bytes.Equal(again, b) {
				t.Fatalf("re-encoded %x, read %x", again, b)
			}
		}
	})
}

// fakeShared is a map behind a lock, for the step's logic without Redis (the Redis
// implementation is tested against a real server in package rediscache).
type fakeShared struct {
	mu       sync.Mutex
	values   map[string][]byte
	ttls     map[string]time.Duration
	gets     int
	onDelete []func(string)
}

func newFakeShared() *fakeShared {
	return &fakeShared{values: map[string][]byte{}, ttls: map[string]time.Duration{}}
}

func (s *fakeShared) Get(_ context.Context, key string) ([]byte, time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	v, ok := s.values[key]
	return v, s.ttls[key], ok
}

func (s *fakeShared) Set(_ context.Context, key string, value []byte, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[key], s.ttls[key] = value, ttl
}

func (s *fakeShared) Delete(_ context.Context, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.values, key)
	delete(s.ttls, key)
}

func (s *fakeShared) OnDelete(f func(string)) { s.onDelete = append(s.onDelete, f) }

// deleted tells every store that another replica deleted key.
func (s *fakeShared) deleted(key string) {
	for _, f := range s.onDelete {
		f(key)
	}
}

// A local hit never asks the shared level; a local miss asks it once, and its answer is
// served without the backend.
func TestSharedLevel(t *testing.T) {
	shared := newFakeShared()
	f := newFixture()
	f.store = NewStore(StoreOptions{Now: f.clock.Now, Shared: shared})
	f.step = NewStep(f.store, Options{Registerer: f.reg})
	b := &backend{}
	r := route("/pets", getOnly, "querystring.id")
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)

	expect(t, call(t, h, r, "GET", "/pets?id=1"), 200, "body 1", "Miss")
	if shared.gets != 1 || len(shared.values) != 1 {
		t.Fatalf("after a miss: %d gets, %d values", shared.gets, len(shared.values))
	}
	for k, ttl := range shared.ttls {
		if !strings.HasPrefix(k, "ns/prod:ns/pets:") || ttl != 300*time.Second {
			t.Errorf("shared key %q ttl %v", k, ttl)
		}
	}
	for range 3 {
		expect(t, call(t, h, r, "GET", "/pets?id=1"), 200, "body 1", "Hit")
	}
	if shared.gets != 1 {
		t.Errorf("local hits asked the shared level: %d gets", shared.gets)
	}

	// Another proxy's entry, with 10s left there.
	other := NewStore(StoreOptions{Now: f.clock.Now, Shared: shared})
	h2 := NewStep(other, Options{})
	hb, err := h2(&proxy.Route{Stage: stageSnap("ns/prod", "pets"), Route: r, Variant: proxy.VariantStable}, b)
	if err != nil {
		t.Fatal(err)
	}
	for k := range shared.ttls {
		shared.ttls[k] = 10 * time.Second
	}
	expect(t, call(t, hb, r, "GET", "/pets?id=1"), 200, "body 1", "Hit")
	f.clock.Advance(11 * time.Second)
	if _, n := other.Bytes("ns/prod", "ns/pets"); n != 1 {
		t.Fatalf("%d entries", n)
	}
	clear(shared.values)
	expect(t, call(t, hb, r, "GET", "/pets?id=1"), 200, "body 2", "Miss")

	// An invalidation deletes the shared entry; another replica's deletion drops the local one.
	// (The stage lets anyone invalidate: who may is invalidate_test.go's matter.)
	open := stageSnap("ns/prod", "pets")
	open.Cache.RequireAuthorizationForCacheControl = false
	expect(t, call(t, f.build(t, open, r, proxy.VariantStable, b), r, "GET", "/pets?id=1", maxAge0), 200, "body 3", "Miss")
	keys := slicesOf(shared.values)
	if len(keys) != 1 {
		t.Fatalf("shared keys %v", keys)
	}
	for _, bad := range []string{"", "x", "ns/prod:ns/pets:zz", "ns/prod:ns/pets:" + hex.EncodeToString(make([]byte, 31)), "other:ns/pets:" + keys[0][len("ns/prod:ns/pets:"):]} {
		shared.deleted(bad)
	}
	for _, s := range []*Store{f.store, other} {
		if _, n := s.Bytes("ns/prod", "ns/pets"); n != 1 {
			t.Fatalf("a key of no entry dropped one: %d entries", n)
		}
	}
	shared.deleted(keys[0])
	for _, s := range []*Store{f.store, other} {
		if _, n := s.Bytes("ns/prod", "ns/pets"); n != 0 {
			t.Fatalf("%d entries after another replica's invalidation", n)
		}
	}
}

func slicesOf(m map[string][]byte) []string {
	var out []string
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	return out
}

// A cached HEAD, from the shared level too, has headers and no body.
func TestSharedHead(t *testing.T) {
	shared := newFakeShared()
	f := newFixture()
	f.store = NewStore(StoreOptions{Now: f.clock.Now, Shared: shared})
	f.step = NewStep(f.store, Options{Registerer: f.reg})
	b := &backend{}
	r := route("/pets", getOnly)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, b)
	w := call(t, h, r, http.MethodHead, "/pets")
	other := NewStore(StoreOptions{Now: f.clock.Now, Shared: shared})
	hb, err := NewStep(other, Options{})(&proxy.Route{Stage: stageSnap("ns/prod", "pets"), Route: r, Variant: proxy.VariantStable}, b)
	if err != nil {
		t.Fatal(err)
	}
	w2 := call(t, hb, r, http.MethodHead, "/pets")
	if w2.Header().Get(HeaderCache) != "Hit" || w2.Body.Len() != 0 || w2.Header().Get("X-Backend") != "yes" || b.calls.Load() != 1 || w.Code != w2.Code {
		t.Fatalf("HEAD from the shared level: %d %v %q after %d calls", w2.Code, w2.Header(), w2.Body, b.calls.Load())
	}
}
