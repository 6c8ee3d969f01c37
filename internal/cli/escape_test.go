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
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/portico-dev/portico/internal/testkit"
)

// TestStandaloneRefusesEscapes sends the path and header attacks of issue 11 to a real
// `portico standalone` process, byte for byte: values that would climb out of a backend path
// (from a path parameter, a greedy parameter or a header mapped into the path) and two
// Authorization headers. Each is refused (400 BAD_REQUEST_PARAMETERS, or 404 where no route
// matches once decoded), and the backend, which
// records every path it sees, never sees one of them.
func TestStandaloneRefusesEscapes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; runs without -short")
	}
	var mu sync.Mutex
	var seen []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.EscapedPath()+" auth="+strings.Join(r.Header.Values("Authorization"), ","))
		mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	defer backend.Close()
	host := strings.TrimPrefix(backend.URL, "http://")

	dir := copyDir(t, filepath.Join("..", "..", "config", "samples"))
	// An API and stage of their own: the samples' stage caches, and a cached answer would
	// come back before the integration ever looks at the path.
	writeFile(t, filepath.Join(dir, "90-escapes.yaml"), fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: esc}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: esc}
spec:
  restApiRef: {name: esc}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: files}
spec:
  restApiRef: {name: esc}
  path: /files/{name}
  methods: [GET]
  authorization: {type: NONE}
  integration: {type: HTTP_PROXY, uri: "http://%[1]s/files/{name}"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: raw}
spec:
  restApiRef: {name: esc}
  path: /raw/{proxy+}
  methods: [GET]
  authorization: {type: NONE}
  integration: {type: HTTP_PROXY, uri: "http://%[1]s/raw/{proxy}"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: mapped}
spec:
  restApiRef: {name: esc}
  path: /mapped/{x}
  methods: [GET]
  authorization: {type: NONE}
  integration:
    type: HTTP_PROXY
    uri: "http://%[1]s/mapped/{x}"
    requestParameters: {"path.x": "$request.header.x-name"}
`, host))

	bin := buildPortico(t)
	httpAddr, adminAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	cmd := exec.Command(bin, "standalone", "-f", dir, "--http-addr", httpAddr, "--admin-addr", adminAddr,
		"--state-dir", t.TempDir(), "--log-level", "error")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	until(t, "standalone serves the escape routes", func() bool {
		return rawStatus(t, httpAddr, "GET /esc/files/ok HTTP/1.1\r\nHost: x\r\n\r\n") == 200
	})

	refused := []string{
		"GET /esc/files/..%2Fsecret HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/files/%2e%2e HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/files/..; HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/files/a%5Cb HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/files/a%252Fb HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/raw/a/%2e%2e/secret HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/raw/a/..;/secret HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/raw/a%2F..%2Fb HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/mapped/m HTTP/1.1\r\nHost: x\r\nX-Name: ..\r\n\r\n",
		"GET /esc/mapped/m HTTP/1.1\r\nHost: x\r\nX-Name: a/../../b\r\n\r\n",
		"GET /esc/mapped/m HTTP/1.1\r\nHost: x\r\nX-Name: ..\\b\r\n\r\n",
		// Two credentials: the authorizer would check one, the backend receive both.
		"GET /prod/store/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n",
	}
	for _, req := range refused {
		// 400 BAD_REQUEST_PARAMETERS where a route matched; 404 where a decoded ".." segment
		// leaves no route to match (the router never climbs either).
		if got := rawStatus(t, httpAddr, req); got != http.StatusBadRequest && got != http.StatusNotFound {
			t.Errorf("%q answered %d, want 400 or 404", strings.SplitN(req, "\r\n", 2)[0], got)
		}
	}
	// The same routes still serve what is safe.
	for _, req := range []string{
		"GET /esc/files/report.txt HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/raw/a/b/c HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /esc/mapped/m HTTP/1.1\r\nHost: x\r\nX-Name: alice\r\n\r\n",
	} {
		if got := rawStatus(t, httpAddr, req); got != http.StatusOK {
			t.Errorf("%q answered %d, want 200", strings.SplitN(req, "\r\n", 2)[0], got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range seen {
		lower := strings.ToLower(p)
		if strings.Contains(lower, "..") || strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") ||
			strings.Contains(lower, `\`) || strings.Contains(lower, ",") {
			t.Errorf("the backend saw %q", p)
		}
	}
}

// rawStatus sends req as written on a new connection to addr and returns the status code,
// or -1 when there is no answer.
func rawStatus(t *testing.T, addr, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return -1
	}
	defer c.Close()
	if _, err := c.Write([]byte(req)); err != nil {
		return -1
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	return resp.StatusCode
}
