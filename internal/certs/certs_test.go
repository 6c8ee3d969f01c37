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

package certs_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/certs"
	"github.com/portico-dev/portico/internal/testpki"
)

func TestKeyPairAndCovers(t *testing.T) {
	p := testpki.New(t)
	crt, key := p.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com", "*.apps.example.com")
	c, err := certs.KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	for domain, want := range map[string]bool{
		"api.example.com":      true,
		"x.apps.example.com":   true,
		"*.apps.example.com":   true,
		"other.example.com":    false,
		"*.example.com":        false,
		"a.b.apps.example.com": false,
	} {
		if got := certs.Covers(c.Leaf, domain); got != want {
			t.Errorf("Covers(%s) = %v, want %v", domain, got, want)
		}
	}
	if certs.Expired(c.Leaf, time.Now()) || !certs.Expired(c.Leaf, time.Now().Add(2*time.Hour)) {
		t.Error("Expired is wrong")
	}
}

func TestKeyPairMismatchNeverQuotesTheKey(t *testing.T) {
	p := testpki.New(t)
	crt, _ := p.ServerPEM(t, time.Now().Add(time.Hour), "a.example.com")
	_, key := p.ServerPEM(t, time.Now().Add(time.Hour), "b.example.com")
	_, err := certs.KeyPair(crt, key)
	if err == nil {
		t.Fatal("a certificate with another key was accepted")
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), string(key[40:60])) {
		t.Errorf("error quotes the key: %v", err)
	}
}

func TestTruststore(t *testing.T) {
	p := testpki.New(t)
	if _, err := certs.Truststore(p.CAPEM()); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.Truststore([]byte("not pem")); err == nil {
		t.Error("a bundle without certificates was accepted")
	}
}

func TestPolicyOf(t *testing.T) {
	for name, min := range map[string]uint16{"": tls.VersionTLS12, "TLS_1_0": tls.VersionTLS10, "TLS_1_2": tls.VersionTLS12, "TLS_1_3": tls.VersionTLS13} {
		pol, err := certs.PolicyOf(name)
		if err != nil || pol.MinVersion != min {
			t.Errorf("PolicyOf(%q) = %v, %v", name, pol, err)
		}
	}
	if _, err := certs.PolicyOf("TLS_1_1"); err == nil {
		t.Error("TLS_1_1 accepted")
	}
}
