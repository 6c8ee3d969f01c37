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

package domains_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/internal/testkit"
	"github.com/portico-dev/portico/internal/testpki"
)

type fixture struct {
	pki     *testpki.PKI
	store   *domains.Store
	addr    string
	secrets map[string]*xdsv1alpha1.TlsSecret
	domains map[string]*xdsv1alpha1.DomainSnapshot
}

func (f *fixture) cert(t testing.TB, name string, dnsNames ...string) {
	t.Helper()
	crt, key := f.pki.ServerPEM(t, time.Now().Add(time.Hour), dnsNames...)
	f.secrets[name] = &xdsv1alpha1.TlsSecret{Name: name, CertificateChain: crt, PrivateKey: key}
}

func (f *fixture) apply(t testing.TB) map[string]error {
	t.Helper()
	return f.store.Update(f.domains, f.secrets)
}

// newFixture serves api.example.com (TLS_1_2), *.apps.example.com (TLS_1_3) and
// mtls.example.com (mutual TLS) on a TLS listener on 127.0.0.1, answering with the protocol
// and the client certificate's subject.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{pki: testpki.New(t), store: domains.New(), secrets: map[string]*xdsv1alpha1.TlsSecret{}, domains: map[string]*xdsv1alpha1.DomainSnapshot{}}
	f.cert(t, "tls/shop/api", "api.example.com")
	f.cert(t, "tls/shop/apps", "*.apps.example.com")
	f.cert(t, "tls/shop/mtls", "mtls.example.com")
	f.secrets["ca/shop/partners/ca.crt"] = &xdsv1alpha1.TlsSecret{Name: "ca/shop/partners/ca.crt", TrustedCa: f.pki.CAPEM()}
	f.domains["shop/api"] = &xdsv1alpha1.DomainSnapshot{Key: "shop/api", DomainName: "api.example.com", SecurityPolicy: "TLS_1_2", Certificate: "tls/shop/api",
		Mappings: []*xdsv1alpha1.BasePathMapping{{BasePath: "orders/v1", Stage: "shop/orders"}, {BasePath: "orders", Stage: "shop/orders-old"}, {Stage: "shop/pets"}}}
	f.domains["shop/apps"] = &xdsv1alpha1.DomainSnapshot{Key: "shop/apps", DomainName: "*.apps.example.com", SecurityPolicy: "TLS_1_3", Certificate: "tls/shop/apps",
		Mappings: []*xdsv1alpha1.BasePathMapping{{BasePath: "v1", Stage: "shop/apps"}}}
	f.domains["shop/mtls"] = &xdsv1alpha1.DomainSnapshot{Key: "shop/mtls", DomainName: "mtls.example.com", Certificate: "tls/shop/mtls", Truststore: "ca/shop/partners/ca.crt"}
	if errs := f.apply(t); errs != nil {
		t.Fatal(errs)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	srv := &http.Server{Protocols: &protocols, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		subject := ""
		if len(r.TLS.PeerCertificates) > 0 {
			subject = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		fmt.Fprintf(w, "%s %s", r.Proto, subject)
	})}
	go func() { _ = srv.Serve(tls.NewListener(lis, f.store.TLSConfig())) }()
	t.Cleanup(func() { _ = srv.Close() })
	f.addr = lis.Addr().String()
	return f
}

func (f *fixture) dial(sni string, mod func(*tls.Config)) (*tls.Conn, error) {
	cfg := &tls.Config{ServerName: sni, RootCAs: f.pki.CAPool, MinVersion: tls.VersionTLS10, NextProtos: []string{"http/1.1"}}
	if mod != nil {
		mod(cfg)
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	return tls.DialWithDialer(d, "tcp", f.addr, cfg)
}

// get sends one HTTP/1.1 request on c and returns the body.
func get(t *testing.T, c *tls.Conn, host string) string {
	t.Helper()
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func leafNames(c *tls.Conn) []string {
	return c.ConnectionState().PeerCertificates[0].DNSNames
}

func TestSNISelection(t *testing.T) {
	f := newFixture(t)
	for sni, want := range map[string]string{
		"api.example.com":    "api.example.com",
		"API.Example.com":    "api.example.com",
		"x.apps.example.com": "*.apps.example.com",
	} {
		c, err := f.dial(sni, nil)
		if err != nil {
			t.Errorf("%s: %v", sni, err)
			continue
		}
		if got := leafNames(c); got[0] != want {
			t.Errorf("%s got the certificate of %v", sni, got)
		}
		_ = c.Close()
	}
	for _, sni := range []string{"other.example.com", "a.b.apps.example.com", "apps.example.com"} {
		if c, err := f.dial(sni, func(c *tls.Config) { c.InsecureSkipVerify = true }); err == nil {
			_ = c.Close()
			t.Errorf("a handshake for %s succeeded", sni)
		}
	}
	// No SNI at all: dial by address.
	if c, err := f.dial("", func(c *tls.Config) { c.InsecureSkipVerify = true }); err == nil {
		_ = c.Close()
		t.Error("a handshake without SNI succeeded")
	}
}

func TestSecurityPolicy(t *testing.T) {
	f := newFixture(t)
	tls12 := func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }
	tls11 := func(c *tls.Config) { c.MaxVersion = tls.VersionTLS11 }
	if c, err := f.dial("x.apps.example.com", tls12); err == nil {
		_ = c.Close()
		t.Error("a TLS 1.2 client reached a TLS_1_3 domain")
	}
	if c, err := f.dial("api.example.com", tls11); err == nil {
		_ = c.Close()
		t.Error("a TLS 1.1 client reached a TLS_1_2 domain")
	}
	c, err := f.dial("api.example.com", tls12)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if s := c.ConnectionState().CipherSuite; s != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 && s != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("suite = %s", tls.CipherSuiteName(s))
	}
}

func TestHTTP2ByALPN(t *testing.T) {
	f := newFixture(t)
	c, err := f.dial("api.example.com", func(c *tls.Config) { c.NextProtos = []string{"h2", "http/1.1"} })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Errorf("ALPN = %q, want h2", p)
	}
	// And a whole request, as an HTTP client makes it.
	tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{ServerName: "api.example.com", RootCAs: f.pki.CAPool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + f.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.Proto != "HTTP/2.0" || !strings.HasPrefix(string(b), "HTTP/2.0") {
		t.Errorf("proto = %s, body %q", resp.Proto, b)
	}
}

func TestMutualTLS(t *testing.T) {
	f := newFixture(t)
	good := f.pki.ClientCertificate(t)
	stranger := f.pki.StrangerCertificate(t)
	c, err := f.dial("mtls.example.com", func(c *tls.Config) { c.Certificates = []tls.Certificate{good} })
	if err != nil {
		t.Fatal(err)
	}
	if body := get(t, c, "mtls.example.com"); body != "HTTP/1.1 client" {
		t.Errorf("body = %q", body)
	}
	_ = c.Close()
	weak := f.pki.WeakClientCertificate(t)
	for name, certs := range map[string][]tls.Certificate{"foreign": {stranger}, "none": nil, "an RSA-1024": {weak}} {
		c, err := f.dial("mtls.example.com", func(c *tls.Config) { c.Certificates = certs })
		if err == nil {
			// TLS 1.3 clients learn of a refused certificate at their first read.
			_, err = fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: mtls.example.com\r\n\r\n")
			if err == nil {
				var resp *http.Response
				if resp, err = http.ReadResponse(bufio.NewReader(c), nil); err == nil {
					_ = resp.Body.Close()
				}
			}
			_ = c.Close()
		}
		if err == nil {
			t.Errorf("a client with %s certificate was served", name)
		}
	}
}

// A renewed certificate reaches new handshakes; a connection opened before keeps working.
func TestRotationKeepsOpenConnections(t *testing.T) {
	f := newFixture(t)
	old, err := f.dial("api.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldSerial := old.ConnectionState().PeerCertificates[0].SerialNumber
	f.cert(t, "tls/shop/api", "api.example.com")
	if errs := f.apply(t); errs != nil {
		t.Fatal(errs)
	}
	c, err := f.dial("api.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ConnectionState().PeerCertificates[0].SerialNumber.Cmp(oldSerial) == 0 {
		t.Error("a new handshake got the old certificate")
	}
	if body := get(t, old, "api.example.com"); !strings.HasPrefix(body, "HTTP/1.1") {
		t.Errorf("the open connection answered %q", body)
	}
}

// Rotations while clients keep calling, over kept-alive connections and new ones alike: not
// one request fails, and new handshakes end up with the last certificate.
func TestRotationUnderLoad(t *testing.T) {
	f := newFixture(t)
	var served, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half the clients keep their connections, half open a new one per request.
			tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "api.example.com", RootCAs: f.pki.CAPool, MinVersion: tls.VersionTLS12},
				DisableKeepAlives: i%2 == 1}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("https://" + f.addr + "/")
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				served.Add(1)
			}
		}()
	}
	var last *big.Int
	for range 5 {
		f.cert(t, "tls/shop/api", "api.example.com")
		block, _ := pem.Decode(f.secrets["tls/shop/api"].GetCertificateChain())
		leaf, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		last = leaf.SerialNumber
		if errs := f.apply(t); errs != nil {
			t.Fatal(errs)
		}
		before := served.Load()
		testkit.Eventually(t, "requests served after a rotation", func() bool { return served.Load() >= before+20 })
	}
	close(stop)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed during rotations; first: %v", n, n+served.Load(), firstErr.Load())
	}
	c, err := f.dial("api.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ConnectionState().PeerCertificates[0].SerialNumber.Cmp(last) != 0 {
		t.Error("a new handshake does not get the last certificate")
	}
}

func TestBrokenSecretLeavesOthersServed(t *testing.T) {
	f := newFixture(t)
	delete(f.secrets, "tls/shop/apps")
	f.secrets["tls/shop/mtls"] = &xdsv1alpha1.TlsSecret{Name: "tls/shop/mtls", CertificateChain: []byte("x"), PrivateKey: []byte("-----BEGIN EC PRIVATE KEY-----\nsecret\n-----END EC PRIVATE KEY-----\n")}
	errs := f.apply(t)
	if len(errs) != 2 || errs["shop/apps"] == nil || errs["shop/mtls"] == nil {
		t.Fatalf("errors = %v", errs)
	}
	if strings.Contains(errs["shop/mtls"].Error(), "secret") {
		t.Errorf("the error quotes the key: %v", errs["shop/mtls"])
	}
	c, err := f.dial("api.example.com", nil)
	if err != nil {
		t.Fatalf("the valid domain stopped serving: %v", err)
	}
	_ = c.Close()
}

func TestRoute(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ host, path, stage, rest string }{
		{"api.example.com", "/orders/v1/items", "shop/orders", "/items"},
		{"api.example.com", "/orders/v1", "shop/orders", ""},
		{"api.example.com", "/orders/v2", "shop/orders-old", "/v2"},
		{"api.example.com", "/ordersx", "shop/pets", "/ordersx"},
		{"API.example.com", "/pets/1", "shop/pets", "/pets/1"},
		{"x.apps.example.com", "/v1/a", "shop/apps", "/a"},
		{"x.apps.example.com", "/v2/a", "", ""},
	} {
		stage, rest, served := f.store.Route(tc.host, tc.path)
		if !served || stage != tc.stage || rest != tc.rest {
			t.Errorf("Route(%s, %s) = %q, %q, %v; want %q, %q", tc.host, tc.path, stage, rest, served, tc.stage, tc.rest)
		}
	}
	if _, _, served := f.store.Route("localhost", "/prod/pets"); served {
		t.Error("a host without a domain was routed by a domain")
	}
}
