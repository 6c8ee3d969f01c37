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
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/vtl"
)

// $input.params(name) answers alike from param (no maps built) and from the maps params
// builds; and $context holds what the template reads, built or not.
func TestParamLookup(t *testing.T) {
	tmpl, err := vtl.Parse(`[$input.params('page')][$input.params('x-trace')][$input.params('X-Trace')][$input.params('a b')][$input.params('none')][$input.params('Accept')][$context.stage][$context.requestTime.length()]`)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/p?page=1&page=2", "/p?a+b=%41&x-trace=q", "/p", "/p?page=1;x", "/p?page", "/p?x%2Dtrace=e&pag%65=2", "/p?a+b=s", "/p?x-trace=bad%zz&x-trace=2", "/p?q=x-trace"} {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("X-Trace", "t-1")
		r.Header["accept"] = []string{"lower"}
		r.Header["Empty"] = []string{}
		rc := &reqctx.Request{Stage: "prod"}
		e := env(r, rc, nil, nil, tmpl)
		fast, err := tmpl.Eval(context.Background(), &e, nil)
		if err != nil {
			t.Fatal(err)
		}
		e2 := env(r, rc, nil, nil, nil)
		e2.Param = nil
		slow, err := tmpl.Eval(context.Background(), &e2, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", target, fast.Output)
		if fast.Output != slow.Output {
			t.Errorf("%s: with param %q, with the maps %q", target, fast.Output, slow.Output)
		}
	}
}

// A parameter sent several times is its last value, as the Lambda 1.0 event and AWS have it,
// and the Host is a header, by name and in the map.
func TestParamValues(t *testing.T) {
	tmpl, err := vtl.Parse(`[$input.params('page')][$input.params('X-Trace')][$input.params('Host')][$input.params('host')][$input.params().header.Host][$input.params().querystring.page][$input.params().header.get('X-Trace')]`)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://gw.example/p?page=1&page=2", nil)
	r.Header["X-Trace"] = []string{"t-1", "t-2"}
	rc := &reqctx.Request{Stage: "prod"}
	for _, lazy := range []bool{true, false} {
		e := env(r, rc, nil, nil, tmpl)
		if !lazy {
			e.Param = nil
		}
		got, err := tmpl.Eval(context.Background(), &e, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := "[2][t-2][gw.example][gw.example][gw.example][2][t-2]"; got.Output != want {
			t.Errorf("lazy %v: %q, want %q", lazy, got.Output, want)
		}
	}
}

// $context holds, for a template that reads some of it, those entries as the whole of it
// has them; and, for one that reads them all, them all in the order of contextNames.
func TestContextWant(t *testing.T) {
	r := httptest.NewRequest("POST", "/p", nil)
	rc := &reqctx.Request{ID: "rid", API: "ns/api", RouteName: "get-p", Stage: "prod", ResourcePath: "/p", Path: "/prod/p", Host: "h", Start: time.Unix(1700000000, 0), Variant: "canary"}
	rc.Authorizer = reqctx.Authorizer{Authorized: true, PrincipalID: "me", Context: map[string]string{"k": "v"}}
	values := map[string]string{
		"requestId": "rid", "extendedRequestId": "rid", "accountId": "ns", "apiId": "api", "stage": "prod", "resourceId": "get-p",
		"httpMethod": "POST", "resourcePath": "/p", "path": "/prod/p", "domainName": "h", "protocol": "HTTP/1.1",
		"requestTimeEpoch": "1700000000000", "requestTime": "14/Nov/2023:22:13:20 +0000", "missing": "",
		"canaryVariant": "canary", "isCanaryRequest": "true",
	}
	for _, name := range append(contextNames[:], "missing") {
		src := fmt.Sprintf(`[$context.%s]#set($x = $context.requestId)[$context.get("%[1]s")]`, name)
		tmpl, err := vtl.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		some, all := env(r, rc, nil, nil, tmpl), env(r, rc, nil, nil, nil)
		got, err1 := tmpl.Eval(context.Background(), &some, nil)
		want, err2 := tmpl.Eval(context.Background(), &all, nil)
		if err1 != nil || err2 != nil || got.Output != want.Output {
			t.Errorf("%s: %v %v, reading some %q, all %q", name, err1, err2, got.Output, want.Output)
		}
		if v, ok := values[name]; ok && got.Output != "["+v+"]["+v+"]" {
			t.Errorf("%s: %q, want %q", name, got.Output, v)
		}
	}
	tmpl, err := vtl.Parse(`#foreach($k in $context.keySet())$k,#end`)
	if err != nil {
		t.Fatal(err)
	}
	e := env(r, rc, nil, nil, tmpl)
	res, err := tmpl.Eval(context.Background(), &e, nil)
	if want := "requestId,extendedRequestId,accountId,apiId,stage,httpMethod,resourcePath,resourceId,path,domainName,domainPrefix,protocol,requestTimeEpoch,requestTime,identity,authorizer,error,canaryVariant,isCanaryRequest,"; err != nil || res.Output != want {
		t.Errorf("keys %q, %v; want %q first", res.Output, err, want)
	}
}

// A JWT authorizer's claims are $context.authorizer.claims.<name> in a template, as AWS
// gives a Cognito user pool authorizer's; a function authorizer's context keys stay as
// they came, a key with a dot in it included.
func TestAuthorizerClaimsInTemplates(t *testing.T) {
	tmpl, err := vtl.Parse(`[$context.authorizer.principalId][$context.authorizer.claims.sub][$context.authorizer.claims.get("cognito:groups")][$context.authorizer.get("claims.sub")][$context.authorizer.tier]`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		a    reqctx.Authorizer
		want string
	}{
		{"JWT", reqctx.Authorizer{Authorized: true, JWT: true, PrincipalID: "u-1",
			Context: map[string]string{"claims.sub": "u-1", "claims.cognito:groups": "admin", "tier": "x"}}, "[u-1][u-1][admin][][x]"},
		{"function", reqctx.Authorizer{Authorized: true, PrincipalID: "p",
			Context: map[string]string{"claims.sub": "flat", "tier": "gold"}}, "[p][][][flat][gold]"},
		{"none", reqctx.Authorizer{}, "[][][][][]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := &reqctx.Request{Authorizer: tc.a}
			e := env(httptest.NewRequest("GET", "/p", nil), rc, nil, nil, tmpl)
			got, err := tmpl.Eval(context.Background(), &e, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Output != tc.want {
				t.Errorf("got %s, want %s", got.Output, tc.want)
			}
		})
	}
}
