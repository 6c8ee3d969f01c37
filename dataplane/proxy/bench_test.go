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
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// benchWriter is a ResponseWriter that keeps nothing.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.status = code }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }

const benchLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod",` +
	`"path":"$context.path","status":"$context.status","latency":"$context.responseLatency"}`

func runProxyBench(b *testing.B, f *fixture, target string, wantStatus int) {
	req := httptest.NewRequest("GET", target, nil)
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		f.ServeHTTP(w, req)
		if w.status != wantStatus {
			b.Fatalf("status %d", w.status)
		}
	}
}

func BenchmarkProxyMock(b *testing.B) {
	for _, log := range []bool{false, true} {
		b.Run("accesslog="+strconv.FormatBool(log), func(b *testing.B) {
			f := newFixture(b, Options{AccessLog: io.Discard})
			api := apiOf(nil, mockRoute("one", "/pets/{petId}", "GET", `{"id":7}`))
			for i := range 100 {
				api.Routes = append(api.Routes, mockRoute("r"+strconv.Itoa(i), "/things"+strconv.Itoa(i)+"/{id}", "GET", "x"))
			}
			st := stageOf("prod", "prod", api)
			if log {
				st.AccessLogFormat = benchLogFormat
			}
			f.apply(b, st)
			runProxyBench(b, f, "/prod/pets/7", 200)
		})
	}
}

func BenchmarkProxyHTTP(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":7,"name":"Rex"}`)
	}))
	defer backend.Close()
	f := newFixture(b, Options{AccessLog: io.Discard})
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("one", "/pets/{petId}", "GET", backend.URL+"/pets/{petId}")))
	st.AccessLogFormat = benchLogFormat
	f.apply(b, st)
	runProxyBench(b, f, "/prod/pets/7", 200)
}
