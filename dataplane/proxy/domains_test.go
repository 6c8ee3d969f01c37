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

package proxy

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/dataplane/edge"
	"github.com/portico-dev/portico/dataplane/proxy/rawheader"
	"github.com/portico-dev/portico/internal/testkit"
	"github.com/portico-dev/portico/internal/testpki"
)

// serveHTTPS serves f over TLS with the domain store's configuration on 127.0.0.1, on the
// listener the proxy command uses, and returns a client that reaches every name there.
func serveHTTPS(t *testing.T, f *fixture, store *domains.Store, pki *testpki.PKI) (addr string, client func(sni string) *http.Client) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ServerOptions{Handler: f.Proxy, TLS: true})
	go func() {
		_ = srv.Serve(rawheader.TLSListener(lis, store.TLSConfig(), edge.DefaultReadHeaderTimeout, f.WantsHeaderNames))
	}()
	t.Cleanup(func() { _ = srv.Close() })
	return lis.Addr().String(), func(sni string) *http.Client {
		tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{ServerName: sni, RootCAs: pki.CAPool, MinVersion: tls.VersionTLS12}}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: testkit.HostOf(sni, tr), Timeout: 5 * time.Second}
	}
}

func TestDomainBasePathsAndDisableDefaultEndpoint(t *testing.T) {
	pki := testpki.New(t)
	store := domains.New()
	f := newFixture(t, Options{Domains: store})
	pets := stageOf("pets", "prod", apiOf(nil, mockRoute("root", "/", "GET", "pets root"), mockRoute("list", "/pets", "GET", "pets")))
	orders := stageOf("orders", "live", apiOf(nil, mockRoute("list", "/items", "GET", "orders")))
	orders.DisableDefaultEndpoint = true
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	c := cfg(nil, pets, orders)
	c.Secrets = map[string]*xdsv1alpha1.TlsSecret{"tls/default/api": {Name: "tls/default/api", CertificateChain: crt, PrivateKey: key}}
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/api": {Key: "default/api", DomainName: "api.example.com", Certificate: "tls/default/api",
		Mappings: []*xdsv1alpha1.BasePathMapping{{BasePath: "orders/v1", Stage: "default/orders"}, {Stage: "default/pets"}}}}
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	addr, client := serveHTTPS(t, f, store, pki)
	for path, want := range map[string]string{
		"/":                "pets root",
		"/pets":            "pets",
		"/orders/v1/items": "orders",
	} {
		resp, err := client("api.example.com").Get("https://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != want || resp.Proto != "HTTP/2.0" {
			t.Errorf("GET %s: %d %s %q, want %q over HTTP/2", path, resp.StatusCode, resp.Proto, b, want)
		}
	}
	// A request for another host on the domain's connection is misdirected (421), not
	// served by the domain the SNI chose under another name.
	for _, host := range []string{"other.example.com", "unknown.test"} {
		req, _ := http.NewRequest("GET", "https://"+addr+"/pets", nil)
		req.Host = host
		resp, err := client("api.example.com").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("Host %s over api.example.com's connection: %d, want 421", host, resp.StatusCode)
		}
	}
	// Through the domain, the stage name is not part of the path.
	resp, err := client("api.example.com").Get("https://" + addr + "/prod/pets")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /prod/pets through the domain: %d", resp.StatusCode)
	}
	// The default endpoint serves pets, not orders (disableDefaultEndpoint).
	if w := f.do("GET", "/prod/pets", nil); w.Code != 200 {
		t.Errorf("default endpoint of pets: %d", w.Code)
	}
	// AWS's disabled execute-api endpoint: 403 {"message": "Forbidden"}, for any path.
	wantGatewayError(t, f.do("GET", "/live/items", nil), 403, "ACCESS_DENIED", "Forbidden")
	wantGatewayError(t, f.do("GET", "/live/nothing/here", nil), 403, "ACCESS_DENIED", "Forbidden")
}

// A mutual TLS client's certificate reaches mapping templates as
// $context.identity.clientCert.*.
func TestClientCertInContext(t *testing.T) {
	pki := testpki.New(t)
	store := domains.New()
	f := newFixture(t, Options{Domains: store})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	}))
	t.Cleanup(backend.Close)
	rt := uriRoute("who", "/who", "POST", backend.URL)
	rt.Integration.Type = "HTTP"
	rt.Integration.RequestTemplates = map[string]string{"application/json": "$context.identity.clientCert.subjectDN $context.identity.clientCert.validity.notAfter"}
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "mtls.example.com")
	c := cfg(nil, stageOf("pets", "prod", apiOf(nil, rt)))
	c.Secrets = map[string]*xdsv1alpha1.TlsSecret{
		"tls/default/mtls": {Name: "tls/default/mtls", CertificateChain: crt, PrivateKey: key},
		"ca/default/ca":    {Name: "ca/default/ca", TrustedCa: pki.CAPEM()},
	}
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/mtls": {Key: "default/mtls", DomainName: "mtls.example.com",
		Certificate: "tls/default/mtls", Truststore: "ca/default/ca", Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/pets"}}}}
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	addr, _ := serveHTTPS(t, f, store, pki)
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "mtls.example.com", RootCAs: pki.CAPool, MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{pki.ClientCertificate(t)}}}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: testkit.HostOf("mtls.example.com", tr), Timeout: 5 * time.Second}).Post("https://"+addr+"/who", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "CN=client ") || !strings.HasSuffix(string(b), " GMT") {
		t.Errorf("backend saw %d %q", resp.StatusCode, b)
	}
}

// A domain with httpRedirect answers plain HTTP requests for its host with its HTTPS URL;
// other hosts, and the domain over HTTPS, are served as before.
func TestHTTPRedirectToHTTPS(t *testing.T) {
	pki := testpki.New(t)
	store := domains.New()
	f := newFixture(t, Options{Domains: store})
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com", "*.example.org")
	c := cfg(nil, stageOf("pets", "prod", apiOf(nil, mockRoute("list", "/pets", "GET", "pets"))))
	c.Secrets = map[string]*xdsv1alpha1.TlsSecret{"tls/default/api": {Name: "tls/default/api", CertificateChain: crt, PrivateKey: key}}
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{
		"default/api":  {Key: "default/api", DomainName: "api.example.com", Certificate: "tls/default/api", HttpRedirect: true, Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/pets"}}},
		"default/wild": {Key: "default/wild", DomainName: "*.example.org", Certificate: "tls/default/api", Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/pets"}}},
	}
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, host, target string
		code                 int
		location             string
	}{
		{"GET", "api.example.com", "/pets?limit=2", http.StatusMovedPermanently, "https://api.example.com/pets?limit=2"},
		{"GET", "API.example.com.:8080", "/", http.StatusMovedPermanently, "https://api.example.com/"},
		{"POST", "api.example.com", "/pets", http.StatusPermanentRedirect, "https://api.example.com/pets"},
		// No redirect asked: the default endpoint serves the host.
		{"GET", "x.example.org", "/prod/pets", http.StatusOK, ""},
		{"GET", "other.test", "/prod/pets", http.StatusOK, ""},
	} {
		r := httptest.NewRequest(tc.method, "http://"+tc.host+tc.target, nil)
		w := httptest.NewRecorder()
		f.ServeHTTP(w, r)
		if w.Code != tc.code || w.Header().Get("Location") != tc.location {
			t.Errorf("%s http://%s%s = %d Location %q, want %d %q", tc.method, tc.host, tc.target, w.Code, w.Header().Get("Location"), tc.code, tc.location)
		}
	}
	addr, client := serveHTTPS(t, f, store, pki)
	resp, err := client("api.example.com").Get("https://" + addr + "/pets")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("over HTTPS: %d", resp.StatusCode)
	}
}

// An HTTP_PROXY route through a custom domain over HTTP/2 (ALPN): the request reaches the
// HTTP/1.1 backend on the lean path with X-Forwarded-Proto https, and the answer, its
// trailers included, comes back over HTTP/2.
func TestHTTPProxyOverHTTP2TLS(t *testing.T) {
	pki := testpki.New(t)
	store := domains.New()
	f := newFixture(t, Options{Domains: store})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, r.Proto+" "+r.Header.Get("X-Forwarded-Proto")+" "+string(b))
		w.Header().Set("X-Sum", "42")
	}))
	t.Cleanup(backend.Close)
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	c := cfg(nil, stageOf("pets", "prod", apiOf(nil, uriRoute("p", "/p", "POST", backend.URL+"/p"))))
	c.Secrets = map[string]*xdsv1alpha1.TlsSecret{"tls/default/api": {Name: "tls/default/api", CertificateChain: crt, PrivateKey: key}}
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/api": {Key: "default/api", DomainName: "api.example.com",
		Certificate: "tls/default/api", Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/pets"}}}}
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	addr, client := serveHTTPS(t, f, store, pki)
	resp, err := client("api.example.com").Post("https://"+addr+"/p", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(b) != "HTTP/1.1 https hello" || resp.Trailer.Get("X-Sum") != "42" {
		t.Errorf("%s %d %q, trailer %v", resp.Proto, resp.StatusCode, b, resp.Trailer)
	}
}

// A domain that cannot be served is logged once per error, and once more when it is served:
// at start-up a certificate may arrive after its domain.
func TestDomainLoggedUntilServed(t *testing.T) {
	pki := testpki.New(t)
	var logs []string
	log := funcr.New(func(prefix, args string) { logs = append(logs, args) }, funcr.Options{})
	f := newFixture(t, Options{Domains: domains.New(), Log: log})
	pets := stageOf("pets", "prod", apiOf(nil, mockRoute("list", "/pets", "GET", "pets")))
	c := cfg(nil, pets)
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/api": {Key: "default/api", DomainName: "api.example.com", Certificate: "tls/default/api",
		Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/pets"}}}}
	for range 2 {
		if err := f.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	c = cfg(nil, pets)
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/api": {Key: "default/api", DomainName: "api.example.com", Certificate: "tls/default/api",
		Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/pets"}}}}
	c.Secrets = map[string]*xdsv1alpha1.TlsSecret{"tls/default/api": {Name: "tls/default/api", CertificateChain: crt, PrivateKey: key}}
	for range 2 {
		if err := f.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	if len(logs) != 2 || !strings.Contains(logs[0], `"not serving a domain"`) || !strings.Contains(logs[1], `"serving a domain"`) ||
		!strings.Contains(logs[1], "default/api") {
		t.Errorf("logs %q: want one line on the missing certificate, one when served", logs)
	}
}

// A stage served through its domains only (disableDefaultEndpoint) takes no path of the
// default endpoint: another API's stage of the same name and hosts serves it there, and
// both apply; where none does, the default endpoint answers 403.
func TestDomainsOnlyStageLeavesTheDefaultEndpoint(t *testing.T) {
	pki := testpki.New(t)
	store := domains.New()
	f := newFixture(t, Options{Domains: store})
	pets := stageOf("pets", "prod", apiOf(nil, mockRoute("list", "/pets", "GET", "pets")))
	orders := stageOf("orders", "prod", apiOf(nil, mockRoute("list", "/pets", "GET", "orders")))
	orders.DisableDefaultEndpoint = true
	hidden := stageOf("hidden", "live", apiOf(nil, mockRoute("list", "/pets", "GET", "hidden")))
	hidden.DisableDefaultEndpoint = true
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	c := cfg(nil, orders, pets, hidden)
	c.Secrets = map[string]*xdsv1alpha1.TlsSecret{"tls/default/api": {Name: "tls/default/api", CertificateChain: crt, PrivateKey: key}}
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/api": {Key: "default/api", DomainName: "api.example.com", Certificate: "tls/default/api",
		Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/orders"}}}}
	if err := f.Apply(c); err != nil {
		t.Fatalf("the stages clash: %v", err)
	}
	if w := f.do("GET", "/prod/pets", nil); w.Code != 200 || w.Body.String() != "pets" {
		t.Errorf("default endpoint /prod/pets: %d %q, want pets", w.Code, w.Body)
	}
	wantGatewayError(t, f.do("GET", "/live/pets", nil), 403, "ACCESS_DENIED", "Forbidden")
	addr, client := serveHTTPS(t, f, store, pki)
	resp, err := client("api.example.com").Get("https://" + addr + "/pets")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "orders" {
		t.Errorf("through the domain: %d %q, want orders", resp.StatusCode, b)
	}
}

// An open connection keeps no access its handshake would not get now: after the domain's
// truststore is replaced, or mutual TLS turned on, its next request is refused (403), as a
// new handshake is; an unrelated update leaves it served.
func TestMutualTLSChangesReachOpenConnections(t *testing.T) {
	pki := testpki.New(t)
	store := domains.New()
	f := newFixture(t, Options{Domains: store})
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "mtls.example.com")
	apply := func(truststore []byte, stageName string) {
		t.Helper()
		c := cfg(nil, stageOf("pets", stageName, apiOf(nil, mockRoute("m", "/m", "GET", "ok"))))
		c.Secrets = map[string]*xdsv1alpha1.TlsSecret{"tls/default/mtls": {Name: "tls/default/mtls", CertificateChain: crt, PrivateKey: key}}
		d := &xdsv1alpha1.DomainSnapshot{Key: "default/mtls", DomainName: "mtls.example.com", Certificate: "tls/default/mtls",
			Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/pets"}}}
		if truststore != nil {
			c.Secrets["ca/default/ca"] = &xdsv1alpha1.TlsSecret{Name: "ca/default/ca", TrustedCa: truststore}
			d.Truststore = "ca/default/ca"
		}
		c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/mtls": d}
		if err := f.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	get := func(c *http.Client) int {
		t.Helper()
		resp, err := c.Get("https://mtls.example.com/m")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	addr, _ := serveHTTPS(t, f, store, pki)
	client := func(certs ...tls.Certificate) *http.Client {
		tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "mtls.example.com", RootCAs: pki.CAPool, MinVersion: tls.VersionTLS12, Certificates: certs},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 5 * time.Second}
	}
	other := testpki.New(t)

	apply(pki.CAPEM(), "prod")
	withCert := client(pki.ClientCertificate(t))
	if code := get(withCert); code != 200 {
		t.Fatalf("mutual TLS: %d", code)
	}
	apply(pki.CAPEM(), "prod2") // the same truststore, another change
	if code := get(withCert); code != 200 {
		t.Errorf("after an unrelated update: %d, want 200", code)
	}
	apply(other.CAPEM(), "prod")
	if code := get(withCert); code != http.StatusForbidden {
		t.Errorf("after the truststore was replaced: %d, want 403", code)
	}

	apply(nil, "prod")
	without := client()
	if code := get(without); code != 200 {
		t.Fatalf("no mutual TLS: %d", code)
	}
	apply(pki.CAPEM(), "prod")
	if code := get(without); code != http.StatusForbidden {
		t.Errorf("after mutual TLS was turned on, a connection without a certificate: %d, want 403", code)
	}
}
