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
	"crypto/tls"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// deleteConnectionTokens, the reference's step, deletes from h the headers a Connection header's values name: RFC
// 9110 (7.6.1) makes them for this hop only.
func deleteConnectionTokens(h http.Header, connection []string) {
	for _, f := range connection {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				h.Del(sf)
			}
		}
	}
}

// forwardHeader is the outgoing header map as forward builds it when it does not pass the
// fields as a list: outgoingFields, then fieldMap.
func forwardHeader(r *http.Request, rc *reqctx.Request, out http.Header, slab []string) (http.Header, []string) {
	fields, slab, _ := outgoingFields(r, rc, nil, slab)
	return fieldMap(fields, out), slab
}

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

// checkResponseHeader compares copyResponseHeader with the reference; when src's names are
// all canonical, also as told so (the lean transport's answers, upstream.CanonicalNames).
func checkResponseHeader(t *testing.T, gateway, src http.Header) {
	t.Helper()
	canonical := true
	for k := range src {
		canonical = canonical && k == textproto.CanonicalMIMEHeaderKey(k)
	}
	for _, told := range []bool{false, true} {
		if told && !canonical {
			continue
		}
		want, got := maps.Clone(gateway), maps.Clone(gateway)
		for k, vv := range gateway {
			want[k], got[k] = slices.Clone(vv), slices.Clone(vv)
		}
		before := maps.Clone(src)
		wantCT := referenceResponseHeader(want, src)
		gotCT := copyResponseHeader(got, src, told, src["Connection"])
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotCT, wantCT) {
			t.Fatalf("%v onto %v (canonical %v):\n got %v %q\nwant %v %q", src, gateway, told, got, gotCT, want, wantCT)
		}
		if !reflect.DeepEqual(src, before) {
			t.Fatalf("src changed: %v, was %v", src, before)
		}
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

// forwardHeader sizes its slab by the fields alone: fields of several values grow it on the
// way. Every value must still come through, each field's slice its own.
func TestForwardHeaderGrowsItsSlab(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://gw.example/prod/x", nil)
	for i := range 5 {
		k := fmt.Sprintf("X-Multi-%d", i)
		r.Header[k] = []string{"a" + k, "b" + k, "c" + k}
	}
	r.Header["Accept"] = []string{"*/*"}
	rc := &reqctx.Request{ID: "rid"}
	for _, slab := range [][]string{nil, make([]string, 0, 2), make([]string, 0, 64)} {
		out, _ := forwardHeader(r, rc, nil, slab)
		for k, vv := range r.Header {
			if !slices.Equal(out[k], vv) {
				t.Fatalf("slab of %d: %s = %q, want %q", cap(slab), k, out[k], vv)
			}
		}
		out["X-Multi-0"] = append(out["X-Multi-0"], "added")
		if got := out["X-Multi-1"]; !slices.Equal(got, r.Header["X-Multi-1"]) {
			t.Fatalf("slab of %d: an append to one field changed another: %q", cap(slab), got)
		}
		if out.Get("X-Forwarded-Host") != "gw.example" || out.Get("X-Request-Id") != "rid" {
			t.Fatalf("slab of %d: forwarding fields %v", cap(slab), out)
		}
	}
}

// FuzzPeerHost: the client's address for X-Forwarded-For, taken from the proxy's SourceIP
// where it can be, is what net.SplitHostPort makes of the connection's address, whether the
// peer is a trusted proxy (SourceIP then from X-Forwarded-For) or not.
func FuzzPeerHost(f *testing.F) {
	for _, addr := range []string{"192.0.2.1:51000", "[2001:db8::1]:443", "[::1]:80", "2001:db8::1", "host", ":80",
		"192.0.2.1:5:6", "192.0.2.1:", "a]b:80", "[a:80", "", "192.0.2.1"} {
		f.Add(addr, false, "")
		f.Add(addr, true, "198.51.100.7")
	}
	f.Fuzz(func(t *testing.T, remoteAddr string, trusted bool, forwarded string) {
		rc := &reqctx.Request{PeerTrusted: trusted, SourceIP: forwarded}
		if !trusted { // as the proxy's clientIP sets it
			rc.SourceIP = remoteAddr
			if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
				rc.SourceIP = h
			}
		}
		want, _, err := net.SplitHostPort(remoteAddr)
		got, ok := peerHost(remoteAddr, rc)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("peerHost(%q, trusted %v, SourceIP %q) = %q, %v; SplitHostPort: %q, %v", remoteAddr, trusted, rc.SourceIP, got, ok, want, err)
		}
	})
}

// The fields the client's Connection header names stay out, whether the pass over the map
// meets them before or after it.
func TestOutgoingFieldsDropConnectionNamed(t *testing.T) {
	header := http.Header{"Connection": {"X-Secret, keep-alive"}, "X-Secret": {"s"}, "Keep-Alive": {"5"},
		"A": {"1"}, "B": {"2"}, "C": {"3"}, "D": {"4"}, "E": {"5"}}
	want := []string{"A", "B", "C", "D", "E", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Request-Id"}
	for range 50 { // the map's order differs from pass to pass
		fields, _, _ := outgoingFields(&http.Request{Header: header, Host: "gw", RemoteAddr: "192.0.2.1:5"}, &reqctx.Request{ID: "id"}, nil, nil)
		var names []string
		for _, f := range fields {
			names = append(names, f.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Fatalf("fields %q, want %q", names, want)
		}
	}
}

// X-Forwarded-Port is the port the client called: the Host's, else the scheme's.
func TestForwardedPort(t *testing.T) {
	for host, want := range map[string]string{
		"gw.example": "80", "gw.example:8080": "8080", "[::1]:8443": "8443", "[::1]": "80", "gw:": "80", "gw:x1": "80",
	} {
		if got := forwardedPort(&http.Request{Host: host}); got != want {
			t.Errorf("%q: %q, want %q", host, got, want)
		}
	}
	if got := forwardedPort(&http.Request{Host: "gw.example", TLS: &tls.ConnectionState{}}); got != "443" {
		t.Errorf("https: %q", got)
	}
}
