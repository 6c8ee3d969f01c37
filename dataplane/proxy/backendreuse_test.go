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

package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/testkit"
)

// Through the proxy, as a client sees it: a backend that writes a late answer on its
// connection once that sits idle, or that closes it, does not get the next request's answer
// wrong nor fail it, GET or POST, sent right after the first answer (the pool checks every
// connection it reuses while no other request is in flight; upstream's tests cover the rule
// under load).
func TestBackendConnectionReusedSafely(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		late   string // written after the first answer, once the test says; "" closes
	}{
		{"late answer, GET", http.MethodGet, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"},
		{"late answer, POST", http.MethodPost, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"},
		{"closed, GET", http.MethodGet, ""},
		{"closed, POST", http.MethodPost, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idle, done := make(chan struct{}), make(chan struct{})
			backend := testkit.ServeTCP(t, func(c net.Conn, br *bufio.Reader) {
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok"+strings.TrimPrefix(req.URL.Path, "/r/"))
					if req.URL.Path != "/r/1" {
						continue
					}
					<-idle // the answer went through: the connection is in the proxy's pool
					if tc.late == "" {
						_ = c.Close()
						close(done) // on loopback, the FIN is received once Close returns
						return
					}
					_, _ = io.WriteString(c, tc.late)
					close(done) // on loopback, written is received
				}
			})
			f := newFixture(t, Options{})
			f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("r", "/r/{n}", "ANY", "http://"+backend+"/r/{n}"))))
			addr := servePortico(t, f)
			client := &http.Client{}
			send := func(method, n string) string {
				req, _ := http.NewRequest(method, "http://"+addr+"/prod/r/"+n, strings.NewReader("body"))
				res, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", method, n, err)
				}
				defer func() { _ = res.Body.Close() }()
				b, _ := io.ReadAll(res.Body)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s %s: %d %s", method, n, res.StatusCode, b)
				}
				return string(b)
			}
			if got := send(http.MethodGet, "1"); got != "ok1" {
				t.Fatalf("first: %q", got)
			}
			close(idle)
			<-done
			if got := send(tc.method, "2"); got != "ok2" {
				t.Errorf("%s after the backend's %s: %q, want ok2", tc.method, tc.name, got)
			}
		})
	}
}
