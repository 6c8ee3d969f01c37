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
	"fmt"
	"net/url"
	"strings"
)

// JWKSURI returns the address a JWT authorizer fetches its signing keys from: jwksURI when
// set, else the issuer's /.well-known/jwks.json. It is an error when that address is not an
// absolute http(s) URL with a host the proxy could dial (a template placeholder such as
// ${auth_url} left in an imported export is the usual cause), so the compiler refuses the
// Authorizer that the proxy would otherwise refuse with its whole stage.
func JWKSURI(issuer, jwksURI string) (string, error) {
	from := "jwksUri"
	if jwksURI == "" {
		from = "issuer"
		jwksURI = strings.TrimSuffix(issuer, "/") + "/.well-known/jwks.json"
	}
	u, err := url.Parse(jwksURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(u.Host, "${}") {
		if from == "issuer" {
			return "", fmt.Errorf("issuer %q is not an http(s) URL, and no jwksUri is set: the proxy could not fetch the signing keys", issuer)
		}
		return "", fmt.Errorf("jwksUri %q is not an http(s) URL", jwksURI)
	}
	return jwksURI, nil
}
