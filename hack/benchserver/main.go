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

// Command benchserver is the ceiling of hack/bench-proxy.sh: the least an HTTP server built on
// net/http does per request (read it, answer "ok" with the headers a MOCK route sends), run
// pinned and with GOMAXPROCS=1 like Portico. The distance between it and a Portico route is
// what Portico itself costs; nothing built on net/http's server can go faster on that core.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18095", "address to listen on")
	timeouts := flag.Bool("timeouts", true, "the header read and idle timeouts Portico's server sets (proxy.NewServer), which cost a deadline update per request")
	flag.Parse()
	body := []byte("ok\n")
	length := []string{"3"}
	contentType := []string{"text/plain; charset=utf-8"}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hdr := w.Header()
		hdr["Content-Type"] = contentType
		hdr["Content-Length"] = length
		_, _ = w.Write(body)
	})
	srv := &http.Server{Addr: *addr, Handler: h, MaxHeaderBytes: 1 << 20}
	if *timeouts {
		srv.ReadHeaderTimeout = 10 * time.Second
		srv.IdleTimeout = 120 * time.Second
	}
	log.Fatal(srv.ListenAndServe())
}
