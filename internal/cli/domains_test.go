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

	"github.com/go-logr/logr"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/dataplane/edge"
	"github.com/portico-dev/portico/internal/testkit"
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
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: DomainName
metadata: {name: missing}
spec:
  domainName: missing.example.com
  certificateRef: {name: no-such-secret}
  httpRedirect: true
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
	// Debug logs, to show that not even they carry key material.
	logs := &testkit.Buffer{}
	opts := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: 20 * time.Millisecond,
		drain: 2 * time.Second, stateDir: t.TempDir(), log: logOptions{level: "debug", format: "json", out: logs}}
	startStandalone(t, opts, &standaloneHooks{httpListener: httpLis, adminListener: adminLis, httpsListener: httpsLis})

	client := func(sni string, certs ...tls.Certificate) *http.Client {
		tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{ServerName: sni, RootCAs: pki.CAPool, Certificates: certs, MinVersion: tls.VersionTLS12}}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: testkit.HostOf(sni, tr), Timeout: 5 * time.Second}
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
	if r := get(t, "GET", base+"/live/items"); r.status != 403 {
		t.Errorf("the default endpoint of a disableDefaultEndpoint API = %d", r.status)
	}
	if r := get(t, "GET", base+"/prod/pets"); r.status != 200 {
		t.Errorf("the default endpoint of pets = %d", r.status)
	}
	if _, _, err := call(client("unknown.example.com"), "/pets"); err == nil {
		t.Error("an unknown SNI was served")
	}
	// The domain whose Secret is missing is reported, and not served; the rest serves.
	until(t, "the missing Secret is logged", func() bool {
		return strings.Contains(logs.String(), "DomainName default/missing") && strings.Contains(logs.String(), "CertificateNotFound")
	})
	if _, _, err := call(client("missing.example.com"), "/pets"); err == nil {
		t.Error("a domain without its certificate was served")
	}
	if r := get(t, "GET", base+"/prod/pets"); r.status != 200 {
		t.Errorf("with a domain missing its Secret, the default endpoint = %d", r.status)
	}

	// TLS session resumption: a second connection resumes the first one's session (a ticket).
	resuming := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "api.example.com", RootCAs: pki.CAPool,
		MinVersion: tls.VersionTLS12, ClientSessionCache: tls.NewLRUClientSessionCache(4)}}
	defer resuming.CloseIdleConnections()
	for i, want := range []bool{false, true} {
		resp, err := (&http.Client{Transport: testkit.HostOf("api.example.com", resuming), Timeout: 5 * time.Second}).Get("https://" + httpsAddr + "/pets")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // reads the TLS 1.3 ticket, sent after the handshake
		_ = resp.Body.Close()
		if resp.TLS.DidResume != want {
			t.Errorf("connection %d: resumed = %v, want %v", i+1, resp.TLS.DidResume, want)
		}
		resuming.CloseIdleConnections()
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

	// Key material is never in /config, the metrics or the logs (at debug level), in PEM,
	// in base64 or as the PEM body.
	secretsOf := func(keys ...[]byte) []string {
		var out []string
		for _, k := range keys {
			body := strings.Join(strings.Split(strings.TrimSpace(string(k)), "\n")[1:2], "")
			out = append(out, "PRIVATE KEY", base64.StdEncoding.EncodeToString(k)[:40], body)
		}
		return out
	}
	scan := map[string]string{"/config": get(t, "GET", admin+"/config").body, "/metrics": get(t, "GET", admin+"/metrics").body, "logs": logs.String()}
	for where, text := range scan {
		if text == "" {
			t.Errorf("%s is empty", where)
		}
		for _, s := range secretsOf(key, key2, pkey) {
			if strings.Contains(text, s) {
				t.Errorf("%s holds key material (%.12s...)", where, s)
			}
		}
	}
}

// The HTTPS listener is under the edge's connection cap, as the HTTP one: with a cap of one,
// a second client's handshake waits in the backlog until the first connection closes.
func TestHTTPSListenerUnderConnectionCap(t *testing.T) {
	pki := testpki.New(t)
	store := domains.New()
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	if errs := store.Update(map[string]*xdsv1alpha1.DomainSnapshot{"shop/api": {Key: "shop/api", DomainName: "api.example.com", Certificate: "tls/shop/api"}},
		map[string]*xdsv1alpha1.TlsSecret{"tls/shop/api": {Name: "tls/shop/api", CertificateChain: crt, PrivateKey: key}}); errs != nil {
		t.Fatal(errs)
	}
	limits := edge.Defaults()
	limits.MaxConnections = 1
	lis, err := listenHTTPS(dataPlaneOptions{https: httpsOptions{listener: listenLoopback(t)}, limits: limits, log: logr.Discard()}, edge.NewSlots(limits.MaxConnections), store, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go func() {
				// Served until the client closes, then closed: the slot goes back.
				_, _ = io.Copy(io.Discard, c)
				_ = c.Close()
			}()
		}
	}()
	dial := func(timeout time.Duration) (*tls.Conn, error) {
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout, Deadline: time.Now().Add(timeout)},
			Config: &tls.Config{ServerName: "api.example.com", RootCAs: pki.CAPool, MinVersion: tls.VersionTLS12}}
		c, err := d.Dial("tcp", lis.Addr().String())
		if err != nil {
			return nil, err
		}
		return c.(*tls.Conn), nil
	}
	first, err := dial(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The second handshake cannot complete while the first connection holds the one slot.
	if c, err := dial(300 * time.Millisecond); err == nil {
		c.Close()
		t.Fatal("a second TLS connection was served over a cap of one")
	}
	_ = first.Close()
	testkit.Eventually(t, "a connection served once the first closed", func() bool {
		c, err := dial(2 * time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}
