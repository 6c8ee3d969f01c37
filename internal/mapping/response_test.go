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

import "testing"

func TestSelectionPattern(t *testing.T) {
	re, err := CompileSelectionPattern(`4\d{2}`)
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]bool{"404": true, "400": true, "4040": false, "500": false, "1404": false} {
		if re.MatchString(code) != want {
			t.Errorf("%s: %v", code, !want)
		}
	}
	// Alternation stays inside the anchors.
	if re, _ := CompileSelectionPattern(`400|5\d\d`); re.MatchString("4001") || !re.MatchString("503") {
		t.Error("alternation escaped the anchors")
	}
	for _, bad := range []string{"", "4(", string(make([]byte, 300))} {
		if _, err := CompileSelectionPattern(bad); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
}

func TestResponseMapping(t *testing.T) {
	m, err := ParseResponseMapping("header.x-reason", "integration.response.header.x-error")
	if err != nil || m.Header != "X-Reason" || m.Kind != ResponseHeader || m.Name != "X-Error" {
		t.Errorf("%+v %v", m, err)
	}
	if m, err := ParseResponseMapping("header.cache-control", "'no-store'"); err != nil || m.Kind != ResponseStatic || m.Name != "no-store" {
		t.Errorf("%+v %v", m, err)
	}
	if m, err := ParseResponseMapping("header.x-code", "integration.response.body.error.code"); err != nil || m.Kind != ResponseBodyPath || m.Name != "error.code" || m.Path == nil {
		t.Errorf("%+v %v", m, err)
	}
	for _, bad := range [][2]string{{"header.a", "integration.response.body.a[?(@.b)]"}, {"header.a", "integration.response.body."}, {"querystring.a", "'x'"}, {"header.a b", "'x'"}, {"header.a", "method.request.header.a"}, {"header.a", "'a\nb'"}, {"header.a", "'"}} {
		if _, err := ParseResponseMapping(bad[0], bad[1]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzSelectionPattern: any pattern compiles or is refused, never panics, and a compiled
// one only matches whole strings.
func FuzzSelectionPattern(f *testing.F) {
	for _, s := range []string{`4\d{2}`, `(a|b)*`, `.*`, `^5`, `\`, `[`, `)|(`} {
		f.Add(s, "404")
	}
	f.Fuzz(func(t *testing.T, p, status string) {
		re, err := CompileSelectionPattern(p)
		if err != nil {
			return
		}
		if loc := re.FindStringIndex(status); loc != nil && (loc[0] != 0 || loc[1] != len(status)) {
			t.Fatalf("%q matched part of %q: %v", p, status, loc)
		}
	})
}
