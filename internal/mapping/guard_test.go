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

package mapping

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// Every path-escape form, as the value reaches the check: decoded once, as the router decodes
// a segment and as a header or query value arrives.
func TestCheckSegment(t *testing.T) {
	for _, c := range []struct {
		v  string
		ok bool
	}{
		{"7", true}, {"a b", true}, {"a.b", true}, {"...", true}, {".a", true}, {"a;b", true},
		{"%zz", true}, {"a%2Eb", true}, {"100%", true}, {"", true}, {"é", true},
		{".", false}, {"..", false}, {"..;", false}, {"..;jsessionid=x", false}, {".;", false},
		{"a/b", false}, {"/", false}, {"../admin", false}, {`a\b`, false}, {`..\`, false},
		{"a\x00b", false}, {"\x00", false}, {"a\nb", false}, {"\x7f", false}, {"\t", false},
		// Decoded once already ("%252F" from the client): a backend that decodes again sees
		// a separator or a dot segment.
		{"%2F", false}, {"%2f", false}, {"a%2Fb", false}, {"%5C", false}, {"%5c", false},
		{"%2e%2e", false}, {"%2E%2E", false}, {"%2e", false}, {".%2e", false}, {"%2e%2e;", false},
		{"%00", false}, {"%0a", false},
	} {
		err := CheckSegment(c.v)
		if (err == nil) != c.ok {
			t.Errorf("CheckSegment(%q) = %v, want ok=%v", c.v, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrUnsafePath) {
			t.Errorf("CheckSegment(%q) = %v, not ErrUnsafePath", c.v, err)
		}
	}
}

// The greedy forms: slashes separate segments, each checked; in the escaped form an escaped
// separator inside a segment is refused after one decoding.
func TestCheckPaths(t *testing.T) {
	for _, c := range []struct {
		v            string
		decoded, raw bool // ok as CheckPath, as CheckEscapedPath
	}{
		{"a/b/c.txt", true, true},
		{"a//b/", true, true},
		{"a b/c", true, true},
		{"a%20b/c", true, true},
		{"a/../b", false, false},
		{"./a", false, false},
		{"a/..", false, false},
		{"a/..;/b", false, false},
		{"a/.;x/b", false, false},
		{`a\..\b`, false, false},
		{"a/\x00", false, false},
		{"a/%2e%2e/b", false, false},
		{"a%2F..%2Fb", false, false},
		{"a%2f..%2fb", false, false},
		{"a%5C..%5Cb", false, false},
		{"a%5c..%5cb", false, false},
		{"%2e%2e/admin", false, false},
		{"%2E/admin", false, false},
		{"a/%252F/b", true, false},  // decoded: "%252F" is twice from a separator; escaped: "%2F" once
		{"a/%25252F/b", true, true}, // three encodings: two decodings give "%2F", a literal
		{"a/%00", false, false},
		{"a/%zz", true, true},
	} {
		if err := CheckPath(c.v); (err == nil) != c.decoded {
			t.Errorf("CheckPath(%q) = %v, want ok=%v", c.v, err, c.decoded)
		}
		if err := CheckEscapedPath(c.v); (err == nil) != c.raw {
			t.Errorf("CheckEscapedPath(%q) = %v, want ok=%v", c.v, err, c.raw)
		}
	}
}

// The guard against what a backend makes of a value: whatever passes CheckEscapedPath, read
// back by a backend that normalizes (decoding once or twice, backslashes as slashes, ";"
// parameters dropped), has no dot segment.
func FuzzCheckEscapedPath(f *testing.F) {
	for _, s := range []string{"a/b", "a/../b", "a/..;/b", "%2e%2e", "a%2Fb", "%252F", `a\b`, "a/%00", "%zz", ".%2e/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if CheckEscapedPath(p) != nil {
			return
		}
		for _, view := range backendViews(p) {
			for seg := range strings.SplitSeq(view, "/") {
				base, _, _ := strings.Cut(seg, ";")
				if base == "." || base == ".." {
					t.Fatalf("%q passed the guard, a backend reads %q", p, view)
				}
			}
		}
	})
}

// FuzzCheckSegment: a value that passes stays one segment, however often a backend decodes
// it (up to twice) and whatever it takes for a separator.
func FuzzCheckSegment(f *testing.F) {
	for _, s := range []string{"7", "..", "..;", "%2F", "%252F", `\`, "a\x00", ".%2e", "%2e%2e;x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if CheckSegment(v) != nil {
			return
		}
		for _, view := range backendViews(url.PathEscape(v)) {
			if strings.Contains(view, "/") {
				t.Fatalf("%q passed the guard, a backend reads %q as more than one segment", v, view)
			}
			if base, _, _ := strings.Cut(view, ";"); base == "." || base == ".." {
				t.Fatalf("%q passed the guard, a backend reads the dot segment %q", v, view)
			}
		}
	})
}

// backendViews are what backends may make of an escaped path: decoded once (a server), twice
// (a proxy, then a server), with backslashes read as slashes.
func backendViews(p string) []string {
	out := []string{}
	once, err := url.PathUnescape(p)
	if err != nil {
		return out
	}
	out = append(out, once, strings.ReplaceAll(once, `\`, "/"))
	if twice, err := url.PathUnescape(once); err == nil {
		out = append(out, twice, strings.ReplaceAll(twice, `\`, "/"))
	}
	return out
}
