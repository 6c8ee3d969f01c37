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
	"net/http/httptest"
	"testing"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// A querystring mapping sets its parameter and leaves every other pair as the client wrote
// it: in place, in its encoding, even one that does not decode.
func TestSetQueryParam(t *testing.T) {
	for _, tc := range []struct{ raw, name, value, want string }{
		{"zz=1&semi=a;b&x=a%20b&bad=%zz&ok=1", "q2", "v", "zz=1&semi=a;b&x=a%20b&bad=%zz&ok=1&q2=v"},
		{"q2=old&a=1&q%32=older", "q2", "new value", "a=1&q2=new+value"},
		{"a=1&q2=x", "q2", "", "a=1"},
		{"", "q", "v", "q=v"},
		{"", "q", "", ""},
	} {
		if got := setQueryParam(tc.raw, tc.name, tc.value); got != tc.want {
			t.Errorf("setQueryParam(%q, %q, %q) = %q, want %q", tc.raw, tc.name, tc.value, got, tc.want)
		}
	}
}

// A repeated header or query parameter maps its last value, as AWS's single-value sources.
func TestMappingTakesLastValue(t *testing.T) {
	ms, err := compileMappings(map[string]string{
		"querystring.q2": "$request.querystring.q",
		"header.x-multi": "$request.header.x-in",
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := httptest.NewRequest("GET", "/prod/get?q=first&q=last", nil)
	in.Header.Add("X-In", "h1")
	in.Header.Add("X-In", "h2")
	out := in.Clone(in.Context())
	ms.apply(out, in, &reqctx.Request{})
	if out.URL.RawQuery != "q=first&q=last&q2=last" || out.Header.Get("X-Multi") != "h2" {
		t.Errorf("query %q, X-Multi %q", out.URL.RawQuery, out.Header.Get("X-Multi"))
	}
}

// $context.identity.apiKeyId maps the key's id (its Secret's name), as AWS's does.
func TestMappingAPIKeyID(t *testing.T) {
	ms, err := compileMappings(map[string]string{"header.x-key-id": "$context.identity.apiKeyId"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := httptest.NewRequest("GET", "/prod/get", nil)
	out := in.Clone(in.Context())
	ms.apply(out, in, &reqctx.Request{APIKeyID: "customer-a", APIKey: "the-value-never-travels"})
	if got := out.Header.Get("X-Key-Id"); got != "customer-a" {
		t.Errorf("X-Key-Id %q", got)
	}
}
