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
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testkit"
)

func post(t *testing.T, url, body string) response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return response{status: -1, body: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// TestStandaloneRequestModel runs the request model's rules through `portico standalone`.
func TestStandaloneRequestModel(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shop.yaml"), testkit.RequestModelManifests(testkit.StockBackend(t)))
	httpLis, adminLis := listenLoopback(t), listenLoopback(t)
	base := "http://" + httpLis.Addr().String()
	opts := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: 20 * time.Millisecond,
		drain: 2 * time.Second, stateDir: t.TempDir(), log: logOptions{level: "error", format: "json"}}
	startStandalone(t, opts, &standaloneHooks{httpListener: httpLis, adminListener: adminLis})

	for _, c := range testkit.RequestModelCases {
		var r response
		if c.Method == "POST" {
			r = post(t, base+c.Path, c.Body)
		} else {
			r = get(t, c.Method, base+c.Path)
		}
		c.Check(t, r.status, r.header, r.body)
	}
}
