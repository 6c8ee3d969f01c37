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

func TestJWKSURI(t *testing.T) {
	for _, c := range []struct {
		issuer, jwks, want string
		bad                bool
	}{
		{issuer: "https://idp.example.com/", want: "https://idp.example.com/.well-known/jwks.json"},
		{issuer: "https://idp.example.com/realms/a", want: "https://idp.example.com/realms/a/.well-known/jwks.json"},
		{issuer: "anything", jwks: "http://127.0.0.1:9000/keys", want: "http://127.0.0.1:9000/keys"},
		{issuer: "${auth_url}/realms/tdr", bad: true},
		{issuer: "https://${host}/", bad: true},
		{issuer: "idp.example.com", bad: true},
		{issuer: "https://idp.example.com", jwks: "ftp://idp/keys", bad: true},
		{issuer: "https://idp.example.com", jwks: "/keys", bad: true},
	} {
		got, err := JWKSURI(c.issuer, c.jwks)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("JWKSURI(%q, %q) = %q, %v; want %q, bad=%v", c.issuer, c.jwks, got, err, c.want, c.bad)
		}
	}
}
