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

package v1alpha1

// EffectiveAuthorization is how a route whose authorization is a is authorized under its
// API's defaultAuthorization d (either may be nil): d when a is unset; a when it names an
// authorizer or says type NONE; otherwise, a route that sets only apiKeyRequired, d's
// authorizer and scopes with a's apiKeyRequired. A route that asks for an API key does not
// drop the API's authorizer unawares: opening a route takes type NONE. The compiler and the
// OpenAPI export read routes through it alike.
func EffectiveAuthorization(a, d *Authorization) *Authorization {
	switch {
	case a == nil:
		return d
	case d == nil || a.Type == AuthorizationNone || a.AuthorizerRef != nil || d.Type == AuthorizationNone || d.AuthorizerRef == nil:
		return a
	}
	out := d.DeepCopy()
	out.APIKeyRequired = a.APIKeyRequired
	return out
}
