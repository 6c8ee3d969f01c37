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

package httpsyntax

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// The value bytes are httpguts' decisions, byte by byte.
func TestValueBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		if s := string([]byte{byte(c)}); valueByte[c] != httpguts.ValidHeaderFieldValue(s) {
			t.Errorf("value byte %#x: %v", c, valueByte[c])
		}
	}
}

// ValidValue's thirty-two, sixteen and eight bytes at a time against valueByte, for each
// byte at each place of a word, among neighbours that test the words' borrows; as a string
// (h1's) and as bytes (the upstream client's), around the lengths where each loop takes over.
func TestValidValue(t *testing.T) {
	for _, fill := range []byte{'a', ' ', 0x20, 0x21, 0x7e, 0x80, 0xff, '\t'} {
		for c := 0; c < 256; c++ {
			for at := 0; at < 65; at++ {
				b := bytes.Repeat([]byte{fill}, 65)
				b[at] = byte(c)
				if got := ValidValue(string(b)); got != valueByte[c] {
					t.Fatalf("ValidValue(%q) = %v", b, got)
				}
			}
		}
	}
	for _, fill := range []byte{'a', 0x80, 0xff, ' ', '\t', 0x7e, 0x21} {
		for n := 1; n <= 33; n++ {
			for i := range n {
				for c := range 256 {
					b := []byte(strings.Repeat(string(fill), n))
					b[i] = byte(c)
					want := true
					for _, c := range b {
						want = want && (c == ' ' || c == '\t' || c >= 0x21 && c != 0x7f)
					}
					if got := ValidValue(b); got != want {
						t.Fatalf("ValidValue(%q) = %v", b, got)
					}
				}
			}
		}
	}
}

// Canonicalize is textproto's canonical form, and the common names are their own.
func TestCanonicalize(t *testing.T) {
	for k := range commonKeys {
		if textproto.CanonicalMIMEHeaderKey(k) != k {
			t.Errorf("common name %q is not canonical", k)
		}
	}
	for _, k := range []string{"host", "HOST", "x-api-key", "x-unknown-thing", "x_y", "1a-b", "a--b", "-a",
		"www-authenticate", "X-A-", "a", "content-type", "ETag", "X-REQUEST-ID", strings.Repeat("ab-", 40)} {
		if got, want := Canonicalize(k), textproto.CanonicalMIMEHeaderKey(k); got != want {
			t.Errorf("Canonicalize(%q) = %q, want %q", k, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Canonicalize("user-agent"); Canonicalize("ETag") }); n != 0 {
		t.Errorf("common names cost %v allocations", n)
	}
}

func TestTrimOWSAndFold(t *testing.T) {
	for in, want := range map[string]string{"": "", " \t a b\t ": "a b", "x": "x", " \r": "\r", "\t\t": ""} {
		if got := TrimOWS(in); got != want {
			t.Errorf("TrimOWS(%q) = %q, want %q", in, got, want)
		}
	}
	if !EqualFoldASCII("ChUnKeD", "chunked") || !EqualFoldASCII([]byte("CONNECTION"), "connection") ||
		EqualFoldASCII("chun\u212aed", "chunked") || EqualFoldASCII("chunke", "chunked") {
		t.Error("EqualFoldASCII")
	}
}

// SortFields orders by name as slices.SortFunc does, at every length (insertion sort up to
// 24 fields, the library beyond), names repeated or not.
func TestSortFields(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		for range 20 {
			fs := make([]Field, n)
			for i := range fs {
				fs[i] = Field{Name: fmt.Sprintf("X-%c%d", 'A'+rng.IntN(6), rng.IntN(4))}
			}
			want := slices.Clone(fs)
			slices.SortStableFunc(want, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
			SortFields(fs)
			for i := range fs {
				if fs[i].Name != want[i].Name {
					t.Fatalf("n=%d: %v, want %v", n, fs, want)
				}
			}
		}
	}
}

var validSink bool

// A bearer token's length, where the sixteen-byte loop does the work.
func BenchmarkValidValueToken(b *testing.B) {
	tok := "Bearer " + strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", 24)
	for b.Loop() {
		validSink = ValidValue(tok)
	}
}

// A header map is kept for reuse cleared, unless it grew past a usual head.
func TestReusable(t *testing.T) {
	small := map[string][]string{"A": {"1"}}
	if got := Reusable(small); got == nil || len(got) != 0 {
		t.Errorf("a small map: %v", got)
	}
	large := map[string][]string{}
	for i := range maxReusedFields + 1 {
		large[string(rune('a'+i%26))+string(rune('a'+i/26))] = nil
	}
	if got := Reusable(large); got != nil {
		t.Errorf("a map of %d fields kept", len(large))
	}
}

// A list of fields is kept for reuse with its entries cleared, unless it grew past a usual
// head.
func TestReusableFields(t *testing.T) {
	fs := []Field{{Name: "A", Values: []string{"1"}}, {Name: "B"}}
	got := ReusableFields(fs)
	if got == nil || len(got) != 0 || cap(got) != 2 {
		t.Fatalf("a short list: %v, capacity %d", got, cap(got))
	}
	for _, f := range got[:cap(got)] {
		if f.Name != "" || f.Values != nil {
			t.Errorf("kept %q %q", f.Name, f.Values)
		}
	}
	if got := ReusableFields(make([]Field, 0, maxReusedFields+1)); got != nil {
		t.Errorf("a list of room %d kept", maxReusedFields+1)
	}
}

// AppendField appends as append does, within the room and past it, leaving the fields before
// as they were and a slice it was given untouched beyond its length.
func TestAppendField(t *testing.T) {
	room := make([]Field, 1, 2)
	room[0] = Field{Name: "A", Values: []string{"a"}}
	got := AppendField(room, "B", []string{"b"})
	got = AppendField(got, "C", nil) // past the room: grown
	want := []Field{{Name: "A", Values: []string{"a"}}, {Name: "B", Values: []string{"b"}}, {Name: "C"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if len(room) != 1 || room[:2][1].Name != "B" {
		t.Errorf("the room: %+v, want its second slot filled in place", room[:2])
	}
	got[0].Name = "changed"
	if room[0].Name != "A" {
		t.Error("a grown list shares its first field with the room it grew from")
	}
}
