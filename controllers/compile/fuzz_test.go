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

package compile

import (
	"strings"
	"testing"
)

// The parsers below read user input (from files in standalone mode, where no API server
// validates first): whatever they get, they must return an error, never panic.

func FuzzParsePath(f *testing.F) {
	for _, seed := range []string{"/", "/pets/{petId}", "/files/{proxy+}", "/a/{x}/{x}", "pets", "/{+}", "/a//b", "/{}", "/a/{b+}/c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		segs, err := parsePath(path)
		if err != nil {
			return
		}
		// A path that parses has a shape that round-trips its segment count.
		shape := shapeKey(segs)
		if path != "/" && strings.Count(shape, "/") != len(segs) {
			t.Fatalf("shape %q of %q has %d segments, want %d", shape, path, strings.Count(shape, "/"), len(segs))
		}
	})
}

func FuzzURITemplate(f *testing.F) {
	for _, seed := range []string{"http://${stageVariables.b}/pets/{petId}", "https://x/{proxy}", "http://${}/", "ftp://x", "http://{a", "${stageVariables.}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		_ = checkURITemplate(uri, map[string]bool{"petId": true, "proxy": true})
		_ = checkParameterSource(uri, map[string]bool{"petId": true})
	})
}

func FuzzMethodKey(f *testing.F) {
	for _, seed := range []string{"*/*", "/pets/GET", "/pets/*", "/", "GET", "//"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		path, method, ok := splitMethodKey(key)
		if ok && (path == "" || method == "") {
			t.Fatalf("splitMethodKey(%q) = %q, %q, true", key, path, method)
		}
	})
}

func TestParsePath(t *testing.T) {
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
		segs, err := parsePath(tc.path)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parsePath(%q) err = %v, want %q", tc.path, err, tc.err)
			}
		case err != nil:
			t.Errorf("parsePath(%q): %v", tc.path, err)
		case shapeKey(segs) != tc.shape:
			t.Errorf("shapeKey(%q) = %q, want %q", tc.path, shapeKey(segs), tc.shape)
		}
	}
}
