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

package cli

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testpki"
)

const domainsManifests = `apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: pets-prod}
spec: {restApiRef: {name: pets}, stageName: prod}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: orders}
spec: {disableDefaultEndpoint: true}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: items}
spec:
  restApiRef: {name: orders}
  path: /items
  methods: [GET]
  integration: {type: MOCK, mock: {statusCode: 200, body: orders}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: orders-live}
spec: {restApiRef: {name: orders}, stageName: live}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: DomainName
metadata: {name: api}
spec:
  domainName: api.example.com
  certificateRef: {name: api-tls}
  mappings:
    - {basePath: "", restApiRef: {name: pets}, stage: prod}
    - {basePath: orders/v1, restApiRef: {name: orders}, stage: live}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: DomainName
metadata: {name: partners}
spec:
  domainName: partners.example.com
  certificateRef: {name: partners-tls}
  securityPolicy: TLS_1_3
  mutualTLS: {truststoreRef: {name: partners-ca}}
  mappings: [{basePath: "", restApiRef: {name: pets}, stage: prod}]
`

// tlsSecret is what `kubectl create secret tls NAME --dry-run=client -o yaml` writes.
func tlsSecret(name string, crt, key []byte) string {
	return fmt.Sprintf(`apiVersion: v1
data:
  tls.crt: %s
  tls.key: %s
kind: Secret
metadata:
  creationTimestamp: null
  name: %s
type: kubernetes.io/tls
`, base64.StdEncoding.EncodeToString(crt), base64.StdEncoding.EncodeToString(key), name)
}

func TestStandaloneServesDomainsOverHTTPS(t *testing.T) {
	pki := testpki.New(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "api.yaml"), domainsManifests+"---\n"+mockRoute("list", "/pets"))
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	writeFile(t, filepath.Join(dir, "api-tls.yaml"), tlsSecret("api-tls", crt, key))
	pcrt, pkey := pki.ServerPEM(t, time.Now().Add(time.Hour), "partners.example.com")
	writeFile(t, filepath.Join(dir, "partners-tls.yaml"), tlsSecret("partners-tls", pcrt, pkey))
	writeFile(t, filepath.Join(dir, "partners-ca.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: partners-ca}\ndata:\n  ca.crt: |\n    "+
		strings.ReplaceAll(strings.TrimSpace(string(pki.CAPEM())), "\n", "\n    ")+"\n")

	httpLis, adminLis, httpsLis := listenLoopback(t), listenLoopback(t), listenLoopback(t)
	base, admin, httpsAddr := "http://"+httpLis.Addr().String(), "http://"+adminLis.Addr().String(), httpsLis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	opts := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: 20 * time.Millisecond,
		drain: 2 * time.Second, stateDir: t.TempDir(), log: logOptions{level: "error", format: "json"}}
	go func() {
		done <- runStandalone(ctx, opts, &standaloneHooks{httpListener: httpLis, adminListener: adminLis, httpsListener: httpsLis, ready: ready})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("standalone: %v", err)
		}
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("standalone stopped: %v", err)
	}
	until(t, "/readyz answers 200", func() bool { return get(t, "GET", admin+"/readyz").status == 200 })

	client := func(sni string, certs ...tls.Certificate) *http.Client {
		tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{ServerName: sni, RootCAs: pki.CAPool, Certificates: certs, MinVersion: tls.VersionTLS12}}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 5 * time.Second}
	}
	call := func(c *http.Client, path string) (int, string, error) {
		resp, err := c.Get("https://" + httpsAddr + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Proto + " " + string(b), nil
	}
	api := client("api.example.com")
	until(t, "the domain serves over HTTPS", func() bool { code, _, _ := call(api, "/pets"); return code == 200 })
	if code, body, err := call(api, "/orders/v1/items"); code != 200 || body != "HTTP/2.0 orders" {
		t.Errorf("GET /orders/v1/items = %d %q %v", code, body, err)
	}
	if r := get(t, "GET", base+"/live/items"); r.status != 404 {
		t.Errorf("the default endpoint of a disableDefaultEndpoint API = %d", r.status)
	}
	if r := get(t, "GET", base+"/prod/pets"); r.status != 200 {
		t.Errorf("the default endpoint of pets = %d", r.status)
	}
	if _, _, err := call(client("unknown.example.com"), "/pets"); err == nil {
		t.Error("an unknown SNI was served")
	}

	// Mutual TLS.
	if code, _, err := call(client("partners.example.com", pki.ClientCertificate(t)), "/pets"); code != 200 {
		t.Errorf("mTLS with a good certificate = %d %v", code, err)
	}
	for name, certs := range map[string][]tls.Certificate{"foreign": {pki.StrangerCertificate(t)}, "no": nil} {
		if _, _, err := call(client("partners.example.com", certs...), "/pets"); err == nil {
			t.Errorf("mTLS with %s certificate was served", name)
		}
	}

	// A renewed certificate reaches new handshakes.
	serial := func() string {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", httpsAddr, &tls.Config{ServerName: "api.example.com", RootCAs: pki.CAPool, MinVersion: tls.VersionTLS12})
		if err != nil {
			return err.Error()
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	crt2, key2 := pki.ServerPEM(t, time.Now().Add(2*time.Hour), "api.example.com")
	writeFile(t, filepath.Join(dir, "api-tls.yaml"), tlsSecret("api-tls", crt2, key2))
	until(t, "the renewed certificate is served", func() bool { s := serial(); return s != before && !strings.Contains(s, " ") })

	// The key is never in /config.
	if r := get(t, "GET", admin+"/config"); r.status != 200 || strings.Contains(r.body, "PRIVATE KEY") || strings.Contains(r.body, base64.StdEncoding.EncodeToString(key2)[:40]) {
		t.Errorf("/config = %d, shows key material: %v", r.status, strings.Contains(r.body, "PRIVATE"))
	}
}
