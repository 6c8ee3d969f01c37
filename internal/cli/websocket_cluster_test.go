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
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/internal/redistest"
	"github.com/portico-dev/portico/internal/testenv"
	"github.com/portico-dev/portico/internal/testkit"
)

// TestClusterWebSocketChat runs the chat sample as a cluster serves it: a real kube-apiserver,
// `portico controller` and two `portico proxy` processes sharing a real redis-server, and the
// chat backend of examples/websocket-chat. Two clients connect, one to each proxy; the backend
// broadcasts through the first proxy's @connections, so the message to the second client is
// delivered by the replica that does not hold its connection. A configuration change (a new
// $default answer) keeps both connections open and the next message uses it.
func TestClusterWebSocketChat(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kube-apiserver, a controller, two proxies and redis-server; runs without -short")
	}
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	bin := buildPortico(t)
	chatBin := filepath.Join(t.TempDir(), "chat")
	build := exec.Command("go", "build", "-o", chatBin, "./examples/websocket-chat")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the chat backend: %v\n%s", err, out)
	}
	rs := redistest.Start(t)

	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := env.Config
	if err := clientcmd.WriteToFile(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"envtest": {Server: cfg.Host, CertificateAuthorityData: cfg.CAData}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"envtest": {ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}},
		Contexts:       map[string]*clientcmdapi.Context{"envtest": {Cluster: "envtest", AuthInfo: "envtest", Namespace: "default"}},
		CurrentContext: "envtest",
	}, kubeconfig); err != nil {
		t.Fatal(err)
	}

	start := func(name string, cmd *exec.Cmd) {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", name, err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	xdsAddr, healthAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	ctrl := exec.Command(bin, "controller", "--kubeconfig", kubeconfig, "--xds-addr", xdsAddr, "--health-addr", healthAddr,
		"--metrics-addr", "0", "--leader-elect=false", "--log-level", "error")
	ctrl.Env = append(os.Environ(), "POD_NAMESPACE=default")
	start("portico controller", ctrl)
	type proxyAddrs struct{ http, admin, conns string }
	proxies := []proxyAddrs{{testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)}, {testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)}}
	for i, p := range proxies {
		start("portico proxy", exec.Command(bin, "proxy", "--xds-server", xdsAddr, "--node-id", "ws-proxy-"+string(rune('0'+i)),
			"--http-addr", p.http, "--admin-addr", p.admin, "--connections-addr", p.conns,
			"--state-redis", "redis://"+rs.Addr()+"/0", "--log-level", "error"))
	}
	chatAddr := testkit.FreeAddr(t)
	const key = "chat-backend-key-change-me-0123456789" // the sample's management key
	chat := exec.Command(chatBin)
	chat.Env = append(os.Environ(), "LISTEN="+chatAddr,
		"PORTICO_CONNECTIONS_URL=http://"+proxies[0].conns+"/chat", "PORTICO_MANAGEMENT_KEY="+key)
	start("the chat backend", chat)

	// The sample as it is, but for its backendRef: Kubernetes refuses the loopback endpoints
	// the backend has here, so the routes name it by URL.
	sample, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "websocket", "chat.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	manifests := strings.ReplaceAll(string(sample), "backendRef: {name: chat-backend, port: 8080}", `uri: "http://`+chatAddr+`/"`)
	ctx := context.Background()
	apply(ctx, t, env.Client, manifests)
	testkit.Eventually(t, "the chat Stage is Programmed", func() bool {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("apigateway.portico.dev/v1alpha1")
		u.SetKind("Stage")
		if env.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "chat"}, u) != nil {
			return false
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Programmed" && m["status"] == "True" {
				return true
			}
		}
		return false
	})

	dial := func(p proxyAddrs) *websocket.Conn {
		var c *websocket.Conn
		testkit.Eventually(t, "a WebSocket connection to /chat on "+p.http, func() bool {
			conn, resp, err := websocket.DefaultDialer.Dial("ws://"+p.http+"/chat", nil)
			if resp != nil && resp.Body != nil {
				_ = resp.Body.Close()
			}
			c = conn
			return err == nil
		})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	read := func(c *websocket.Conn) string {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(testkit.WaitTimeout))
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("reading a message: %v", err)
		}
		return string(msg)
	}
	a, b := dial(proxies[0]), dial(proxies[1])

	// The backend posts to proxy-0's @connections; b is held by proxy-1.
	if err := a.WriteJSON(map[string]string{"action": "sendmessage", "data": "hello across replicas"}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*websocket.Conn{"a (proxy-0)": a, "b (proxy-1)": b} {
		if got := read(c); got != "hello across replicas" {
			t.Errorf("%s received %q", name, got)
		}
	}

	// A configuration change: a new $default answer. Both connections stay open; the next
	// message on each is routed by the new configuration.
	patched := strings.Replace(manifests, `mock: {body: '{"message": "Use {\"action\": \"sendmessage\", \"data\": \"...\"}"}'}`, `mock: {body: 'changed'}`, 1)
	if patched == manifests {
		t.Fatal("the sample's $default route changed shape: update this test")
	}
	apply(ctx, t, env.Client, patched)
	for name, c := range map[string]*websocket.Conn{"a (proxy-0)": a, "b (proxy-1)": b} {
		var got string
		testkit.Eventually(t, name+" gets the new $default answer on its open connection", func() bool {
			if err := c.WriteJSON(map[string]string{"action": "dance"}); err != nil {
				t.Fatalf("%s: the connection closed: %v", name, err)
			}
			got = read(c)
			return got == "changed"
		})
	}

	// 403 without the management key, 410 for a connection no replica holds, on either proxy.
	for _, p := range proxies {
		for _, tc := range []struct {
			key, id string
			want    int
		}{{"", "anything", http.StatusForbidden}, {key, "ZZZZZZZZabcdefghijklmnop", http.StatusGone}} {
			req, _ := http.NewRequest(http.MethodGet, "http://"+p.conns+"/chat/@connections/"+tc.id, nil)
			if tc.key != "" {
				req.Header.Set("x-api-key", tc.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("@connections on %s (key %v, %s): %d, want %d", p.conns, tc.key != "", tc.id, resp.StatusCode, tc.want)
			}
		}
	}
}

// apply creates or updates every object of a YAML stream in the default namespace.
func apply(ctx context.Context, t *testing.T, c client.Client, manifests string) {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			t.Fatal(err)
		}
		if len(u.Object) == 0 {
			continue
		}
		u.SetNamespace("default")
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("websocket-test"), client.ForceOwnership); err != nil {
			t.Fatalf("applying %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}
