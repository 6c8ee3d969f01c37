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

package router

import (
	"strings"
	"testing"
)

func mustTree(t *testing.T, routes ...Route) *Tree {
	t.Helper()
	tree, err := New(routes)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestLookup(t *testing.T) {
	routes := []Route{
		{Path: "/", Methods: []string{"GET"}},                              // 0
		{Path: "/pets", Methods: []string{"GET"}},                          // 1
		{Path: "/pets", Methods: []string{"POST"}},                         // 2
		{Path: "/pets/mine", Methods: []string{"GET"}},                     // 3
		{Path: "/pets/{petId}", Methods: []string{"GET", "DELETE"}},        // 4
		{Path: "/pets/{petId}/toys/{toy}", Methods: []string{"ANY"}},       // 5
		{Path: "/pets/{proxy+}", Methods: []string{"GET"}},                 // 6
		{Path: "/files/{path+}", Methods: []string{"ANY"}},                 // 7
		{Path: "/files/{path+}", Methods: []string{"PUT"}},                 // 8
		{Path: "/a/b/c", Methods: []string{"GET"}},                         // 9
		{Path: "/a/{x}/d", Methods: []string{"GET"}},                       // 10
		{Path: "/head", Methods: []string{"GET"}},                          // 11
		{Path: "/head/any", Methods: []string{"GET", "ANY"}},               // 12
		{Path: "/head/explicit", Methods: []string{"GET", "HEAD"}},         // 13
		{Path: "/users/{id}", Methods: []string{"GET"}},                    // 14
		{Path: "/users/{name}/posts", Methods: []string{"GET"}},            // 15
		{Path: "/only-post", Methods: []string{"POST"}},                    // 16
		{Path: "/{top}", Methods: []string{"PATCH"}},                       // 17
		{Path: "/literal%20space", Methods: []string{"GET"}},               // 18 (literal as written)
		{Path: "/docs/{proxy+}", Methods: []string{"GET"}},                 // 19
		{Path: "/docs/{proxy+}", Methods: []string{"POST", "OPTIONS"}},     // 20
		{Path: "/x/{a}/{b}/{c}/{d}/{e}/{f}/{g}", Methods: []string{"GET"}}, // 21: more than inline
	}
	tree := mustTree(t, routes...)
	cases := []struct {
		method, path string
		want         Result
		route        int
		params       map[string]string
		greedy       string
	}{
		{"GET", "", Found, 0, nil, ""},
		{"GET", "/", Found, 0, nil, ""},
		{"GET", "/pets", Found, 1, nil, ""},
		{"GET", "/pets/", Found, 1, nil, ""},
		{"POST", "/pets", Found, 2, nil, ""},
		{"PUT", "/pets", MethodNotAllowed, 0, nil, ""},
		// literal before param before greedy
		{"GET", "/pets/mine", Found, 3, nil, ""},
		{"GET", "/pets/7", Found, 4, map[string]string{"petId": "7"}, ""},
		{"DELETE", "/pets/mine", Found, 4, map[string]string{"petId": "mine"}, ""},
		{"GET", "/pets/7/toys", Found, 6, map[string]string{"proxy": "7/toys"}, "7/toys"},
		{"POST", "/pets/7/toys/ball", Found, 5, map[string]string{"petId": "7", "toy": "ball"}, ""},
		{"GET", "/pets/7/toys/ball", Found, 5, map[string]string{"petId": "7", "toy": "ball"}, ""},
		// decoded parameters, escaped greedy kept as sent
		{"GET", "/pets/a%20b", Found, 4, map[string]string{"petId": "a b"}, ""},
		{"GET", "/pets/a%2Fb", Found, 4, map[string]string{"petId": "a/b"}, ""},
		{"GET", "/files/x/y%20z/", Found, 7, map[string]string{"path": "x/y z/"}, "x/y%20z/"},
		{"PUT", "/files/x", Found, 8, map[string]string{"path": "x"}, "x"},
		{"GET", "/files", MethodNotAllowed, 0, nil, ""}, // /files is /{top}, PATCH only
		{"GET", "/files/", MethodNotAllowed, 0, nil, ""},
		// backtracking
		{"GET", "/a/b/c", Found, 9, nil, ""},
		{"GET", "/a/b/d", Found, 10, map[string]string{"x": "b"}, ""},
		{"GET", "/a/b/e", NotFound, 0, nil, ""},
		// HEAD: exact, then ANY, then GET
		{"HEAD", "/head", Found, 11, nil, ""},
		{"HEAD", "/head/any", Found, 12, nil, ""},
		{"HEAD", "/head/explicit", Found, 13, nil, ""},
		{"HEAD", "/pets", Found, 1, nil, ""},
		// parameter names differ per route at one position
		{"GET", "/users/1", Found, 14, map[string]string{"id": "1"}, ""},
		{"GET", "/users/bob/posts", Found, 15, map[string]string{"name": "bob"}, ""},
		{"GET", "/only-post", MethodNotAllowed, 0, nil, ""},
		{"PATCH", "/only-post", Found, 17, map[string]string{"top": "only-post"}, ""},
		{"GET", "/literal%20space", Found, 18, nil, ""},
		{"GET", "/literal space", Found, 18, nil, ""},
		{"PATCH", "/literal%20space", Found, 17, map[string]string{"top": "literal space"}, ""},
		{"GET", "/nope/deeper", NotFound, 0, nil, ""},
		{"PROPFIND", "/files/x", Found, 7, map[string]string{"path": "x"}, "x"},
		{"PROPFIND", "/pets", MethodNotAllowed, 0, nil, ""},
		{"OPTIONS", "/docs/a", Found, 20, map[string]string{"proxy": "a"}, "a"},
		{"GET", "/x/1/2/3/4/5/6/7", Found, 21, map[string]string{"a": "1", "g": "7"}, ""},
		// dot segments never match parameters
		{"GET", "/pets/..", NotFound, 0, nil, ""},
		{"GET", "/pets/%2e%2e", NotFound, 0, nil, ""},
		{"GET", "/files/a/../b", NotFound, 0, nil, ""},
		{"GET", "/files/a/%2E%2E/b", NotFound, 0, nil, ""},
		{"GET", "/files/..%2Fetc", NotFound, 0, nil, ""},
		{"GET", "/pets//x", Found, 6, map[string]string{"proxy": "/x"}, "/x"},
	}
	var m Match
	for _, c := range cases {
		got := tree.Lookup(c.method, c.path, &m)
		if got != c.want {
			t.Errorf("%s %s: got %v, want %v", c.method, c.path, got, c.want)
			continue
		}
		if got != Found {
			continue
		}
		if m.Route != c.route {
			t.Errorf("%s %s: route %d (%s), want %d (%s)", c.method, c.path, m.Route, routes[m.Route].Path, c.route, routes[c.route].Path)
		}
		for k, v := range c.params {
			if g, ok := m.Get(k); !ok || g != v {
				t.Errorf("%s %s: param %s = %q, want %q", c.method, c.path, k, g, v)
			}
		}
		if m.GreedyRaw() != c.greedy {
			t.Errorf("%s %s: greedy %q, want %q", c.method, c.path, m.GreedyRaw(), c.greedy)
		}
	}
}

func TestMatchMap(t *testing.T) {
	tree := mustTree(t, Route{Path: "/a/{x}/{rest+}", Methods: []string{"ANY"}})
	var m Match
	if tree.Lookup("GET", "/a/1/b/c", &m) != Found {
		t.Fatal("no match")
	}
	got := m.Map()
	if len(got) != 2 || got["x"] != "1" || got["rest"] != "b/c" || m.Len() != 2 || m.Name(0) != "x" || m.Value(1) != "b/c" {
		t.Fatalf("params %v", got)
	}
	if tree.Lookup("GET", "/a", &m) != NotFound || m.Map() != nil {
		t.Fatal("reused match kept parameters")
	}
}

func TestNewErrors(t *testing.T) {
	cases := map[string][]Route{
		"duplicate":        {{Path: "/a/{x}", Methods: []string{"GET"}}, {Path: "/a/{y}", Methods: []string{"GET", "POST"}}},
		"duplicate ANY":    {{Path: "/a", Methods: []string{"ANY"}}, {Path: "/a", Methods: []string{"ANY"}}},
		"unknown method":   {{Path: "/a", Methods: []string{"FETCH"}}},
		"no methods":       {{Path: "/a"}},
		"relative":         {{Path: "a", Methods: []string{"GET"}}},
		"empty segment":    {{Path: "/a//b", Methods: []string{"GET"}}},
		"greedy not last":  {{Path: "/{p+}/b", Methods: []string{"GET"}}},
		"mixed segment":    {{Path: "/a{b}", Methods: []string{"GET"}}},
		"bad param":        {{Path: "/{1x}", Methods: []string{"GET"}}},
		"repeated param":   {{Path: "/{x}/{x}", Methods: []string{"GET"}}},
		"empty path":       {{Path: "", Methods: []string{"GET"}}},
		"empty param name": {{Path: "/{}", Methods: []string{"GET"}}},
	}
	for name, routes := range cases {
		if _, err := New(routes); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Same path, different methods, and the same shape with a greedy are fine.
	mustTree(t, Route{Path: "/a/{x}", Methods: []string{"GET"}}, Route{Path: "/a/{y}", Methods: []string{"POST"}}, Route{Path: "/a/{z+}", Methods: []string{"GET"}})
}

// The AWS console's "Enable CORS" adds an OPTIONS method beside ANY on the same resource,
// often a greedy one: both are served, the specific method winning, each with its own names.
func TestSpecificMethodBesideAny(t *testing.T) {
	tree := mustTree(t,
		Route{Path: "/pets/{proxy+}", Methods: []string{"ANY"}},
		Route{Path: "/pets/{path+}", Methods: []string{"OPTIONS"}},
		Route{Path: "/owners/{id}", Methods: []string{"ANY"}},
		Route{Path: "/owners/{ownerId}", Methods: []string{"GET"}},
	)
	cases := []struct {
		method, path string
		route        int
		param        string
	}{
		{"OPTIONS", "/pets/a/b", 1, "path"},
		{"GET", "/pets/a/b", 0, "proxy"},
		{"DELETE", "/pets/a", 0, "proxy"},
		{"GET", "/owners/7", 3, "ownerId"},
		{"PUT", "/owners/7", 2, "id"},
	}
	var m Match
	for _, c := range cases {
		if tree.Lookup(c.method, c.path, &m) != Found || m.Route != c.route {
			t.Errorf("%s %s: route %d, want %d", c.method, c.path, m.Route, c.route)
			continue
		}
		if _, ok := m.Map()[c.param]; !ok {
			t.Errorf("%s %s: parameters %v, want %s", c.method, c.path, m.Map(), c.param)
		}
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tree := mustTree(t,
		Route{Path: "/pets/{petId}", Methods: []string{"GET"}},
		Route{Path: "/store/{proxy+}", Methods: []string{"ANY"}},
		Route{Path: "/health", Methods: []string{"GET", "HEAD"}},
	)
	var m Match
	for _, path := range []string{"/pets/7", "/store/a/b/c", "/health", "/nope"} {
		allocs := testing.AllocsPerRun(100, func() { tree.Lookup("GET", path, &m) })
		if allocs != 0 {
			t.Errorf("%s: %v allocations", path, allocs)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	routes := []Route{{Path: "/pets/{petId}", Methods: []string{"GET"}}, {Path: "/pets/{petId}/toys/{toy}", Methods: []string{"GET"}}}
	for i := range 200 {
		routes = append(routes, Route{Path: "/r" + strings.Repeat("x", i) + "/{id}/items/{item}", Methods: []string{"GET"}})
	}
	tree, err := New(routes)
	if err != nil {
		b.Fatal(err)
	}
	var m Match
	b.ReportAllocs()
	for b.Loop() {
		tree.Lookup("GET", "/pets/7/toys/ball", &m)
	}
}

// Paths come from clients: Lookup must never panic, and a match reports one value per
// parameter of the route it names.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"/pets/7", "/store/a/b%2F/c", "/", "", "//", "/pets/%zz", "/files/../x", "/a/b/d"} {
		f.Add("GET", s)
	}
	routes := []Route{
		{Path: "/pets/{petId}", Methods: []string{"GET"}},
		{Path: "/pets/mine", Methods: []string{"ANY"}},
		{Path: "/store/{proxy+}", Methods: []string{"ANY"}},
		{Path: "/a/{x}/d", Methods: []string{"GET", "HEAD"}},
		{Path: "/a/b/c", Methods: []string{"GET"}},
		{Path: "/", Methods: []string{"POST"}},
	}
	tree, err := New(routes)
	if err != nil {
		f.Fatal(err)
	}
	want := map[int]int{0: 1, 1: 0, 2: 1, 3: 1, 4: 0, 5: 0}
	f.Fuzz(func(t *testing.T, method, path string) {
		var m Match
		if tree.Lookup(method, path, &m) != Found {
			return
		}
		if m.Len() != want[m.Route] {
			t.Fatalf("%s %s: route %s with %d parameters", method, path, routes[m.Route].Path, m.Len())
		}
		for i := range m.Len() {
			if v := m.Value(i); v == "" || v == "." || v == ".." {
				t.Fatalf("%s %s: parameter %s = %q", method, path, m.Name(i), v)
			}
		}
	})
}
