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

// Package lambda runs real aws-lambda-go handlers under AWS's Lambda Runtime Interface
// Emulator behind Portico, as users run their unchanged functions in a cluster. The tests
// are skipped when the emulator is missing (hack/lambda-rie.sh installs and caches it).
package lambda

import (
	"encoding/json"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/internal/testkit"
)

const invocations = "/2015-03-31/functions/function/invocations"

// emulator finds aws-lambda-rie: $PORTICO_LAMBDA_RIE, the cache hack/lambda-rie.sh fills,
// or $PATH.
func emulator(t *testing.T) string {
	if p := os.Getenv("PORTICO_LAMBDA_RIE"); p != "" {
		return p
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	if p := filepath.Join(cache, "portico", "rie", "latest", "aws-lambda-rie"); isExecutable(p) {
		return p
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	t.Skip("aws-lambda-rie is not installed: run hack/lambda-rie.sh")
	return ""
}

func isExecutable(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode()&0o111 != 0
}

// startFunction builds the function in testdata/<name> and runs it under the emulator; it
// returns the emulator's address once it accepts connections.
func startFunction(t *testing.T, rie, name string) string {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-o", bin, "./testdata/"+name)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the handler: %v\n%s", err, out)
	}
	addr, runtimeAPI := testkit.FreeAddr(t), testkit.FreeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAPI, bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The emulator says nothing when it listens: wait for its port to accept.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return addr
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the emulator did not listen on %s", addr)
		}
	}
}

func endpoints(cluster, addr string) map[string]*endpointv3.ClusterLoadAssignment {
	return map[string]*endpointv3.ClusterLoadAssignment{cluster: loadAssignment(cluster, addr)}
}

func loadAssignment(cluster, addr string) *endpointv3.ClusterLoadAssignment {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return &endpointv3.ClusterLoadAssignment{ClusterName: cluster, Endpoints: []*endpointv3.LocalityLbEndpoints{{
		LbEndpoints: []*endpointv3.LbEndpoint{{
			HealthStatus: corev3.HealthStatus_HEALTHY,
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(p)},
				}}},
			}},
		}},
	}}}
}

// TestRESTHandlerUnderEmulator: an aws-lambda-go payload 1.0 handler, unchanged, behind a
// LAMBDA_PROXY route whose backendRef.path is the emulator's invocation path.
func TestRESTHandlerUnderEmulator(t *testing.T) {
	rie := emulator(t)
	addr := startFunction(t, rie, "handler")

	route := &xdsv1alpha1.Route{Name: "pets", Path: "/pets/{proxy+}", Methods: []string{"ANY"}, Integration: &xdsv1alpha1.Integration{
		Type: "LAMBDA_PROXY", TimeoutMillis: 29000, PayloadFormatVersion: "1.0",
		Backend: &xdsv1alpha1.Backend{Cluster: "shop/fn:8080", Path: invocations},
	}}
	stage := &xdsv1alpha1.StageSnapshot{Key: "shop/prod", Namespace: "shop", StageName: "prod", RestApi: "petstore",
		Api: &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{route}}}
	gw := proxy.New(proxy.Options{AccessLog: io.Discard})
	if err := gw.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{stage.GetKey(): stage}, Endpoints: endpoints("shop/fn:8080", addr)}); err != nil {
		t.Fatal(err)
	}
	do := func(method, target string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, httptest.NewRequest(method, target, nil))
		return w
	}

	w := do("PUT", "/prod/pets/7/toys?q=1&q=2")
	if w.Code != 201 || strings.Join(w.Header().Values("X-Multi"), ",") != "a,b" {
		t.Fatalf("response %d %v %q", w.Code, w.Header(), w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	want := map[string]any{
		"httpMethod": "PUT", "resource": "/pets/{proxy+}", "path": "/pets/7/toys", "proxy": "7/toys",
		"apiId": "petstore", "accountId": "shop", "stage": "prod", "q": []any{"1", "2"},
	}
	for k, v := range want {
		if gv, _ := json.Marshal(got[k]); string(gv) != mustJSON(v) {
			t.Errorf("%s = %s, want %s", k, gv, mustJSON(v))
		}
	}

	// The handler's error is a 502 without its text.
	w = do("GET", "/prod/pets/fail")
	if w.Code != 502 || strings.Contains(w.Body.String(), "secret") {
		t.Errorf("failing handler: %d %q", w.Code, w.Body)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
