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
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/testpki"
)

const wssManifests = `apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: chat}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: echo}
spec: {restApiRef: {name: chat}, routeKey: echo, routeResponseSelectionExpression: $default, integration: {type: MOCK, mock: {body: echoed}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: chat}
spec: {restApiRef: {name: chat}, stageName: live}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: DomainName
metadata: {name: chat}
spec:
  domainName: chat.example.com
  certificateRef: {name: chat-tls}
  mappings: [{basePath: "", restApiRef: {name: chat}, stage: live}, {basePath: v1, restApiRef: {name: chat}, stage: live}]
`

// TestStandaloneWebSocketOverDomain: a WEBSOCKET API mapped by a DomainName is served as
// wss://{domainName}/{basePath} (API.md: "wss:// through a DomainName"), the handshake on the
// domain's certificate, and routes messages as on the default endpoint.
func TestStandaloneWebSocketOverDomain(t *testing.T) {
	pki := testpki.New(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "chat.yaml"), wssManifests)
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "chat.example.com")
	writeFile(t, filepath.Join(dir, "chat-tls.yaml"), tlsSecret("chat-tls", crt, key))

	httpLis, adminLis, httpsLis := listenLoopback(t), listenLoopback(t), listenLoopback(t)
	httpsAddr := httpsLis.Addr().String()
	opts := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: 20 * time.Millisecond,
		drain: 2 * time.Second, stateDir: t.TempDir(), log: logOptions{level: "error", format: "json"}}
	startStandalone(t, opts, &standaloneHooks{httpListener: httpLis, adminListener: adminLis, httpsListener: httpsLis})

	d := websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		TLSClientConfig:  &tls.Config{ServerName: "chat.example.com", RootCAs: pki.CAPool, MinVersion: tls.VersionTLS12},
		// chat.example.com resolves to the test's HTTPS listener.
		NetDial: func(network, _ string) (net.Conn, error) { return net.Dial(network, httpsAddr) },
	}
	for _, path := range []string{"/", "/v1"} {
		var c *websocket.Conn
		until(t, "wss://chat.example.com"+path+" upgrades", func() bool {
			conn, resp, err := d.Dial("wss://chat.example.com"+path, nil)
			if resp != nil && resp.Body != nil {
				_ = resp.Body.Close()
			}
			c = conn
			return err == nil
		})
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"echo"}`)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "echoed" {
			t.Errorf("wss://chat.example.com%s: answer %q %v", path, msg, err)
		}
		if state, ok := c.NetConn().(*tls.Conn); !ok || state.ConnectionState().ServerName != "chat.example.com" {
			t.Errorf("wss://chat.example.com%s did not run over TLS for the domain", path)
		}
		_ = c.Close()
	}
	// A path under the mapping that is not its root is no WebSocket endpoint.
	c, resp, err := d.Dial("wss://chat.example.com/v1/other", nil)
	code := 0
	if resp != nil {
		code = resp.StatusCode
		_ = resp.Body.Close()
	}
	if err == nil {
		_ = c.Close()
	}
	if code != 404 {
		t.Errorf("wss://chat.example.com/v1/other: %d %v, want 404", code, err)
	}
}
