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

// Package domains serves custom domain names: the TLS side (a certificate chosen by SNI,
// the domain's security policy, mutual TLS against its truststore) and the base path
// mappings that pick a stage before the default /{stage}/ routing does.
//
// Everything a handshake or a request reads is one immutable table behind an atomic
// pointer. An update builds a new table off to the side and swaps it in: new handshakes get
// the new certificate, connections already open keep theirs and are never cut.
package domains

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/internal/certs"
)

// Store holds the served domains. The zero value is not usable; call New.
type Store struct {
	tab atomic.Pointer[table]

	mu sync.Mutex // serializes Update; guards parsed
	// parsed caches each secret as last parsed, by name, so that an update that does not
	// change a secret does not parse its key again.
	parsed map[string]parsedSecret
}

type parsedSecret struct {
	msg  *xdsv1alpha1.TlsSecret
	cert *tls.Certificate
	pool *poolOf
	err  error
}

// poolOf wraps a truststore; a pointer, so that two domains sharing one share its pool.
// anchors are its certificates, as the chains it verifies end in them.
type poolOf struct {
	cfg     *tls.Config
	anchors *anchors
}

// anchors are a truststore's certificates: by value, as a full handshake's verified chain
// ends in one of the pool's own, and by their bytes, as a resumed session's chain is
// parsed anew from its ticket.
type anchors struct {
	values map[*x509.Certificate]bool
	raw    map[string]bool
}

// holds reports whether c is one of the anchors.
func (a *anchors) holds(c *x509.Certificate) bool {
	return a.values[c] || a.raw[string(c.Raw)]
}

type table struct {
	exact map[string]*domain
	// wild is keyed by the suffix after "*.": "*.example.com" is "example.com".
	wild map[string]*domain
	// redirects is set when a domain redirects plain HTTP: the HTTP listener's fast path.
	redirects bool
}

type domain struct {
	key      string
	tls      *tls.Config
	anchors  *anchors // the truststore's, nil without mutual TLS
	mappings []mapping
	redirect bool
}

// mapping is a base path as a path prefix: "/orders/v1", or "" for the root.
type mapping struct{ prefix, stage string }

// New returns a Store serving no domain.
func New() *Store {
	s := &Store{parsed: map[string]parsedSecret{}}
	s.tab.Store(&table{})
	return s
}

// Update makes domains the served ones, with their key material from secrets. A domain
// whose certificate or truststore is missing or invalid is left out and returned, by domain
// key, with why; the others are served. Errors never quote key material.
func (s *Store) Update(domains map[string]*xdsv1alpha1.DomainSnapshot, secrets map[string]*xdsv1alpha1.TlsSecret) map[string]error {
	s.mu.Lock()
	defer s.mu.Unlock()
	parsed := make(map[string]parsedSecret, len(secrets))
	secret := func(name string) parsedSecret {
		if p, ok := parsed[name]; ok {
			return p
		}
		msg := secrets[name]
		p, ok := s.parsed[name]
		if !ok || p.msg != msg {
			p = parse(msg)
		}
		parsed[name] = p
		return p
	}
	t := &table{exact: map[string]*domain{}, wild: map[string]*domain{}}
	var errs map[string]error
	fail := func(key string, err error) {
		if errs == nil {
			errs = map[string]error{}
		}
		errs[key] = err
	}
	for _, key := range slices.Sorted(maps.Keys(domains)) {
		d, err := build(domains[key], secret)
		if err != nil {
			fail(key, err)
			continue
		}
		name := strings.ToLower(domains[key].GetDomainName())
		tab, k := t.exact, name
		if suffix, ok := strings.CutPrefix(name, "*."); ok {
			tab, k = t.wild, suffix
		}
		if other := tab[k]; other != nil {
			fail(key, fmt.Errorf("domain %s is served by %s", name, other.key))
			continue
		}
		tab[k] = d
		t.redirects = t.redirects || d.redirect
	}
	s.parsed = parsed
	s.tab.Store(t)
	return errs
}

func parse(msg *xdsv1alpha1.TlsSecret) parsedSecret {
	p := parsedSecret{msg: msg}
	if msg == nil {
		p.err = errors.New("not received")
		return p
	}
	if len(msg.GetTrustedCa()) > 0 {
		pool, list, err := certs.TruststoreCerts(msg.GetTrustedCa())
		if err != nil {
			p.err = err
			return p
		}
		a := &anchors{values: map[*x509.Certificate]bool{}, raw: map[string]bool{}}
		for _, c := range list {
			a.values[c], a.raw[string(c.Raw)] = true, true
		}
		p.pool = &poolOf{cfg: &tls.Config{ClientCAs: pool}, anchors: a}
		return p
	}
	c, err := certs.KeyPair(msg.GetCertificateChain(), msg.GetPrivateKey())
	if err != nil {
		p.err = err
		return p
	}
	p.cert = &c
	return p
}

func build(d *xdsv1alpha1.DomainSnapshot, secret func(string) parsedSecret) (*domain, error) {
	pol, err := certs.PolicyOf(d.GetSecurityPolicy())
	if err != nil {
		return nil, err
	}
	c := secret(d.GetCertificate())
	if c.err == nil && c.cert == nil {
		c.err = errors.New("holds no certificate")
	}
	if c.err != nil {
		return nil, fmt.Errorf("certificate %s: %w", d.GetCertificate(), c.err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{*c.cert},
		MinVersion:   pol.MinVersion,
		CipherSuites: pol.CipherSuites,
		// The returned config replaces the listener's for the handshake, ALPN included.
		NextProtos: []string{"h2", "http/1.1"},
	}
	if name := d.GetTruststore(); name != "" {
		ts := secret(name)
		if ts.err == nil && ts.pool == nil {
			ts.err = errors.New("holds no CA")
		}
		if ts.err != nil {
			return nil, fmt.Errorf("truststore %s: %w", name, ts.err)
		}
		cfg.ClientCAs = ts.pool.cfg.ClientCAs
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.VerifyConnection = clientKeyStrength
		// The CRD refuses mutual TLS with TLS_1_0; a snapshot from elsewhere gets 1.2.
		cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	}
	out := &domain{key: d.GetKey(), tls: cfg, redirect: d.GetHttpRedirect()}
	if cfg.ClientCAs != nil {
		out.anchors = secret(d.GetTruststore()).pool.anchors
	}
	for _, m := range d.GetMappings() {
		prefix := ""
		if bp := strings.Trim(m.GetBasePath(), "/"); bp != "" {
			prefix = "/" + bp
		}
		out.mappings = append(out.mappings, mapping{prefix: prefix, stage: m.GetStage()})
	}
	// The control plane sends them longest first; a proxy does not rely on it.
	slices.SortStableFunc(out.mappings, func(a, b mapping) int { return len(b.prefix) - len(a.prefix) })
	return out, nil
}

// clientKeyStrength refuses a client certificate whose key AWS's mutual TLS refuses: RSA
// under 2048 bits, ECDSA under 256, any other kind.
func clientKeyStrength(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil // RequireAndVerifyClientCert has refused it already
	}
	switch k := cs.PeerCertificates[0].PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() >= 2048 {
			return nil
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize >= 256 {
			return nil
		}
	}
	return errors.New("client certificate: the key must be RSA of 2048 bits or more, or ECDSA of 256 bits or more")
}

// find returns the domain serving name (lower case, no trailing dot): the exact name, then
// the wildcard of its parent, which covers one label as in TLS.
func (t *table) find(name string) *domain {
	if d := t.exact[name]; d != nil {
		return d
	}
	if i := strings.IndexByte(name, '.'); i > 0 && len(t.wild) > 0 {
		return t.wild[name[i+1:]]
	}
	return nil
}

func normalize(name string) string {
	name = strings.TrimSuffix(name, ".")
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

// TLSConfig returns the listener's configuration: each handshake gets the configuration of
// the domain its SNI names, from the table current at that moment. A handshake without SNI,
// or for a name no domain serves, fails: there is no certificate to answer it with that the
// client would accept.
func (s *Store) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS10,
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			if hello.ServerName == "" {
				return nil, errors.New("no server name (SNI) in the client hello")
			}
			d := s.tab.Load().find(normalize(hello.ServerName))
			if d == nil {
				return nil, fmt.Errorf("no domain %q", hello.ServerName)
			}
			return d.tls, nil
		},
	}
}

// Route finds the stage a request to host and path is for through a domain's base path
// mappings, the longest base path first, and the path below the base path (empty for the
// base path itself, as for a stage root). served is false
// when no domain serves host; then the default endpoint routes the request. A served host
// with no mapping for path returns an empty stage.
func (s *Store) Route(host, path string) (stage, rest string, served bool) {
	t := s.tab.Load()
	if len(t.exact) == 0 && len(t.wild) == 0 {
		return "", "", false
	}
	d := t.find(normalize(host))
	if d == nil {
		return "", "", false
	}
	for _, m := range d.mappings {
		switch {
		case m.prefix == "":
			return m.stage, path, true
		case path == m.prefix:
			return m.stage, "", true
		case strings.HasPrefix(path, m.prefix) && path[len(m.prefix)] == '/':
			return m.stage, path[len(m.prefix):], true
		}
	}
	return "", "", true
}

// Admits reports whether a request on a connection whose handshake gave cs may be served
// by the domain serverName names as it is configured now: a domain that asks for client
// certificates admits only a connection whose verified chain ends in a certificate of its
// truststore as it is now. A connection opened before mutual TLS was turned on, or before
// its truststore was replaced, is refused, as new handshakes are. The chain's anchor is
// the pool's own value, so this is a map lookup, not a verification.
func (s *Store) Admits(serverName string, cs *tls.ConnectionState) bool {
	d := s.tab.Load().find(normalize(serverName))
	if d == nil || d.anchors == nil {
		return true
	}
	for _, chain := range cs.VerifiedChains {
		if len(chain) > 0 && d.anchors.holds(chain[len(chain)-1]) {
			return true
		}
	}
	return false
}

// RedirectsHTTP reports whether a plain HTTP request for host is to be redirected to HTTPS:
// the domain serving host asks for it (DomainName.spec.httpRedirect).
func (s *Store) RedirectsHTTP(host string) bool {
	t := s.tab.Load()
	if !t.redirects {
		return false
	}
	d := t.find(normalize(host))
	return d != nil && d.redirect
}
