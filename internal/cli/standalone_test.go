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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testkit"
)

// copyDir copies a folder tree.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, method, url string) response {
	t.Helper()
	return do(t, method, url)
}

func getHeader(t *testing.T, url string, header ...string) response {
	t.Helper()
	return do(t, "GET", url, header...)
}

func do(t *testing.T, method, url string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{status: -1, body: err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// until polls f until it returns true, failing the test after testkit.WaitTimeout.
func until(t *testing.T, what string, f func() bool) {
	t.Helper()
	testkit.Eventually(t, what, f)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mockRoute(name, path string) string {
	return fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: %s}
spec:
  restApiRef: {name: pets}
  path: %s
  methods: [GET]
  authorization: {type: NONE}
  integration: {type: MOCK, mock: {statusCode: 200, body: '{"route":"%s"}'}}
`, name, path, name)
}

// TestStandaloneServesSamples runs `portico standalone -f config/samples` the way the README
// does, and walks what a user would: the quick start's curl, an edit, a broken edit, a backend,
// the admin endpoint, and shutdown.
func TestStandaloneServesSamples(t *testing.T) {
	dir := copyDir(t, filepath.Join("..", "..", "config", "samples"))
	httpLis, adminLis := listenLoopback(t), listenLoopback(t)
	base, admin := "http://"+httpLis.Addr().String(), "http://"+adminLis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	opts := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: 20 * time.Millisecond,
		drain: 2 * time.Second, stateDir: t.TempDir(), log: logOptions{level: "error", format: "json"}}
	go func() {
		done <- runStandalone(ctx, opts, &standaloneHooks{httpListener: httpLis, adminListener: adminLis, ready: ready})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("standalone stopped: %v", err)
	}
	until(t, "/readyz answers 200", func() bool { return get(t, "GET", admin+"/readyz").status == 200 })

	// The quick start's request.
	r := get(t, "GET", base+"/prod/pets")
	if r.status != 200 || !strings.Contains(r.body, `"Rex"`) || r.header.Get("x-request-id") == "" {
		t.Fatalf("GET /prod/pets = %d %q (x-request-id %q)", r.status, r.body, r.header.Get("x-request-id"))
	}
	if r := get(t, "GET", base+"/prod/nothing-here"); r.status != 404 || r.header.Get("x-portico-error-type") != "RESOURCE_NOT_FOUND" {
		t.Errorf("unknown path = %d %s %q", r.status, r.header.Get("x-portico-error-type"), r.body)
	}
	// A route whose backend is not running answers 502 cleanly.
	if r := get(t, "GET", base+"/prod/toys"); r.status != 502 || r.header.Get("x-portico-error-type") != "INTEGRATION_FAILURE" {
		t.Errorf("GET /prod/toys without its backend = %d %s %q", r.status, r.header.Get("x-portico-error-type"), r.body)
	}
	// A protected route never answers without its authorizer's approval.
	if r := get(t, "POST", base+"/prod/pets"); r.status < 400 {
		t.Errorf("POST /prod/pets without a token = %d, want an error", r.status)
	}

	// An edit is served without a restart.
	extra := filepath.Join(dir, "90-extra.yaml")
	writeFile(t, extra, mockRoute("extra", "/extra"))
	until(t, "the new route answers", func() bool { return get(t, "GET", base+"/prod/extra").status == 200 })

	// A broken edit is reported, and the file's last good version keeps serving. A second,
	// valid file proves the reload after the broken edit happened.
	writeFile(t, extra, strings.Replace(mockRoute("extra", "/extra"), "path: /extra", "path: extra-without-slash", 1))
	writeFile(t, filepath.Join(dir, "91-marker.yaml"), mockRoute("marker", "/marker"))
	until(t, "the marker route answers", func() bool { return get(t, "GET", base+"/prod/marker").status == 200 })
	if r := get(t, "GET", base+"/prod/extra"); r.status != 200 || !strings.Contains(r.body, `"extra"`) {
		t.Errorf("after a broken edit /prod/extra = %d %q, want the last good version", r.status, r.body)
	}

	// A real backend through an HTTP_PROXY uri.
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "backend saw %s %s", r.Method, r.URL.Path)
	}))
	defer backend.Close()
	writeFile(t, filepath.Join(dir, "92-backend.yaml"), fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: owners}
spec:
  restApiRef: {name: pets}
  path: /owners/{ownerId}
  methods: [GET]
  authorization: {type: NONE}
  integration: {type: HTTP_PROXY, uri: "%s/v1/owners/{ownerId}"}
`, backend.URL))
	until(t, "the proxied route answers", func() bool {
		r := get(t, "GET", base+"/prod/owners/42")
		return r.status == 200 && r.body == "backend saw GET /v1/owners/42"
	})

	// The admin endpoint shows the applied configuration without key material.
	cfg := get(t, "GET", admin+"/config")
	sum := sha256.Sum256([]byte("demo-key-customer-a-0123456789abcdef"))
	if cfg.status != 200 || !strings.Contains(cfg.body, "default/prod") || strings.Contains(cfg.body, hex.EncodeToString(sum[:])) || strings.Contains(cfg.body, "demo-key-customer-a") {
		t.Errorf("/config = %d, has the stage: %v, leaks the key: %v", cfg.status, strings.Contains(cfg.body, "default/prod"),
			strings.Contains(cfg.body, hex.EncodeToString(sum[:])))
	}
	if m := get(t, "GET", admin+"/metrics"); m.status != 200 || !strings.Contains(m.body, "portico_proxy_xds_connected 1") {
		t.Errorf("/metrics = %d, lacks portico_proxy_xds_connected 1", m.status)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("standalone returned %v on shutdown", err)
		}
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("standalone did not stop")
	}
}
