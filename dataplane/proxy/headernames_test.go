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
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/internal/testpki"
)

// TestHeaderNamesAsSent: over a real connection, a payload 1.0 event has the header names
// as an HTTP/1.1 client spelled them and lower case from an HTTP/2 client; a 2.0 event has
// them lower case whatever the client sent.
func TestHeaderNamesAsSent(t *testing.T) {
	fn := newRawFunction(t, `{"statusCode":200,"body":"ok"}`)
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, lambdaRoute("v2", "/v2", fn.URL, "2.0"))))
	if f.WantsHeaderNames() {
		t.Error("a 2.0 route asks for header names")
	}
	f.apply(t, stageOf("prod", "prod", apiOf(nil, lambdaRoute("v1", "/v1", fn.URL, "1.0"), lambdaRoute("v2", "/v2", fn.URL, "2.0"))))
	if !f.WantsHeaderNames() {
		t.Fatal("a 1.0 route does not ask for header names")
	}
	// The listener as `portico proxy`'s: the HTTP/1.x server keeps the names itself.
	addr := servePortico(t, f)

	var h2 http.Protocols
	h2.SetUnencryptedHTTP2(true)
	clients := map[string]*http.Client{
		"HTTP/1.1": {Timeout: 10 * time.Second},
		"HTTP/2.0": {Timeout: 10 * time.Second, Transport: &http.Transport{Protocols: &h2}},
	}
	pad := ""
	send := func(client *http.Client, path string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+"/prod"+path, nil)
		req.Header["HeaderAuth1"] = []string{"headerValue1"}
		req.Header["x-lower"] = []string{"a", "b"}
		if pad != "" {
			req.Header["X-Pad"] = []string{pad}
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
	}
	// A head longer than the server's buffer is read by net/http's parser: its names too.
	clients["HTTP/1.1, long head"] = clients["HTTP/1.1"]
	for name, client := range clients {
		proto, _, long := strings.Cut(name, ", ")
		pad = ""
		if long {
			pad = strings.Repeat("p", 6000)
		}
		send(client, "/v1")
		var ev events.APIGatewayProxyRequest
		fn.event(t, &ev)
		auth, lower, host, xff := "HeaderAuth1", "x-lower", "Host", "X-Forwarded-For"
		if proto == "HTTP/2.0" {
			auth, host = "headerauth1", "host"
		}
		if ev.Headers[auth] != "headerValue1" || len(ev.MultiValueHeaders[lower]) != 2 || ev.Headers[host] == "" || ev.Headers[xff] == "" ||
			ev.RequestContext.Protocol != proto {
			t.Errorf("%s: 1.0 event headers %v", proto, ev.MultiValueHeaders)
		}
		send(client, "/v2")
		var ev2 map[string]any
		fn.event(t, &ev2)
		h, _ := ev2["headers"].(map[string]any)
		if h["headerauth1"] != "headerValue1" || h["x-lower"] != "a,b" {
			b, _ := json.Marshal(h)
			t.Errorf("%s: 2.0 event headers %s", proto, b)
		}
	}
}

// TestHeaderNamesOverHTTPS: through a custom domain with mutual TLS, a payload 1.0 event
// has the header names as an HTTP/1.1 client spelled them, lower case from an HTTP/2 client
// (ALPN), and the client certificate in both.
func TestHeaderNamesOverHTTPS(t *testing.T) {
	fn := newRawFunction(t, `{"statusCode":200,"body":"ok"}`)
	pki := testpki.New(t)
	store := domains.New()
	f := newFixture(t, Options{Domains: store})
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "mtls.example.com")
	c := cfg(nil, stageOf("prod", "prod", apiOf(nil, lambdaRoute("v1", "/v1", fn.URL, "1.0"))))
	c.Secrets = map[string]*xdsv1alpha1.TlsSecret{
		"tls/default/mtls": {Name: "tls/default/mtls", CertificateChain: crt, PrivateKey: key},
		"ca/default/ca":    {Name: "ca/default/ca", TrustedCa: pki.CAPEM()},
	}
	c.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"default/mtls": {Key: "default/mtls", DomainName: "mtls.example.com",
		Certificate: "tls/default/mtls", Truststore: "ca/default/ca", Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "default/prod"}}}}
	if err := f.Apply(c); err != nil {
		t.Fatal(err)
	}
	addr, _ := serveHTTPS(t, f, store, pki)
	for _, proto := range []string{"HTTP/1.1", "HTTP/2.0"} {
		var protocols http.Protocols
		protocols.SetHTTP1(proto == "HTTP/1.1")
		protocols.SetHTTP2(proto == "HTTP/2.0")
		tr := &http.Transport{Protocols: &protocols, TLSClientConfig: &tls.Config{ServerName: "mtls.example.com", RootCAs: pki.CAPool,
			MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.ClientCertificate(t)}}}
		t.Cleanup(tr.CloseIdleConnections)
		req, _ := http.NewRequest("GET", "https://"+addr+"/v1", nil)
		req.Header["HeaderAuth1"] = []string{"headerValue1"}
		req.Host = "mtls.example.com"
		res, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 || res.Proto != proto {
			t.Fatalf("%s: %d over %s", proto, res.StatusCode, res.Proto)
		}
		var ev events.APIGatewayProxyRequest
		var raw struct {
			RequestContext struct {
				Identity struct {
					ClientCert *struct {
						SubjectDN string `json:"subjectDN"`
					} `json:"clientCert"`
				} `json:"identity"`
			} `json:"requestContext"`
		}
		var b json.RawMessage
		fn.event(t, &b)
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		auth, forwarded := "HeaderAuth1", "X-Forwarded-Proto"
		if proto == "HTTP/2.0" {
			auth = "headerauth1"
		}
		if ev.Headers[auth] != "headerValue1" || ev.Headers[forwarded] != "https" || ev.RequestContext.Protocol != proto {
			t.Errorf("%s: 1.0 event headers %v", proto, ev.MultiValueHeaders)
		}
		if cc := raw.RequestContext.Identity.ClientCert; cc == nil || cc.SubjectDN != "CN=client" {
			t.Errorf("%s: clientCert %+v", proto, cc)
		}
	}
}

// TestTemplateHeaderNamesAsSent: $input.params().header is keyed by the names as the client
// spelled them, as AWS's templates see them, so .get('x-custom-h') finds x-custom-h; a
// configuration without such a template does not ask for the names.
func TestTemplateHeaderNamesAsSent(t *testing.T) {
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, mockRoute("plain", "/plain", "GET", "$input.params('x-custom-h')"))))
	if f.WantsHeaderNames() {
		t.Error("a template without $input.params() asks for header names")
	}
	f.apply(t, stageOf("prod", "prod", apiOf(nil, mockRoute("hdr", "/hdr", "GET",
		"#foreach($h in $input.params().header.keySet())$h;#end|$input.params().header.get('x-custom-h')|$input.params().header['X-Custom-H']"))))
	if !f.WantsHeaderNames() {
		t.Fatal("a template reading $input.params().header does not ask for header names")
	}
	addr := servePortico(t, f)
	req, _ := http.NewRequest("GET", "http://"+addr+"/prod/hdr", nil)
	req.Header["x-custom-h"] = []string{"v1"}
	req.Header["petId"] = []string{"7"}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	got := string(b)
	keys, values, _ := strings.Cut(got, "|")
	if values != "v1|" || !strings.Contains(keys, "x-custom-h;") || !strings.Contains(keys, "petId;") || !strings.Contains(keys, "Host;") {
		t.Errorf("template saw %q; want the names as sent and x-custom-h's value by its own spelling", got)
	}
}
