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

package upstream

import (
	"net/http"
)

// An answer's header map, built only when asked for.
//
// A proxy passing an answer's fields on as they came (Fields) reads two of them from the
// map: Connection, for the fields it names, and Content-Length. Building the map for that is
// a map assignment per field, about a twentieth of a proxied request's instructions. So a
// caller that reads the header only through Fields, Values and Header says so on its
// request's context (Hints.LazyHeader), and for an answer whose list stands for the map (a
// plain head, neither chunked nor announcing trailers, and not a 1xx, whose header goes to
// the 1xx handler) res.Header stays empty until Header fills it. An answer without a body,
// which Header cannot tell from another's (its Body is http.NoBody), has its map at once.
// Framing reads and changes the two fields it works on through the response (values, del,
// set), which keeps its changes apart until then.

// lazyHeader is an answer's header while its map is not built: the list (response.fields)
// and what framing changed of it.
type lazyHeader struct {
	on       bool
	dropConn bool     // Connection removed
	dropCL   bool     // Content-Length removed
	cl       []string // Content-Length's value, when set
}

// values is the answer's header's values of k, a canonical name, as the map has them.
func (r *response) values(k string) []string {
	if !r.lazy.on {
		return r.res.Header[k]
	}
	switch {
	case k == "Connection" && r.lazy.dropConn, k == "Content-Length" && r.lazy.dropCL:
		return nil
	case k == "Content-Length" && r.lazy.cl != nil:
		return r.lazy.cl
	}
	var vv []string
	for _, f := range r.fields {
		switch {
		case f.Name != k:
		case vv == nil:
			vv = f.Values // the map's own slice, for a single line
		default:
			// A line's values have no room beyond them: the append copies, as the map's
			// entry does.
			vv = append(vv, f.Values...)
		}
	}
	return vv
}

// del removes the field k (Connection or Content-Length) from the answer's header.
func (r *response) del(k string) {
	switch {
	case !r.lazy.on:
		delete(r.res.Header, k)
	case k == "Connection":
		r.lazy.dropConn = true
	default:
		r.lazy.dropCL, r.lazy.cl = true, nil
	}
}

// set makes vv the values of Content-Length in the answer's header.
func (r *response) set(k string, vv []string) {
	if !r.lazy.on {
		r.res.Header[k] = vv
		return
	}
	r.lazy.cl, r.lazy.dropCL = vv, false
}

// Header returns res's header map, building it first when the caller's word left it
// empty (Hints.LazyHeader). The lean path's answer's map is then its fields' as readResponse
// would have made it: the lines of a name in one entry, in their order, with framing's
// changes.
func Header(res *http.Response) http.Header {
	if r := leanOf(res); r != nil {
		r.fill()
	}
	return res.Header
}

// fill builds the header map, when it is not built yet.
func (r *response) fill() {
	if !r.lazy.on {
		return
	}
	h := r.res.Header
	cl := false
	for _, f := range r.fields {
		switch k := f.Name; {
		case k == "Connection" && r.lazy.dropConn:
		case k == "Content-Length" && (r.lazy.dropCL || r.lazy.cl != nil):
			if !cl && r.lazy.cl != nil {
				h[k] = r.lazy.cl
			}
			cl = true
		default:
			if vv, ok := h[k]; ok {
				h[k] = append(vv, f.Values...)
			} else {
				h[k] = f.Values
			}
		}
	}
	r.lazy = lazyHeader{}
}

// Values returns res.Header[k] for a canonical name k, without building a map Header would
// build.
func Values(res *http.Response, k string) []string {
	if r := leanOf(res); r != nil {
		return r.values(k)
	}
	return res.Header[k]
}
