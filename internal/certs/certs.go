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

// Package certs reads certificates, keys and truststores and maps a DomainName's security
// policy to TLS settings. The compiler and the proxy both use it, so that the controller
// refuses exactly the Secrets the proxy could not serve.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KeyPair parses a PEM certificate chain and its private key, as in a kubernetes.io/tls
// Secret's tls.crt and tls.key. The leaf is parsed too (tls.Certificate.Leaf). Errors never
// quote the key.
func KeyPair(certPEM, keyPEM []byte) (tls.Certificate, error) {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// X509KeyPair's messages name the problem, never the bytes.
		return tls.Certificate{}, fmt.Errorf("tls.crt and tls.key: %w", err)
	}
	if c.Leaf == nil {
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("tls.crt: %w", err)
		}
		c.Leaf = leaf
	}
	return c, nil
}

// Covers reports whether leaf is valid for domain. A wildcard domain ("*.example.com") needs
// the same wildcard among the certificate's names, since a certificate for one host does not
// cover the others.
func Covers(leaf *x509.Certificate, domain string) bool {
	if strings.HasPrefix(domain, "*.") {
		for _, n := range leaf.DNSNames {
			if strings.EqualFold(n, domain) {
				return true
			}
		}
		return false
	}
	return leaf.VerifyHostname(domain) == nil
}

// Expired reports whether leaf is outside its validity at now.
func Expired(leaf *x509.Certificate, now time.Time) bool {
	return now.After(leaf.NotAfter) || now.Before(leaf.NotBefore)
}

// Truststore parses a PEM bundle of CA certificates. Blocks other than CERTIFICATE are
// skipped; a bundle without a single certificate is an error.
func Truststore(bundle []byte) (*x509.CertPool, error) {
	pool, _, err := TruststoreCerts(bundle)
	return pool, err
}

// TruststoreCerts is Truststore, and the certificates the pool holds: a verified chain ends
// in one of these very values (the same pointers), which tells a chain verified against
// this pool from one verified against another.
func TruststoreCerts(bundle []byte) (*x509.CertPool, []*x509.Certificate, error) {
	pool := x509.NewCertPool()
	var out []*x509.Certificate
	for rest := bundle; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("certificate %d: %w", len(out)+1, err)
		}
		pool.AddCert(c)
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, nil, errors.New("no PEM certificate")
	}
	return pool, out, nil
}

// Policy is the TLS side of a security policy.
type Policy struct {
	MinVersion uint16
	// CipherSuites apply to TLS 1.0 to 1.2; Go does not let TLS 1.3 suites be chosen.
	CipherSuites []uint16
}

// tls12Suites are the suites of AWS's TLS_1_2 policy that Go implements.
var tls12Suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
}

// tls10Suites add the SHA-1 CBC suites of AWS's TLS_1_0 policy, for old clients.
var tls10Suites = append(append([]uint16(nil), tls12Suites...),
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_RSA_WITH_AES_256_CBC_SHA,
)

// PolicyOf maps a security policy name (TLS_1_0, TLS_1_2, TLS_1_3) to TLS settings. An
// empty name is TLS_1_2, the API's default; an unknown one is an error.
func PolicyOf(name string) (Policy, error) {
	switch name {
	case "TLS_1_0":
		return Policy{MinVersion: tls.VersionTLS10, CipherSuites: tls10Suites}, nil
	case "", "TLS_1_2":
		return Policy{MinVersion: tls.VersionTLS12, CipherSuites: tls12Suites}, nil
	case "TLS_1_3":
		return Policy{MinVersion: tls.VersionTLS13}, nil
	}
	return Policy{}, fmt.Errorf("unknown security policy %q", name)
}
