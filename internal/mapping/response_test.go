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
	for _, bad := range [][2]string{{"header.a", "integration.response.body.a[?(@.b empty true)]"}, {"header.a", "integration.response.body."}, {"querystring.a", "'x'"}, {"header.a b", "'x'"}, {"header.a", "method.request.header.a"}, {"header.a", "'a\nb'"}, {"header.a", "'"}} {
		if _, err := ParseResponseMapping(bad[0], bad[1]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A gateway response's responseParameters read AWS's syntax and Routes' to the same source,
// which Expr writes one way.
func TestGatewayResponseMapping(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"header.x-origin", "method.request.header.origin"}:          "$request.header.Origin",
		{"header.x-origin", "$request.header.Origin"}:                "$request.header.Origin",
		{"header.x-tags", "method.request.multivalueheader.x-tag"}:   "$request.multivalueheader.X-Tag",
		{"header.x-q", "method.request.querystring.q"}:               "$request.querystring.q",
		{"header.x-qs", "method.request.multivaluequerystring.q"}:    "$request.multivaluequerystring.q",
		{"header.x-pet", "method.request.path.petId"}:                "$request.path.petId",
		{"header.x-env", "stageVariables.env"}:                       "$stageVariables.env",
		{"header.x-env", "$stageVariables.env"}:                      "$stageVariables.env",
		{"header.x-id", "context.requestId"}:                         "$context.requestId",
		{"header.x-principal", "$context.authorizer.principalId"}:    "$context.authorizer.principalId",
		{"header.access-control-allow-origin", "'*.example.domain'"}: "'*.example.domain'",
	} {
		m, err := ParseGatewayResponseMapping(in[0], in[1])
		if err != nil || m.Source.Expr() != want {
			t.Errorf("%q: %+v %v; want %s", in, m, err, want)
		}
	}
	if m, _ := ParseGatewayResponseMapping("header.access-control-allow-origin", "'*'"); m.Header != "Access-Control-Allow-Origin" {
		t.Errorf("header %q not canonical", m.Header)
	}
	for _, bad := range [][2]string{
		{"querystring.a", "'x'"}, {"header.a b", "'x'"}, {"header.a", "method.request.body"}, {"header.a", "method.request.body.a"},
		{"header.a", "integration.response.header.a"}, {"header.a", "'a\nb'"}, {"header.a", "'"}, {"header.a", "context.nope"},
		{"header.a", "method.request.header.a b"}, {"header.a", "method.request.multivalueheader.a:b"}, {"header.a", "method.request.path."},
	} {
		if m, err := ParseGatewayResponseMapping(bad[0], bad[1]); err == nil {
			t.Errorf("%q accepted: %+v", bad, m)
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
