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
package jwt

import (
	"net/http"
	"net/http/httptest"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// A request carrying its identity source twice answers 400 BAD_REQUEST_PARAMETERS, whether
// the second token is valid or not: the authorizer checks one value and the backend, which
// gets the request's headers, might read the other.
func TestRepeatedIdentitySource(t *testing.T) {
	k := rsaKey(t, 0, "k1", jose.RS256)
	e := newEnv(t, []signingKey{k}, nil)
	tok := sign(t, k, claimsAt(e.clock.Now()))
	send := func(h http.Handler, target string, auth ...string) *httptest.ResponseRecorder {
		e.last = nil
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for _, a := range auth {
			r.Header.Add("Authorization", a)
		}
		r = r.WithContext(reqctx.With(r.Context(), &reqctx.Request{ID: "req-1"}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := send(e.h, "/pets", "Bearer "+tok, "Bearer "+tok)
	e.wantStatus(w, 400, "BAD_REQUEST_PARAMETERS")
	if want := `{"message":"Invalid request parameters: identity source Authorization sent more than once"}`; w.Body.String() != want {
		t.Errorf("body %s, want %s", w.Body, want) // the message says why, not "Missing ...: []"
	}
	e.wantStatus(send(e.h, "/pets", "Bearer "+tok, "Bearer forged"), 400, "BAD_REQUEST_PARAMETERS")
	e.wantStatus(send(e.h, "/pets", "Bearer forged", "Bearer "+tok), 400, "BAD_REQUEST_PARAMETERS")
	e.wantStatus(send(e.h, "/pets", "Bearer "+tok), 200, "")

	q := newEnv(t, []signingKey{k}, func(az *xdsv1alpha1.Authorizer) { az.IdentitySources = []string{"$request.querystring.token"} })
	q.wantStatus(send(q.h, "/pets?token="+tok+"&token=x"), 400, "BAD_REQUEST_PARAMETERS")
	q.wantStatus(send(q.h, "/pets?token="+tok, "a", "b"), 200, "") // a header it does not read may repeat
}
