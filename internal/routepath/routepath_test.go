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

package routepath

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"/", "/pets/{petId}", "/files/{proxy+}", "/a/{x}/{x}", "pets", "/{+}", "/a//b", "/{}", "/a/{b+}/c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		segs, err := Parse(path)
		if err != nil {
			return
		}
		// A path that parses has a shape that round-trips its segment count.
		shape := Shape(segs)
		if path != "/" && strings.Count(shape, "/") != len(segs) {
			t.Fatalf("shape %q of %q has %d segments, want %d", shape, path, strings.Count(shape, "/"), len(segs))
		}
	})
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		path, shape, err string
	}{
		{"/", "/", ""},
		{"/pets/{petId}", "/pets/{}", ""},
		{"/files/{proxy+}", "/files/{+}", ""},
		{"/a/{x}/{x}", "", "names parameter \"x\" twice"},
		{"/a/{b+}/c", "", "must be the last segment"},
		{"/a/", "", "empty segment"},
		{"a", "", "must start with /"},
		{"/a/b{c}", "", "mixes a literal and a parameter"},
		{"/a/{1x}", "", "not a parameter name"},
	} {
		segs, err := Parse(tc.path)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) err = %v, want %q", tc.path, err, tc.err)
			}
		case err != nil:
			t.Errorf("Parse(%q): %v", tc.path, err)
		case Shape(segs) != tc.shape:
			t.Errorf("Shape(%q) = %q, want %q", tc.path, Shape(segs), tc.shape)
		}
	}
}
