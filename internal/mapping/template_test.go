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

// values is a Values from a map, with the greedy parameter's raw form.
type values struct {
	m   map[string]string
	raw string
}

func (v values) Get(n string) (string, bool) { s, ok := v.m[n]; return s, ok }
func (v values) GreedyRaw() string           { return v.raw }

func TestTemplate(t *testing.T) {
	params := map[string]bool{"petId": false, "proxy": true}
	vars := map[string]string{"backend": "pets.svc:8080", "v": "2", "prefix": "api/v1", "qv": "a b\"<é>", "qs": "x=1&y=%41"}
	cases := []struct {
		uri  string
		vals values
		over map[string]string
		want string
	}{
		{"http://${stageVariables.backend}/pets/{petId}", values{m: map[string]string{"petId": "7"}}, nil, "http://pets.svc:8080/pets/7"},
		{"http://${stageVariables.backend}/pets/{petId}", values{m: map[string]string{"petId": "a b?c"}}, nil, "http://pets.svc:8080/pets/a%20b%3Fc"},
		{"https://h/v${stageVariables.v}/{proxy}", values{m: map[string]string{"proxy": "a/b c"}, raw: "a/b%20c"}, nil, "https://h/v2/a/b%20c"},
		{"http://h/${stageVariables.prefix}/{proxy}", values{m: map[string]string{"proxy": "x"}, raw: "x"}, nil, "http://h/api/v1/x"},
		{"http://h/p?id={petId}&v=${stageVariables.v}", values{m: map[string]string{"petId": "a&b=c"}}, nil, "http://h/p?id=a%26b%3Dc&v=2"},
		{"http://h/p?id={petId}", values{m: map[string]string{"petId": "../x/"}}, nil, "http://h/p?id=..%2Fx%2F"},
		{"http://h/pets/{petId}", values{m: map[string]string{"petId": "7"}}, map[string]string{"petId": "8 9"}, "http://h/pets/8%209"},
		{"http://h/{proxy}", values{m: map[string]string{"proxy": "a"}, raw: "a"}, map[string]string{"proxy": "x y/z"}, "http://h/x%20y/z"},
		{"http://h/${stageVariables.missing}x", values{}, nil, "http://h/x"},
		{"http://h/static", values{}, nil, "http://h/static"},
		{"http://${stageVariables.backend}", values{}, nil, "http://pets.svc:8080"},
		{"http://${stageVariables.v}:8080/x", values{}, nil, "http://2:8080/x"},
		// A stage variable in the query is query text: what a query may not hold is escaped,
		// separators and escapes already written kept.
		{"http://h/p?v=${stageVariables.qv}", values{}, nil, "http://h/p?v=a%20b%22%3C%C3%A9%3E"},
		{"http://h/p?${stageVariables.qs}", values{}, nil, "http://h/p?x=1&y=%41"},
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
		if got, err := b.Expand(c.vals, c.over); err != nil || got != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.uri, got, err, c.want)
		}
	}
}

// Every source of a path value goes through the guard: the route's parameters, a greedy
// parameter's raw form, and overrides (requestParameters path.X from a header, a query
// string, the context).
func TestExpandRefuses(t *testing.T) {
	params := map[string]bool{"petId": false, "proxy": true}
	one, _ := ParseTemplate("http://h/pets/{petId}?q={petId}", params)
	greedy, _ := ParseTemplate("http://h/files/{proxy}", params)
	b1, _ := one.Bind(nil)
	bg, _ := greedy.Bind(nil)
	for _, c := range []struct {
		b    *Bound
		vals values
		over map[string]string
	}{
		{b1, values{m: map[string]string{"petId": "..;"}}, nil},
		{b1, values{m: map[string]string{"petId": `a\b`}}, nil},
		{b1, values{m: map[string]string{"petId": "a/b"}}, nil},
		{b1, values{m: map[string]string{"petId": "%2e%2e"}}, nil},
		{b1, values{m: map[string]string{"petId": "7"}}, map[string]string{"petId": ".."}},
		{b1, values{m: map[string]string{"petId": "7"}}, map[string]string{"petId": "../admin"}},
		{bg, values{m: map[string]string{"proxy": "a/..;/b"}, raw: "a/..;/b"}, nil},
		{bg, values{m: map[string]string{"proxy": `a\..\b`}, raw: "a%5C..%5Cb"}, nil},
		{bg, values{m: map[string]string{"proxy": "a"}, raw: "a"}, map[string]string{"proxy": "x/../../admin"}},
		{bg, values{m: map[string]string{"proxy": "a"}, raw: "a"}, map[string]string{"proxy": "x/%2e%2e/admin"}},
	} {
		got, err := c.b.Expand(c.vals, c.over)
		if !errors.Is(err, ErrUnsafePath) || got != "" {
			t.Errorf("%v %v: got %q, %v; want ErrUnsafePath", c.vals, c.over, got, err)
		}
	}
}

func TestTemplateErrors(t *testing.T) {
	params := map[string]bool{"petId": false, "proxy": true}
	for _, uri := range []string{
		"http://h/{nope}", "http://h/${petId}", "http://h/${stageVariables.}", "http://h/${stageVariables.a-b}",
		"http://h/{petId", "http://h/${stageVariables.x", "http://h/}", "ftp://h/x", "/relative/{petId}",
		"http://", "${stageVariables.b}", "http://h/%zz",
		// Clients never choose where a request goes.
		"http://{petId}/x", "http://h:{petId}/x", "http://{petId}.example.com/", "http://u:{petId}@h/", "http://{proxy}",
		// A stage variable before the path is the whole host or host:port.
		"http://${stageVariables.env}.example.com/", "http://api-${stageVariables.env}/", "http://${stageVariables.a}${stageVariables.b}/",
		"http://${stageVariables.h}:${stageVariables.p}/", "http://${stageVariables.h}:80x/", "http://u:${stageVariables.pw}@h/",
		"${stageVariables.scheme}://h/", "http${stageVariables.s}://h/",
	} {
		if _, err := ParseTemplate(uri, params); err == nil {
			t.Errorf("%s: no error", uri)
		}
	}
	// Syntax is fine, the variables' values are not: Bind fails, not ParseTemplate.
	tmpl, err := ParseTemplate("http://${stageVariables.host}/x/${stageVariables.p}", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, vars := range []map[string]string{
		{"host": ""}, {"host": "a b"}, {"host": "evil.example/x"}, {"host": "a@b"}, {"host": "h:x"}, {"host": "h?"},
		{"host": "h", "p": ".."}, {"host": "h", "p": "a/../../b"}, {"host": "h", "p": "%2e%2e"}, {"host": "h", "p": "a%2Fb"},
	} {
		if _, err := tmpl.Bind(vars); err == nil {
			t.Errorf("%v bound", vars)
		}
	}
	if _, err := tmpl.Bind(map[string]string{"host": "h:8080", "p": "v1/x"}); err != nil {
		t.Error(err)
	}
}

// The uri template comes from users and its parameters from clients: parsing must never
// panic, and once a template has parsed and bound, no parameter value can change the scheme
// or the host the request goes to, escape the path into the query, or add a dot segment.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"http://${stageVariables.b}/pets/{petId}", "https://x/{proxy}", "http://h/{proxy+}?q={petId}",
		"http://${}/", "ftp://x", "http://{a", "${stageVariables.}", "http://h:{petId}/", "http://{petId}/",
		"http://${stageVariables.b}:80/x/{petId}", "http://h/a/${stageVariables.b}/{proxy}",
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
		const marker = "zq9marker"
		ref, err := b.Expand(values{m: map[string]string{"petId": marker, "proxy": marker}, raw: marker}, nil)
		if err != nil {
			t.Fatalf("%s: marker refused: %v", uri, err)
		}
		r, err := url.Parse(ref)
		if err != nil {
			t.Fatalf("reference %q does not parse: %v", ref, err)
		}
		if strings.Contains(r.Scheme+"://"+r.User.String()+r.Host, marker) {
			t.Fatalf("%s: a path parameter reached the authority: %s", uri, ref)
		}
		got, err := b.Expand(values{m: map[string]string{"petId": param, "proxy": greedy}, raw: escapeGreedy(greedy)}, nil)
		if err != nil {
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
		for seg := range strings.SplitSeq(u.EscapedPath(), "/") {
			if d, err := url.PathUnescape(seg); err == nil && (d == "." || d == ".." || strings.HasPrefix(d, "..;")) && !strings.Contains(r.EscapedPath(), "/"+seg) {
				t.Fatalf("%s: parameters %q/%q made the dot segment %q in %s", uri, param, greedy, seg, got)
			}
		}
	})
}
