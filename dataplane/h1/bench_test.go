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

package h1_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/portico-dev/portico/dataplane/h1"
	"github.com/portico-dev/portico/dataplane/h1/h1test"
)

// BenchmarkServe is a small GET answered "ok" by h1 and by net/http's server, over a
// connection in memory: the servers' own CPU per request, without the kernel's.
func BenchmarkServe(b *testing.B) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	const req = "GET /bench/mock HTTP/1.1\r\nHost: 127.0.0.1:18093\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
	b.Run("h1", func(b *testing.B) {
		srv := &h1.Server{Handler: handler}
		h1test.Bench(b, srv.Serve, srv.Close, req)
	})
	b.Run("net-http", func(b *testing.B) {
		srv := &http.Server{Handler: handler}
		h1test.Bench(b, srv.Serve, srv.Close, req)
	})
}
