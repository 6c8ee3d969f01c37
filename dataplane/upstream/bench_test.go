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

package upstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRoundTrip compares the lean path with net/http's Transport on the same small
// GET to an in-process backend (whose own CPU is in both figures alike). Run with -cpu 1
// for the one-core picture.
func BenchmarkRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Length"] = []string{"3"}
		_, _ = io.WriteString(w, "ok\n")
	}))
	defer srv.Close()
	nethttp := &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	defer nethttp.CloseIdleConnections()
	lean := New(Options{Fallback: nethttp})
	defer lean.CloseIdleConnections()
	for _, tc := range []struct {
		name string
		rt   http.RoundTripper
	}{{"client=lean", lean}, {"client=net-http", nethttp}} {
		b.Run(tc.name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/pets/7", nil)
			buf := make([]byte, 512)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				res, err := tc.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := res.Body.Read(buf); err != nil {
						break
					}
				}
				_ = res.Body.Close()
			}
			// The process's CPU time (both ends) is steadier than wall time on a shared machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
