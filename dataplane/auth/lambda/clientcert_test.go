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

package lambda

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/internal/testkit"
	"github.com/portico-dev/portico/internal/testpki"
)

// TestClientCertInEvents: a real TLS client presents its certificate to a mutual TLS domain;
// the certificate reaches the REQUEST authorizer's event, the Lambda function's event (1.0
// identity.clientCert, 2.0 authentication.clientCert, decoded with aws-lambda-go's types)
// and the access log's $context.identity.clientCert.* variables.
func TestClientCertInEvents(t *testing.T) {
	pki := testpki.New(t)
	clientPEM, _ := pki.ClientPEM(t)
	block, _ := pem.Decode(clientPEM)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"1.0", "2.0"} {
		t.Run(version, func(t *testing.T) {
			a := newAuthz(t, answerJSON(policyAnswer("Allow", arnPrefix+"*")))
			if version == "2.0" {
				a.answer = answerJSON(map[string]any{"isAuthorized": true})
			}
			fnEvents := make(chan []byte, 1)
			fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				fnEvents <- b
				_, _ = io.WriteString(w, `{"statusCode":200,"body":"ok"}`)
			}))
			t.Cleanup(fn.Close)
			az := &xdsv1alpha1.Authorizer{
				Name: "authz", Type: "REQUEST", IdentitySources: []string{"$request.header.HeaderAuth1"},
				Function: &xdsv1alpha1.AuthorizerFunction{
					Backend: &xdsv1alpha1.Backend{Cluster: "shop/authz:80", Path: invocations}, TimeoutMillis: 2000,
					PayloadFormatVersion: version, EnableSimpleResponses: version == "2.0",
				},
			}
			route := &xdsv1alpha1.Route{
				Name: "pet", Path: "/pets/{proxy+}", Methods: []string{"ANY"},
				Authorization: &xdsv1alpha1.Authorization{Authorizer: "authz"},
				Integration:   &xdsv1alpha1.Integration{Type: "LAMBDA_PROXY", TimeoutMillis: 29000, Uri: fn.URL, PayloadFormatVersion: version},
			}
			stage := &xdsv1alpha1.StageSnapshot{Key: "shop/prod", Namespace: "shop", StageName: "prod", RestApi: "pets",
				Api: &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{route}, Authorizers: []*xdsv1alpha1.Authorizer{az}},
				AccessLogFormat: `$context.identity.clientCert.subjectDN|$context.identity.clientCert.issuerDN|` +
					`$context.identity.clientCert.serialNumber|$context.identity.clientCert.validity.notAfter`,
			}
			crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "mtls.example.com")
			store := domains.New()
			log := &testkit.Buffer{}
			gw := proxy.New(proxy.Options{Steps: []proxy.Step{NewStep(Options{})}, AccessLog: log, Domains: store})
			err := gw.Apply(&config.Config{
				Stages:    map[string]*xdsv1alpha1.StageSnapshot{stage.GetKey(): stage},
				Endpoints: map[string]*endpointv3.ClusterLoadAssignment{"shop/authz:80": loadAssignment("shop/authz:80", a.Listener.Addr().String())},
				Secrets: map[string]*xdsv1alpha1.TlsSecret{
					"tls/shop/mtls": {Name: "tls/shop/mtls", CertificateChain: crt, PrivateKey: key},
					"ca/shop/ca":    {Name: "ca/shop/ca", TrustedCa: pki.CAPEM()},
				},
				Domains: map[string]*xdsv1alpha1.DomainSnapshot{"shop/mtls": {Key: "shop/mtls", DomainName: "mtls.example.com",
					Certificate: "tls/shop/mtls", Truststore: "ca/shop/ca", Mappings: []*xdsv1alpha1.BasePathMapping{{Stage: "shop/prod"}}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := proxy.NewServer(proxy.ServerOptions{Handler: gw, TLS: true})
			go func() { _ = srv.Serve(tls.NewListener(lis, store.TLSConfig())) }()
			t.Cleanup(func() { _ = srv.Close() })
			tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "mtls.example.com", RootCAs: pki.CAPool,
				MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.ClientCertificate(t)}}}
			t.Cleanup(tr.CloseIdleConnections)
			req, _ := http.NewRequest("GET", "https://"+lis.Addr().String()+"/pets/7", nil)
			req.Header.Set("HeaderAuth1", "headerValue1")
			req.Host = "mtls.example.com"
			resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%d %q", resp.StatusCode, body)
			}

			want := events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCert{
				ClientCertPem: string(clientPEM), SubjectDN: leaf.Subject.String(), IssuerDN: leaf.Issuer.String(),
				Validity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCertValidity{
					NotBefore: leaf.NotBefore.UTC().Format("Jan _2 15:04:05 2006 GMT"),
					NotAfter:  leaf.NotAfter.UTC().Format("Jan _2 15:04:05 2006 GMT"),
				},
			}
			check := func(where string, got events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCert) {
				t.Helper()
				if got.SerialNumber == "" || strings.Trim(got.SerialNumber, "0123456789abcdef:") != "" {
					t.Errorf("%s: serialNumber %q", where, got.SerialNumber)
				}
				got.SerialNumber = ""
				if got != want {
					t.Errorf("%s: clientCert\n%+v, want\n%+v", where, got, want)
				}
			}
			raw, _ := json.Marshal(a.Last())
			fnEvent := <-fnEvents
			if version == "1.0" {
				var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				check("authorizer", ev.RequestContext.Identity.ClientCert)
				var fe events.APIGatewayProxyRequest
				if err := json.Unmarshal(fnEvent, &fe); err != nil {
					t.Fatal(err)
				}
				if fe.RequestContext.Identity.ClientCert == nil {
					t.Fatalf("function event without clientCert: %s", fnEvent)
				}
				check("function", *fe.RequestContext.Identity.ClientCert)
			} else {
				var ev events.APIGatewayV2CustomAuthorizerV2Request
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				check("authorizer", fromV2(ev.RequestContext.Authentication.ClientCert))
				var fe events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(fnEvent, &fe); err != nil {
					t.Fatal(err)
				}
				check("function", fromV2(fe.RequestContext.Authentication.ClientCert))
			}
			wantLog := want.SubjectDN + "|" + want.IssuerDN + "|"
			if line := log.String(); !strings.HasPrefix(line, wantLog) || !strings.HasSuffix(strings.TrimSpace(line), "|"+want.Validity.NotAfter) {
				t.Errorf("access log %q, want %s...|%s", line, wantLog, want.Validity.NotAfter)
			}
		})
	}
}

// fromV2 is a 2.0 event's client certificate as the 1.0 type, to compare both with one value.
func fromV2(c events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCert {
	return events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCert{
		ClientCertPem: c.ClientCertPem, SubjectDN: c.SubjectDN, IssuerDN: c.IssuerDN, SerialNumber: c.SerialNumber,
		Validity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCertValidity{
			NotBefore: c.Validity.NotBefore, NotAfter: c.Validity.NotAfter,
		},
	}
}
