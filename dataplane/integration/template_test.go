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

package integration

import (
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico/dataplane/router"
)

// values is a Values from a map, with the greedy parameter's raw form.
type values struct {
	m   map[string]string
	raw string
}

func (v values) Get(n string) (string, bool) { s, ok := v.m[n]; return s, ok }
func (v values) GreedyRaw() string           { return v.raw }

func TestTemplate(t *testing.T) {
	params := map[string]bool{"petId": false, "proxy": true}
	vars := map[string]string{"backend": "pets.svc:8080", "scheme": "https", "v": "2"}
	cases := []struct {
		uri  string
		vals values
		over map[string]string
		want string
	}{
		{"http://${stageVariables.backend}/pets/{petId}", values{m: map[string]string{"petId": "7"}}, nil, "http://pets.svc:8080/pets/7"},
		{"http://${stageVariables.backend}/pets/{petId}", values{m: map[string]string{"petId": "a b/c?d"}}, nil, "http://pets.svc:8080/pets/a%20b%2Fc%3Fd"},
		{"https://h/v${stageVariables.v}/{proxy}", values{m: map[string]string{"proxy": "a/b c"}, raw: "a/b%20c"}, nil, "https://h/v2/a/b%20c"},
		{"http://h/{proxy+}", values{m: map[string]string{"proxy": "x/y"}, raw: "x%2Fy"}, nil, "http://h/x%2Fy"},
		{"http://h/p?id={petId}&v=${stageVariables.v}", values{m: map[string]string{"petId": "a&b=c"}}, nil, "http://h/p?id=a%26b%3Dc&v=2"},
		{"http://h/pets/{petId}", values{m: map[string]string{"petId": "7"}}, map[string]string{"petId": "8 9"}, "http://h/pets/8%209"},
		{"http://h/{proxy}", values{m: map[string]string{"proxy": "a"}, raw: "a"}, map[string]string{"proxy": "x y/z"}, "http://h/x%20y/z"},
		{"http://h/${stageVariables.missing}x", values{}, nil, "http://h/x"},
		{"http://h/static", values{}, nil, "http://h/static"},
	}
	for _, c := range cases {
		tmpl, err := ParseTemplate(c.uri, params)
		if err != nil {
			t.Fatalf("%s: %v", c.uri, err)
		}
		b, err := tmpl.Bind(vars)
		if err != nil {
			t.Fatalf("%s: bind: %v", c.uri, err)
		}
		if got := b.Expand(c.vals, c.over); got != c.want {
			t.Errorf("%s: got %s, want %s", c.uri, got, c.want)
		}
	}
}

func TestTemplateErrors(t *testing.T) {
	params := map[string]bool{"petId": false}
	for _, uri := range []string{
		"http://h/{nope}", "http://h/${petId}", "http://h/${stageVariables.}", "http://h/${stageVariables.a-b}",
		"http://h/{petId", "http://h/${stageVariables.x", "http://h/}", "ftp://h/x", "/relative/{petId}",
		"http://", "${stageVariables.b}", "http://h/%zz",
	} {
		if _, err := ParseTemplate(uri, params); err == nil {
			t.Errorf("%s: no error", uri)
		}
	}
	// Syntax is fine, the variables' values are not: Bind fails, not ParseTemplate.
	tmpl, err := ParseTemplate("http://${stageVariables.host}/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Bind(map[string]string{"host": ""}); err == nil {
		t.Error("empty host bound")
	}
	if _, err := tmpl.Bind(map[string]string{"host": "a b"}); err == nil {
		t.Error("host with a space bound")
	}
}

func TestTemplateWithRouterMatch(t *testing.T) {
	tree, err := router.New([]router.Route{{Path: "/store/{proxy+}", Methods: []string{"ANY"}}})
	if err != nil {
		t.Fatal(err)
	}
	var m router.Match
	if tree.Lookup("GET", "/store/a%20b/c%2Fd", &m) != router.Found {
		t.Fatal("no match")
	}
	tmpl, err := ParseTemplate("http://store/{proxy}", map[string]bool{"proxy": true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := tmpl.Bind(nil)
	if got := b.Expand(&m, nil); got != "http://store/a%20b/c%2Fd" {
		t.Errorf("got %s", got)
	}
}

// The uri template comes from users and its parameters from clients: parsing must never
// panic, and once a template has parsed and bound, no parameter value can change the scheme
// or the host the request goes to, or escape the path into the query.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"http://${stageVariables.b}/pets/{petId}", "https://x/{proxy}", "http://h/{proxy+}?q={petId}",
		"http://${}/", "ftp://x", "http://{a", "${stageVariables.}", "http://h:{petId}/", "http://{petId}/",
	} {
		f.Add(s, "7", "a/b", "host.example:80")
	}
	f.Fuzz(func(t *testing.T, uri, param, greedy, variable string) {
		params := map[string]bool{"petId": false, "proxy": true}
		tmpl, err := ParseTemplate(uri, params)
		if err != nil {
			return
		}
		b, err := tmpl.Bind(map[string]string{"b": variable})
		if err != nil {
			return
		}
		raw := escapeGreedy(greedy)
		got := b.Expand(values{m: map[string]string{"petId": param, "proxy": greedy}, raw: raw}, nil)
		const marker = "zq9marker"
		ref := b.Expand(values{m: map[string]string{"petId": marker, "proxy": marker}, raw: marker}, nil)
		r, err := url.Parse(ref)
		if err != nil {
			t.Fatalf("reference %q does not parse: %v", ref, err)
		}
		if strings.Contains(r.Scheme+"://"+r.User.String()+r.Host, marker) {
			// A parameter in the authority is the template's choice (clients then pick the
			// host); a value that does not parse there fails the request with a 502.
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%s with %q/%q expanded to %q, which does not parse: %v", uri, param, greedy, got, err)
		}
		if u.Scheme != r.Scheme || u.Host != r.Host {
			t.Fatalf("%s: parameters %q/%q moved %s://%s to %s://%s", uri, param, greedy, r.Scheme, r.Host, u.Scheme, u.Host)
		}
		if r.RawQuery == "" && !strings.Contains(ref, "?") && u.RawQuery != "" {
			t.Fatalf("%s: parameters %q/%q added a query %q", uri, param, greedy, u.RawQuery)
		}
	})
}
