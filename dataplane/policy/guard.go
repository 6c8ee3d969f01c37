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

package policy

import (
	"net/http"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// Guard is the resource policy as a proxy.Guard: checked for every request to the stage,
// before its route is matched, so that no answer (not even a 404 or a CORS preflight) goes to
// a refused address. It fails closed: a request without a known source address is refused.
func Guard(api *xdsv1alpha1.Api, responses *gatewayresponse.Set) (func(http.ResponseWriter, *http.Request) bool, error) {
	pol, err := Compile(api.GetSourceIps())
	if err != nil || pol == nil {
		return nil, err
	}
	return func(w http.ResponseWriter, r *http.Request) bool {
		rc := reqctx.From(r.Context())
		if rc != nil && pol.AllowedString(rc.SourceIP) {
			return false
		}
		var id string
		if rc != nil {
			id = rc.ID
		}
		gatewayresponse.Write(w, r, gatewayresponse.AccessDenied, responses, id)
		return true
	}, nil
}
