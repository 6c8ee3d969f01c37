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
	"maps"
	"net/http"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// copyResponseHeader against the three steps it does in one pass, as forward ran them before
// (and ReverseProxy runs them): removeHopByHop, modifyResponse, then a copy keyed by
// textproto.CanonicalMIMEHeaderKey.
func referenceResponseHeader(dst, src http.Header) []string {
	h := maps.Clone(src)
	deleteConnectionTokens(h, h["Connection"])
	for k := range h {
		if isHopByHop(k) {
			delete(h, k)
		}
	}
	_ = modifyResponse(&http.Response{Header: h})
	for k, vv := range h {
		if len(vv) == 0 {
			continue
		}
		k = textproto.CanonicalMIMEHeaderKey(k)
		if have := dst[k]; len(have) > 0 {
			dst[k] = append(have, vv...)
			continue
		}
		dst[k] = vv[:len(vv):len(vv)]
	}
	return h["Content-Type"]
}

func checkResponseHeader(t *testing.T, gateway, src http.Header) {
	t.Helper()
	want, got := maps.Clone(gateway), maps.Clone(gateway)
	for k, vv := range gateway {
		want[k], got[k] = slices.Clone(vv), slices.Clone(vv)
	}
	before := maps.Clone(src)
	wantCT := referenceResponseHeader(want, src)
	gotCT := copyResponseHeader(got, src)
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotCT, wantCT) {
		t.Fatalf("%v onto %v:\n got %v %q\nwant %v %q", src, gateway, got, gotCT, want, wantCT)
	}
	if !reflect.DeepEqual(src, before) {
		t.Fatalf("src changed: %v, was %v", src, before)
	}
}

func TestCopyResponseHeader(t *testing.T) {
	gateway := http.Header{"X-Request-Id": {"gw"}, "Access-Control-Allow-Origin": {"*"}, "Vary": {"Origin"}}
	for _, src := range []http.Header{
		{"Server": {"nginx"}, "Content-Type": {"text/plain"}, "Content-Length": {"4"}, "Connection": {"keep-alive"}, "Keep-Alive": {"timeout=5"}},
		{"Connection": {"close, X-Private", " Content-Type "}, "X-Private": {"1"}, "Content-Type": {"text/event-stream"}},
		{"Connection": {"Keep-Alive,,CLOSE"}, "Close": {"x"}, "Te": {"trailers"}, "Trailer": {"X-Sum"}, "Upgrade": {"h2c"}},
		{"X-Request-Id": {"backend"}, "Vary": {"Accept-Encoding"}, "Proxy-Authenticate": {"Basic"}, "X-Empty": {}},
		{"connection": {"x-a"}, "x-a": {"1"}, "X-B": {"2"}, "Foo Bar": {"sp"}, "Transfer-Encoding": {"chunked"}},
		{"Connection": {"foo bar, \u212aeep-alive"}, "Foo Bar": {"1"}, "Keep-Alive": {"k"}},
	} {
		checkResponseHeader(t, gateway, src)
		checkResponseHeader(t, http.Header{}, src)
	}
}

// FuzzCopyResponseHeader: headers from lines "name: value", names as they come (net/http's
// transport keys canonical names; another RoundTripper may not).
func FuzzCopyResponseHeader(f *testing.F) {
	f.Add("Connection: keep-alive, X-A\nX-A: 1\nContent-Type: text/plain\nx-request-id: b\nKeep-Alive: t")
	f.Add("connection: close\nclose: 1\nTE: x\nte: y\ncontent-type: a")
	f.Fuzz(func(t *testing.T, lines string) {
		src := http.Header{}
		for _, line := range strings.Split(lines, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				src[k] = append(src[k], strings.TrimSpace(v))
			}
		}
		if len(src) > 1 {
			// Two names with one canonical form are added in the map's order, which
			// differs between runs: each name at most once per canonical form.
			seen := map[string]bool{}
			for k := range src {
				c := textproto.CanonicalMIMEHeaderKey(k)
				if seen[c] {
					delete(src, k)
				}
				seen[c] = true
			}
		}
		checkResponseHeader(t, http.Header{"X-Request-Id": {"gw"}, "Vary": {"Origin"}}, src)
	})
}
