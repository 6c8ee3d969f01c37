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

package h1_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// A connection keeps its last request's and response's header maps for the next ones: each
// request and response sees only its own fields, whatever came before on the connection
// (a long header, over what is kept, included), and the maps are the same ones.
func TestHeaderMapsKeptBetweenRequests(t *testing.T) {
	var reqMaps, respMaps []string
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqMaps = append(reqMaps, fmt.Sprintf("%p", r.Header))
		respMaps = append(respMaps, fmt.Sprintf("%p", w.Header()))
		if v := r.Header.Get("X-Set"); v != "" {
			w.Header().Set("X-Resp", v)
		}
		_, _ = fmt.Fprint(w, strings.Join(slices.Sorted(maps.Keys(r.Header)), ","))
	}))
	c := dial(t, addr)
	var long strings.Builder
	for i := range 40 {
		fmt.Fprintf(&long, "X-Long-%d: %d\r\n", i, i)
	}
	for i, step := range []struct{ fields, wantBody, wantResp string }{
		{"X-A: 1\r\nX-Set: one\r\n", "X-A,X-Set", "one"},
		{"X-B: 2\r\n", "X-B", ""},
		{"X-Set: two\r\n", "X-Set", "two"},
		{long.String(), "", ""},
		{"X-C: 3\r\n", "X-C", ""},
		{"", "", ""},
	} {
		c.send("GET / HTTP/1.1\r\nHost: h\r\n" + step.fields + "\r\n")
		a, body := c.read("GET")
		if step.wantBody == "" && step.fields != "" {
			step.wantBody = body // the long header: checked by the request after it
		}
		if body != step.wantBody || a.Header.Get("X-Resp") != step.wantResp {
			t.Fatalf("request %d: fields %q, X-Resp %q; want %q, %q", i, body, a.Header.Get("X-Resp"), step.wantBody, step.wantResp)
		}
	}
	if reqMaps[0] != reqMaps[1] || reqMaps[1] != reqMaps[2] || respMaps[0] != respMaps[1] || respMaps[1] != respMaps[2] {
		t.Errorf("the maps were not kept: requests %v, responses %v", reqMaps, respMaps)
	}
}
