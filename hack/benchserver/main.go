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
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18095", "address to listen on")
	timeouts := flag.Bool("timeouts", true, "the header read and idle timeouts Portico's server sets (proxy.NewServer), which cost a deadline update per request")
	jwksAddr := flag.String("jwks-addr", "", "also serve a JWKS at http://<jwks-addr>/jwks.json, as the identity provider of the JWT route")
	tokenFile := flag.String("token-file", "", "with -jwks-addr: write a token signed with the JWKS's key (iss http://<jwks-addr>/, aud bench) here")
	flag.Parse()
	if *jwksAddr != "" {
		serveIssuer(*jwksAddr, *tokenFile)
	}
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

// serveIssuer serves a JWKS of a new RSA key on addr and writes a token it signed to file.
func serveIssuer(addr, file string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		log.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		log.Fatal(err)
	}
	now := time.Now()
	tok, err := josejwt.Signed(signer).Claims(map[string]any{
		"iss": "http://" + addr + "/", "aud": "bench", "sub": "bench",
		"iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix(),
	}).Serialize()
	if err != nil {
		log.Fatal(err)
	}
	if file != "" {
		if err := os.WriteFile(file, []byte(tok), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	})
	go func() { log.Fatal(http.ListenAndServe(addr, mux)) }()
}
