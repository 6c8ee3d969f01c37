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

// Command benchtls is the TLS load generator of hack/bench-tls.sh: it opens new TLS
// connections (full handshakes, no resumption) or sends requests over kept-alive TLS
// connections, to one address with a chosen SNI, and prints the rate. wrk cannot set SNI to
// a name other than the URL's host, and openssl s_time cannot set it at all.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "address to connect to")
	sni := flag.String("sni", "bench.example.com", "server name sent (SNI) and verified")
	caFile := flag.String("cacert", "", "CA certificate to verify the server with")
	mode := flag.String("mode", "handshake", "handshake: new connections per second; keepalive: requests per second")
	conns := flag.Int("c", 16, "concurrent connections")
	dur := flag.Duration("d", 5*time.Second, "duration")
	path := flag.String("path", "/", "request path (keepalive)")
	flag.Parse()
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		log.Fatal("no certificate in -cacert")
	}
	cfg := &tls.Config{ServerName: *sni, RootCAs: pool, MinVersion: tls.VersionTLS12}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	work := handshakes(*addr, cfg)
	if *mode == "keepalive" {
		work = requests(*addr, *path, cfg, *conns)
	}
	start := time.Now()
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := work(); err != nil {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	fmt.Printf("%.0f per second (%d in %.1fs, %d failed)\n", float64(done.Load())/secs, done.Load(), secs, failed.Load())
}

// handshakes opens a connection, completes a full handshake (no session cache: nothing to
// resume) and closes it.
func handshakes(addr string, cfg *tls.Config) func() error {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	return func() error {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// requests sends GETs over HTTP/1.1 on kept-alive TLS connections.
func requests(addr, path string, cfg *tls.Config, conns int) func() error {
	tr := &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	url := "https://" + addr + path
	return func() error {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Host = cfg.ServerName // the name the SNI gives: another host is misdirected (421)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
}
