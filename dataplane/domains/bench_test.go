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

package domains_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkHandshake measures full TLS handshakes (no resumption) against the SNI table:
// ECDSA P-256, TLS 1.3, over loopback. Run with -cpu 1 for handshakes per second per core.
func BenchmarkHandshake(b *testing.B) {
	f := newFixture(b)
	cfg := &tls.Config{ServerName: "api.example.com", RootCAs: f.pki.CAPool, MinVersion: tls.VersionTLS12}
	b.ResetTimer()
	for b.Loop() {
		c, err := tls.Dial("tcp", f.addr, cfg)
		if err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
}

// BenchmarkKeptAliveRequest measures requests over one kept-alive HTTP/1.1 TLS connection.
func BenchmarkKeptAliveRequest(b *testing.B) {
	f := newFixture(b)
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "api.example.com", RootCAs: f.pki.CAPool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	url := "https://" + f.addr + "/"
	b.ResetTimer()
	for b.Loop() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}
