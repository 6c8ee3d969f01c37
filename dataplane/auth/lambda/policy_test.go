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

package lambda

import (
	"errors"
	"testing"
)

func TestWildcardMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/7", true},
		{"arn:aws:execute-api:*:*:*/*/*/*", "arn:aws:execute-api:r:ns:api/prod/GET/pets/7", true},
		{"arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/*", "arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/7", true},
		{"arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/*", "arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets", false},
		{"arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/*", "arn:aws:execute-api:us-east-1:shop:pets/prod/DELETE/pets/7", false},
		{"*/GET/*", "x/prod/GET/pets", true},
		{"pets/?", "pets/7", true},
		{"pets/?", "pets/77", false},
		{"pets/??", "pets/7", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"a**c", "ac", true},
		{"*a", "bbbbbbbbbba", true},
		{"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"GET", "get", false}, // resources are case-sensitive
		{"pets/?", "pets/é", true},
		{"pets/??", "pets/é", false},
		{"*?é", "aéé", true},
	} {
		if got := wildcardMatch(c.pattern, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestPolicyEvaluation(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/7"
	for _, c := range []struct {
		name, doc string
		want      bool
	}{
		{"allow", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + arn + `"}]}`, true},
		{"single statement object", `{"Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}`, true},
		{"action star", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":["*"]}]}`, true},
		{"action service star", `{"Statement":[{"Effect":"Allow","Action":"execute-api:*","Resource":"*"}]}`, true},
		{"action list, any case", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","EXECUTE-API:invoke"],"Resource":"*"}]}`, true},
		{"other action", `{"Statement":[{"Effect":"Allow","Action":"execute-api:ManageConnections","Resource":"*"}]}`, false},
		{"resource list", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":["x","*/prod/GET/pets/*"]}]}`, true},
		{"other resource", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*/prod/POST/*"}]}`, false},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"*/GET/pets/7"}]}`, false},
		{"deny elsewhere", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*/DELETE/*"}]}`, true},
		{"no statement", `{"Version":"2012-10-17","Statement":[]}`, false},
		{"null statement", `{"Version":"2012-10-17"}`, false},
		{"NotResource allow", `{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"*/admin/*"}]}`, true},
		{"NotResource deny", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"*/POST/*"}]}`, false},
		{"NotAction", `{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`, true},
		{"conditional allow does not allow", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, false},
		{"conditional deny denies", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"x":"true"}}}]}`, false},
		{"empty condition", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`, true},
	} {
		p, err := parsePolicy([]byte(c.doc))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := p.allows(invokeAction, arn); got != c.want {
			t.Errorf("%s: allows = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestInvalidateCachePermission checks the decision Cache-Control: max-age=0 rests on:
// execute-api:InvalidateCache on the method's ARN, as AWS evaluates it, and nothing else.
func TestInvalidateCachePermission(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/7"
	invoke := `{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}`
	for _, c := range []struct {
		name, statements string
		want             bool
	}{
		{"allow", invoke + `,{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"` + arn + `"}`, true},
		{"any case", `{"Effect":"Allow","Action":["EXECUTE-API:invalidatecache"],"Resource":"` + arn + `"}`, true},
		{"invoke only", invoke, false},
		{"no statement", ``, false},
		{"wildcard resource", `{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"arn:aws:execute-api:*:*:pets/prod/GET/*"}`, true},
		{"wildcard resource, other method", `{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"arn:aws:execute-api:*:*:pets/prod/POST/*"}`, false},
		{"wildcard resource, other stage", `{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"*/beta/GET/*"}`, false},
		{"single-character wildcard", `{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"*/pets/?"}`, true},
		{"action wildcard", `{"Effect":"Allow","Action":"execute-api:*","Resource":"*"}`, true},
		{"explicit deny wins", `{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"execute-api:InvalidateCache","Resource":"*/GET/pets/*"}`, false},
		{"deny of invoke only", `{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"*"},{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"*/DELETE/*"}`, true},
		{"NotAction", `{"Effect":"Allow","NotAction":"execute-api:InvalidateCache","Resource":"*"}`, false},
		{"conditional", `{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"*","Condition":{"Bool":{"x":"true"}}}`, false},
	} {
		d, err := parseDecision([]byte(`{"principalId":"u","policyDocument":{"Statement":[`+c.statements+`]}}`), false, true)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := d.mayInvalidate(arn); got != c.want {
			t.Errorf("%s: mayInvalidate = %v, want %v", c.name, got, c.want)
		}
	}
	// A simple answer authorizes invoking only.
	d, err := parseDecision([]byte(`{"isAuthorized":true}`), true, false)
	if err != nil || d.mayInvalidate(arn) {
		t.Fatalf("simple answer: mayInvalidate = %v, %v", d.mayInvalidate(arn), err)
	}
}

func TestInvalidPolicies(t *testing.T) {
	for _, doc := range []string{
		`[]`,
		`{"Statement":"x"}`,
		`{"Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":[1]}]}`,
	} {
		if _, err := parsePolicy([]byte(doc)); !errors.Is(err, errPolicy) {
			t.Errorf("%s: err = %v, want an invalid policy", doc, err)
		}
	}
}

func TestArnPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"/":                "",
		"/pets/7":          "pets/7",
		"/adm%69n/x":       "admin/x",
		"/a%2Fb/c":         "a%2Fb/c",
		"/caf%C3%A9":       "café",
		"/100%25":          "100%25",
		"/bad%zz":          "bad%zz",
		"/files/a%20b.txt": "files/a b.txt",
	} {
		if got := arnPath(in); got != want {
			t.Errorf("arnPath(%q) = %q, want %q", in, got, want)
		}
	}
	if got := methodArn("us-east-1", "shop", "pets", "prod", "GET", "/pets/7"); got != "arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/7" {
		t.Errorf("methodArn = %q", got)
	}
}

func TestParseDecision(t *testing.T) {
	d, err := parseDecision([]byte(`{"isAuthorized":true,"context":{"a":"x","b":2,"c":null,"d":{"e":[1, 2]}}}`), true, false)
	if err != nil || !d.simple || !d.authorized || d.context["a"] != "x" || d.context["b"] != "2" || d.context["d"] != `{"e":[1,2]}` {
		t.Fatalf("simple: %+v, %v", d, err)
	}
	if _, ok := d.context["c"]; ok {
		t.Fatal("a null context value was kept")
	}
	for _, body := range []string{
		`{"isAuthorized":"yes"}`,
		`{"context":{}}`,
		`not JSON`,
	} {
		if _, err := parseDecision([]byte(body), true, false); err == nil {
			t.Errorf("%s: parsed", body)
		}
	}
	// A simple-response authorizer may still answer with a policy.
	if d, err := parseDecision([]byte(`{"principalId":"u","policyDocument":{"Statement":[]}}`), true, false); err != nil || d.simple {
		t.Fatalf("policy answer to a simple authorizer: %+v, %v", d, err)
	}
	// Payload 1.0 refuses objects in context, as AWS's REST APIs do, and ignores isAuthorized.
	if _, err := parseDecision([]byte(`{"policyDocument":{},"context":{"d":[1]}}`), false, true); err == nil {
		t.Fatal("an array context value parsed with payload 1.0")
	}
	if _, err := parseDecision([]byte(`{"isAuthorized":true}`), false, true); err == nil {
		t.Fatal("isAuthorized was accepted without simple responses")
	}
	if _, err := parseDecision([]byte(`"Unauthorized"`), false, true); !errors.Is(err, errUnauthorized) {
		t.Fatalf("Unauthorized answer: %v", err)
	}
}
