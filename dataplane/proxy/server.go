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
	"net/http"
	"time"
)

// NewServer returns an http.Server for h on addr that speaks HTTP/1.1 and unencrypted
// HTTP/2 with prior knowledge (h2c), with net/http's own HTTP/2 (http.Server.Protocols), so
// no extra dependency. The HTTP/1.1 "Upgrade: h2c" dance is not offered: RFC 9113 deprecates
// it and gRPC and curl --http2-prior-knowledge do not need it.
//
// Headers must arrive within 10 s (slowloris). There is no read or write timeout on the
// whole request: bodies and responses stream, and each route bounds its backend with its own
// timeout.
func NewServer(addr string, h http.Handler) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		Protocols:         &protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
}
