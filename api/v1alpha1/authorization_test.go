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

import (
	"reflect"
	"testing"
)

func TestEffectiveAuthorization(t *testing.T) {
	jwt := &Authorization{AuthorizerRef: &LocalObjectReference{Name: "jwt"}, Scopes: []string{"read"}, APIKeyRequired: true}
	fn := &Authorization{AuthorizerRef: &LocalObjectReference{Name: "fn"}}
	none := &Authorization{Type: AuthorizationNone, APIKeyRequired: true}
	keyOnly := &Authorization{APIKeyRequired: true}
	noKey := &Authorization{APIKeyRequired: false}
	for _, c := range []struct {
		name       string
		route, def *Authorization
		want       *Authorization
	}{
		{"neither", nil, nil, nil},
		{"the default", nil, jwt, jwt},
		{"the route's authorizer", fn, jwt, fn},
		{"type NONE opens", none, jwt, none},
		{"only apiKeyRequired keeps the default's authorizer", noKey, jwt, &Authorization{AuthorizerRef: &LocalObjectReference{Name: "jwt"}, Scopes: []string{"read"}}},
		{"a key, no default authorizer", keyOnly, &Authorization{APIKeyRequired: false}, keyOnly},
		{"a key, no default", keyOnly, nil, keyOnly},
	} {
		if got := EffectiveAuthorization(c.route, c.def); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	if jwt.APIKeyRequired != true {
		t.Error("the default was changed")
	}
}
