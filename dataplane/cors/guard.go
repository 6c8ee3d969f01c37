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

package cors

import (
	"net/http"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
)

// Guard answers CORS preflights as a proxy.Guard: before the route match, because a browser's
// OPTIONS preflight usually targets a path whose route has no OPTIONS method, and before
// authorization, because browsers send preflights without credentials. An actual request
// gets its CORS headers here already, so that the answers the stage gives without a route
// (a path or method no route has: 404, 403) carry them too, and a page can read them; a
// route's step (NewStep) sets them again over whatever its integration answered.
func Guard(api *xdsv1alpha1.Api, _ *gatewayresponse.Set) (func(http.ResponseWriter, *http.Request) bool, error) {
	if api.GetCors() == nil || api.GetProtocol() == "WEBSOCKET" {
		return nil, nil
	}
	pol, err := Compile(api.GetCors())
	if err != nil {
		return nil, err
	}
	return func(w http.ResponseWriter, r *http.Request) bool {
		if pol.Preflight(w, r) {
			return true
		}
		pol.Decorate(w.Header(), r.Header.Get(HeaderOrigin))
		return false
	}, nil
}
