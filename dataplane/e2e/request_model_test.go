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

package e2e

import (
	"io"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/testkit"
)

// The request and response model through the compiler, xDS and the proxy: a model referring
// to another ($ref as AWS writes it), a MOCK run as AWS runs one (the request template
// decides the status, integration responses map it), and response headers from the
// backend's JSON body (integration.response.body.<JSONPath>). internal/cli's
// TestStandaloneRequestModel runs the same rules through `portico standalone`.
func TestRequestModelRules(t *testing.T) {
	g := startGateway(t, seeded(1))
	g.deploy(testkit.RequestModelManifests(testkit.StockBackend(t)))
	g.programmed("default/prod")
	for _, c := range testkit.RequestModelCases {
		var body io.Reader
		if c.Body != "" {
			body = strings.NewReader(c.Body)
		}
		r := g.do(c.Method, c.Path, body, "Content-Type", "application/json")
		c.Check(t, r.status, r.header, r.body)
	}
}
