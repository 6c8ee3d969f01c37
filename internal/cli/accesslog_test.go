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
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testkit"
)

// TestStandaloneAccessLogNeverBlocks runs `portico standalone` with its stdout, where the
// access log goes, a pipe nobody reads: once the pipe is full, requests are still served (the
// lines are written off the request's goroutine, and those that do not fit in the bounded
// queue are dropped and counted), where they used to hang on the write.
func TestStandaloneAccessLogNeverBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; runs without -short")
	}
	dir := t.TempDir()
	// Lines of about 1 KiB: the 64 KiB pipe is full after some 60 requests, the 4 MiB queue
	// after some 4,000.
	writeFile(t, filepath.Join(dir, "api.yaml"), fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: logs}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec:
  restApiRef: {name: logs}
  accessLog: {format: '{"id":"$context.requestId","pad":"%s"}'}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: m}
spec:
  restApiRef: {name: logs}
  path: /m
  methods: [GET]
  authorization: {type: NONE}
  integration: {type: MOCK, mock: {statusCode: 200, body: ok}}
`, strings.Repeat("x", 1000)))

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close() // never read
	bin := buildPortico(t)
	httpAddr, adminAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	cmd := exec.Command(bin, "standalone", "-f", dir, "--http-addr", httpAddr, "--admin-addr", adminAddr,
		"--xds-addr", testkit.FreeAddr(t), "--connections-addr", testkit.FreeAddr(t), "--https-addr", "",
		"--state-dir", t.TempDir(), "--log-level", "error")
	cmd.Stdout, cmd.Stderr = pw, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	client := &http.Client{Timeout: 5 * time.Second}
	until(t, "standalone serves /prod/m", func() bool {
		res, err := client.Get("http://" + httpAddr + "/prod/m")
		if err != nil {
			return false
		}
		_ = res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	for i := range 5000 {
		res, err := client.Get("http://" + httpAddr + "/prod/m")
		if err != nil {
			t.Fatalf("request %d with stdout blocked: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d", i, res.StatusCode)
		}
	}
	res, err := client.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var dropped float64
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "portico_access_log_dropped_lines_total "); ok {
			_, _ = fmt.Sscan(v, &dropped)
		}
	}
	if dropped < 500 {
		t.Errorf("portico_access_log_dropped_lines_total %v, want the lines past the queue counted", dropped)
	}
}
