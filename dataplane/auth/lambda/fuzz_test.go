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
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portico-dev/portico/internal/mapping"
)

func FuzzPolicy(f *testing.F) {
	f.Add(`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/prod/GET/*"}]}`,
		"arn:aws:execute-api:us-east-1:shop:pets/prod/GET/pets/7")
	f.Add(`{"Statement":{"Effect":"Deny","NotAction":["*"],"NotResource":"?*","Condition":{"a":1}}}`, "x")
	f.Add(`{"Statement":null}`, "")
	f.Add(`{"isAuthorized":true,"context":{"a":[1]}}`, "*")
	f.Fuzz(func(t *testing.T, doc, arn string) {
		if p, err := parsePolicy([]byte(doc)); err == nil {
			p.allows(invokeAction, arn)
			// A policy with no statement that can match allows nothing.
			if len(p.statements) == 0 && (p.allows(invokeAction, arn) || p.allows(invalidateAction, arn)) {
				t.Fatal("an empty policy allowed")
			}
		}
		for _, simple := range []bool{false, true} {
			if d, err := parseDecision([]byte(doc), simple, !simple); err == nil {
				d.allows(arn)
				d.mayInvalidate(arn)
			}
		}
	})
}

func FuzzWildcardMatch(f *testing.F) {
	f.Add("arn:*:pets/?", "arn:aws:x:pets/7")
	f.Add("*a*a*b", "aaaaaaaa")
	f.Add("", "")
	f.Add("pets/?", "pets/é")
	f.Add("*?é*", "aéé")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := wildcardMatch(pattern, s)
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return // the reference below does not compile invalid UTF-8
		}
		ref := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
		if want := regexp.MustCompile("(?s)" + ref).MatchString(s); got != want {
			t.Fatalf("wildcardMatch(%q, %q) = %v, the reference says %v", pattern, s, got, want)
		}
	})
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{
		"$request.header.Authorization", "$request.querystring.t", "$stageVariables.x",
		"$context.identity.sourceIp", "method.request.header.", "$context.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := parseSource(s)
		if err != nil {
			return
		}
		if src.Name == "" {
			t.Fatalf("parseSource(%q) parsed to no name", s)
		}
		if v, _, ok := mapping.LookupContext(src.Name); src.Kind == mapping.Context && (!ok || v == mapping.ContextAuthorizer) {
			t.Fatalf("parseSource(%q) accepted unknown $context.%s", s, src.Name)
		}
	})
}
