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
	"strings"
	"testing"
)

func TestParseMapping(t *testing.T) {
	params := map[string]bool{"petId": false, "proxy": true}
	for _, c := range []struct {
		target, source string
		want           Mapping
	}{
		{"header.x-pet", "$request.path.petId", Mapping{Target{TargetHeader, "X-Pet"}, Source{Kind: PathParameter, Name: "petId"}}},
		{"querystring.v", "'2'", Mapping{Target{TargetQueryString, "v"}, Source{Kind: Static, Name: "2"}}},
		{"path.petId", "$request.header.x-id", Mapping{Target{TargetPath, "petId"}, Source{Kind: Header, Name: "X-Id"}}},
		{"path.petId", "$request.querystring.id", Mapping{Target{TargetPath, "petId"}, Source{Kind: QueryString, Name: "id"}}},
		{"path.proxy", "'a/b'", Mapping{Target{TargetPath, "proxy"}, Source{Kind: Static, Name: "a/b"}}},
		{"header.x-tier", "$stageVariables.tier", Mapping{Target{TargetHeader, "X-Tier"}, Source{Kind: StageVariable, Name: "tier"}}},
		{"header.x-user", "$context.authorizer.principalId", Mapping{Target{TargetHeader, "X-User"}, Source{Kind: Context, Name: "authorizer.principalId", Var: ContextAuthorizer, Key: "principalId"}}},
		{"header.x-ip", "$context.identity.sourceIp", Mapping{Target{TargetHeader, "X-Ip"}, Source{Kind: Context, Name: "identity.sourceIp", Var: ContextSourceIP}}},
		{"header.x-route", "$context.routeKey", Mapping{Target{TargetHeader, "X-Route"}, Source{Kind: Context, Name: "routeKey", Var: ContextRouteKey}}},
	} {
		got, err := ParseMapping(c.target, c.source, params)
		if err != nil || got != c.want {
			t.Errorf("%s=%s: %+v, %v; want %+v", c.target, c.source, got, err, c.want)
		}
	}
	for _, c := range [][2]string{
		{"header", "'x'"}, {"header.", "'x'"}, {"body.x", "'x'"}, {"header.a b", "'x'"},
		{"header.x", "'x"}, {"header.x", "$request.path.nope"}, {"header.x", "$context.somethingUnknown"},
		{"header.x", "$request.body.x"}, {"header.x", "$context."}, {"header.x", "$request.header.a b"}, {"header.x", "x"},
		{"path.petId", "'..'"}, {"path.petId", "'a/b'"}, {"path.petId", "'..;'"}, {"path.proxy", "'a/../b'"}, {"path.petId", `'a\b'`},
		// Headers the proxy writes itself: a mapping would be dropped or reframe the request.
		{"header.Host", "'backend.example.com'"}, {"header.host", "$request.path.petId"}, {"header.content-length", "'0'"},
		{"header.Transfer-Encoding", "'chunked'"}, {"header.connection", "'close'"}, {"header.upgrade", "'websocket'"},
	} {
		if _, err := ParseMapping(c[0], c[1], params); err == nil {
			t.Errorf("%s=%s parsed", c[0], c[1])
		}
	}
}

func TestParseIdentitySource(t *testing.T) {
	for in, want := range map[string]Source{
		"$request.header.authorization":     {Kind: Header, Name: "Authorization"},
		"method.request.header.X-Api-Token": {Kind: Header, Name: "X-Api-Token"},
		"$request.querystring.token":        {Kind: QueryString, Name: "token"},
		"method.request.querystring.a.b":    {Kind: QueryString, Name: "a.b"},
		"$stageVariables.tenant":            {Kind: StageVariable, Name: "tenant"},
		"stageVariables.tenant":             {Kind: StageVariable, Name: "tenant"},
		"$context.identity.sourceIp":        {Kind: Context, Name: "identity.sourceIp", Var: ContextSourceIP},
		"context.httpMethod":                {Kind: Context, Name: "httpMethod", Var: ContextHTTPMethod},
		"$context.accountId":                {Kind: Context, Name: "accountId", Var: ContextAccountID},
	} {
		got, err := ParseIdentitySource(in)
		if err != nil || got != want {
			t.Errorf("ParseIdentitySource(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "$request.header.", "$request.body.x", "$request.header.a b", "$stageVariables.",
		"$context.authorizer.principalId", "$context.", "$context.somethingUnknown", "header.Authorization",
		"$request.path.id", "'static'",
	} {
		if _, err := ParseIdentitySource(in); err == nil {
			t.Errorf("ParseIdentitySource(%q) parsed", in)
		}
	}
}

func TestCheckIdentitySources(t *testing.T) {
	for _, c := range []struct {
		typ     string
		sources []string
		ok      bool
	}{
		{AuthorizerJWT, nil, true},
		{AuthorizerJWT, []string{" $request.header.Authorization "}, true},
		{AuthorizerJWT, []string{"$request.querystring.token"}, true},
		{AuthorizerJWT, []string{"$request.querystring.token", "$request.header.Authorization"}, false}, // one token is read
		{AuthorizerJWT, []string{"$context.requestId"}, false},
		{AuthorizerJWT, []string{"$stageVariables.x"}, false},
		{AuthorizerToken, nil, true},
		{AuthorizerToken, []string{"$request.header.X-Token"}, true},
		{AuthorizerToken, []string{"$request.querystring.t"}, false},
		{AuthorizerToken, []string{"$request.header.A", "$request.header.B"}, false},
		{AuthorizerRequest, []string{"$request.header.X-User", "$request.querystring.tenant", "$stageVariables.realm", "$context.identity.sourceIp"}, true},
		{AuthorizerRequest, []string{"$request.header.X-User", "$context.somethingUnknown"}, false},
		{AuthorizerRequest, nil, true},
	} {
		if _, err := CheckIdentitySources(c.typ, c.sources); (err == nil) != c.ok {
			t.Errorf("%s %q: %v, want ok=%v", c.typ, c.sources, err, c.ok)
		}
	}
}

func TestContextNames(t *testing.T) {
	names := strings.Join(ContextNames(), " ")
	for _, n := range []string{"requestId", "identity.sourceIp", "authorizer.<key>", "routeKey"} {
		if !strings.Contains(names, n) {
			t.Errorf("%s missing from %s", n, names)
		}
	}
}

// Sources come from users: parsing never panics, and what parses round-trips its kind.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"'x'", "'", "$request.path.petId", "$request.header.X", "$context.authorizer.k", "$context.nope", "$stageVariables.", "method.request.header.A"} {
		f.Add("header.x", s)
	}
	f.Fuzz(func(t *testing.T, target, src string) {
		params := map[string]bool{"petId": false, "proxy": true}
		m, err := ParseMapping(target, src, params)
		if err == nil {
			if m.Source.Kind == PathParameter && m.Source.Name != strings.TrimPrefix(src, "$request.path.") {
				t.Fatalf("%q parsed as %+v", src, m.Source)
			}
			if m.Target.Kind == TargetPath && m.Source.Kind == Static && CheckPath(m.Source.Name) != nil {
				t.Fatalf("%q=%q: an unsafe static path value parsed", target, src)
			}
		}
		if s, err := ParseIdentitySource(src); err == nil {
			if s.Kind == Static || s.Kind == PathParameter || s.Var == ContextAuthorizer {
				t.Fatalf("identity source %q parsed as %+v", src, s)
			}
			if s.Kind == Header && !ValidHeaderName(s.Name) {
				t.Fatalf("identity source %q names the header %q", src, s.Name)
			}
		}
	})
}
