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
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// guarded returns next behind the Guard of an API with ips, as the proxy runs a stage's
// guards before its routes; an API the guard does not apply to gets next itself.
func guarded(ips *xdsv1alpha1.SourceIps, next http.Handler) (http.Handler, error) {
	g, err := Guard(&xdsv1alpha1.Api{SourceIps: ips}, nil)
	if err != nil || g == nil {
		return next, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g(w, r) {
			next.ServeHTTP(w, r)
		}
	}), nil
}

func build(t *testing.T, ips *xdsv1alpha1.SourceIps) http.Handler {
	t.Helper()
	h, err := guarded(ips, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func from(h http.Handler, ip string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/prod/pets", nil)
	// A forged header is no source of the client address: the proxy computes SourceIP.
	r.Header.Set("X-Forwarded-For", "10.1.2.3")
	r = r.WithContext(reqctx.With(r.Context(), &reqctx.Request{ID: "req-1", SourceIP: ip}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestGuard(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ips     *xdsv1alpha1.SourceIps
		allowed []string
		denied  []string
	}{
		{
			name:    "allow",
			ips:     &xdsv1alpha1.SourceIps{Allow: []string{"10.0.0.0/8", "192.0.2.7/32"}},
			allowed: []string{"10.0.0.1", "10.255.255.255", "192.0.2.7", "::ffff:10.9.9.9"},
			denied:  []string{"11.0.0.1", "192.0.2.8", "2001:db8::1", "", "not-an-ip"},
		},
		{
			name:    "deny",
			ips:     &xdsv1alpha1.SourceIps{Deny: []string{"203.0.113.0/24"}},
			allowed: []string{"10.0.0.1", "2001:db8::1", "203.0.114.1"},
			denied:  []string{"203.0.113.9", "::ffff:203.0.113.9", "garbage"},
		},
		{
			name:    "deny wins",
			ips:     &xdsv1alpha1.SourceIps{Allow: []string{"10.0.0.0/8"}, Deny: []string{"10.1.0.0/16", "10.2.3.4"}},
			allowed: []string{"10.0.0.1", "10.2.3.5"},
			denied:  []string{"10.1.2.3", "10.2.3.4", "172.16.0.1"},
		},
		{
			name:    "IPv6",
			ips:     &xdsv1alpha1.SourceIps{Allow: []string{"2001:db8::/32"}, Deny: []string{"2001:db8:bad::/48", "::ffff:192.0.2.0/120"}},
			allowed: []string{"2001:db8::1", "2001:db8:ffff::1", "2001:db8::1%eth0"},
			denied:  []string{"2001:db9::1", "2001:db8:bad::1", "10.0.0.1", "192.0.2.1"},
		},
		{
			name:    "mapped prefix denies plain IPv4",
			ips:     &xdsv1alpha1.SourceIps{Deny: []string{"::ffff:192.0.2.0/120"}},
			allowed: []string{"192.0.3.1"},
			denied:  []string{"192.0.2.1", "::ffff:192.0.2.1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := build(t, tc.ips)
			for _, ip := range tc.allowed {
				if w := from(h, ip); w.Code != http.StatusOK {
					t.Errorf("%q refused: %d", ip, w.Code)
				}
			}
			for _, ip := range tc.denied {
				w := from(h, ip)
				if w.Code != http.StatusForbidden || w.Header().Get(gatewayresponse.HeaderErrorType) != "ACCESS_DENIED" {
					t.Errorf("%q: got %d %v, want 403 ACCESS_DENIED", ip, w.Code, w.Header())
				}
			}
		})
	}
}

func TestNotApplicable(t *testing.T) {
	next := http.NotFoundHandler()
	for _, ips := range []*xdsv1alpha1.SourceIps{nil, {}} {
		h, err := guarded(ips, next)
		if err != nil {
			t.Fatal(err)
		}
		if w := from(h, "10.0.0.1"); w.Code != http.StatusNotFound {
			t.Fatalf("%v: the guard refused a request", ips)
		}
	}
}

func TestInvalidPrefix(t *testing.T) {
	for _, ips := range []*xdsv1alpha1.SourceIps{
		{Allow: []string{"10.0.0.0/33"}},
		{Deny: []string{"example.com"}},
		{Allow: []string{"10.0.0.0/8"}, Deny: []string{"2001:db8::/129"}},
		{Allow: []string{""}},
		{Deny: []string{"fe80::1%eth0"}},
	} {
		if _, err := guarded(ips, http.NotFoundHandler()); err == nil {
			t.Errorf("%v: no error", ips)
		}
	}
}

func TestNoRequestContext(t *testing.T) {
	h := build(t, &xdsv1alpha1.SourceIps{Deny: []string{"10.0.0.0/8"}})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusForbidden {
		t.Fatalf("got %d, want the policy to fail closed", w.Code)
	}
}

func TestParsePrefixesNormalizes(t *testing.T) {
	s, err := ParsePrefixes([]string{"10.1.2.3/8", "10.0.0.0/8", " 192.0.2.1 ", "2001:db8::1", "::ffff:198.51.100.0/120"})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(s.Prefixes())
	if want := "[2001:db8::1/128 192.0.2.1/32 198.51.100.0/24 10.0.0.0/8]"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// The indexed form, past linearMax prefixes, answers as the scan does.
func TestIndexedMatchesLinear(t *testing.T) {
	var list []string
	for i := range 40 {
		list = append(list, fmt.Sprintf("10.%d.0.0/%d", i, 16+i%9), fmt.Sprintf("2001:db8:%x::/%d", i, 48+i%17))
	}
	list = append(list, "172.16.0.0/12", "192.0.2.1")
	indexed, err := ParsePrefixes(list)
	if err != nil {
		t.Fatal(err)
	}
	if indexed.byBits == nil {
		t.Fatal("no index for many prefixes")
	}
	linear := &PrefixSet{list: indexed.list}
	for _, a := range []string{"10.3.0.1", "10.3.200.1", "10.39.0.0", "10.40.0.0", "172.20.1.1", "192.0.2.1", "192.0.2.2", "2001:db8:5::1", "2001:db8:5:ffff::1", "2001:db8:100::1", "8.8.8.8", "::1"} {
		addr := netip.MustParseAddr(a)
		if indexed.Contains(addr) != linear.Contains(addr) {
			t.Errorf("%s: indexed %v, linear %v", a, indexed.Contains(addr), linear.Contains(addr))
		}
	}
}

func TestNilPolicyAllows(t *testing.T) {
	var p *Policy
	if !p.Allowed(netip.Addr{}) || !p.AllowedString("junk") {
		t.Fatal("a nil policy refused")
	}
}

func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.1", "::ffff:10.0.0.0/104", "1.2.3.4/33", "fe80::1%eth0/64", "", "/", "::/0"} {
		f.Add(s, "10.1.2.3")
	}
	f.Fuzz(func(t *testing.T, prefix, addr string) {
		list := []string{prefix}
		for range 10 {
			list = append(list, prefix) // enough for the indexed form
		}
		for _, l := range [][]string{list[:1], list} {
			s, err := ParsePrefixes(l)
			if err != nil {
				continue
			}
			for _, p := range s.Prefixes() {
				if !p.IsValid() || p != p.Masked() {
					t.Fatalf("%q gave %v", prefix, p)
				}
			}
			p := &Policy{allow: s}
			_ = p.AllowedString(addr)
			if a, err := netip.ParseAddr(addr); err == nil {
				a = a.Unmap().WithZone("")
				linear := &PrefixSet{list: s.list}
				if s.Contains(a) != linear.Contains(a) {
					t.Fatalf("%q, %s: the index and the scan disagree", prefix, a)
				}
			}
		}
	})
}

func BenchmarkAllowed(b *testing.B) {
	for _, n := range []int{4, 256} {
		var list []string
		for i := range n {
			list = append(list, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
		}
		p, err := Compile(&xdsv1alpha1.SourceIps{Allow: list})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				p.AllowedString("172.16.0.1")
			}
		})
	}
}
