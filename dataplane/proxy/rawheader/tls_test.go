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

package rawheader

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testpki"
)

// tlsServer serves HTTPS for api.example.com on a TLSListener, with client certificates of
// pki's CA verified when given. Each request is answered with its protocol, the spelling
// From gives HeaderAuth1, and its TLS state as the handler sees it.
func tlsServer(t *testing.T, pki *testpki.PKI, handshakeTimeout time.Duration, on func() bool) string {
	t.Helper()
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	cert, err := tls.X509KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pki.CAPool,
		NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	srv := &http.Server{Protocols: &protocols, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog(),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil {
				_, _ = io.WriteString(w, r.Proto+" no TLS")
				return
			}
			peer := "-"
			if len(r.TLS.PeerCertificates) > 0 {
				peer = r.TLS.PeerCertificates[0].Subject.CommonName
			}
			_, _ = fmt.Fprintf(w, "%s %s sni=%s peer=%s resumed=%t", r.Proto, From(r).Spell("Headerauth1"), r.TLS.ServerName, peer, r.TLS.DidResume)
		})}
	Install(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(TLSListener(lis, cfg, handshakeTimeout, on)) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return lis.Addr().String()
}

func tlsClient(t *testing.T, pki *testpki.PKI, h2 bool, certs ...tls.Certificate) *http.Client {
	var protocols http.Protocols
	protocols.SetHTTP1(!h2)
	protocols.SetHTTP2(h2)
	tr := &http.Transport{Protocols: &protocols, TLSClientConfig: &tls.Config{ServerName: "api.example.com", RootCAs: pki.CAPool,
		Certificates: certs, MinVersion: tls.VersionTLS12, ClientSessionCache: tls.NewLRUClientSessionCache(4)}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func askTLS(t *testing.T, c *http.Client, addr string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "https://"+addr+"/", nil)
	req.Header["HeaderAuth1"] = []string{"v"}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestTLSListener: HTTP/1.1 over TLS keeps the client's spelling with the TLS state
// (SNI, the verified client certificate) in Request.TLS, over a kept-alive connection and
// a resumed session; HTTP/2 negotiated by ALPN is net/http's, with lower-case names.
func TestTLSListener(t *testing.T) {
	pki := testpki.New(t)
	addr := tlsServer(t, pki, 10*time.Second, nil)
	cert := pki.ClientCertificate(t)

	h1 := tlsClient(t, pki, false, cert)
	for i := range 2 { // the second on the kept-alive connection
		if got, want := askTLS(t, h1, addr), "HTTP/1.1 HeaderAuth1 sni=api.example.com peer=client resumed=false"; got != want {
			t.Errorf("HTTP/1.1 request %d: %q, want %q", i, got, want)
		}
	}
	h1.CloseIdleConnections()
	if got, want := askTLS(t, h1, addr), "HTTP/1.1 HeaderAuth1 sni=api.example.com peer=client resumed=true"; got != want {
		t.Errorf("HTTP/1.1 on a resumed session: %q, want %q", got, want)
	}
	if got, want := askTLS(t, tlsClient(t, pki, true, cert), addr), "HTTP/2.0 headerauth1 sni=api.example.com peer=client resumed=false"; got != want {
		t.Errorf("HTTP/2: %q, want %q", got, want)
	}
	if got, want := askTLS(t, tlsClient(t, pki, false), addr), "HTTP/1.1 HeaderAuth1 sni=api.example.com peer=- resumed=false"; got != want {
		t.Errorf("without a client certificate: %q, want %q", got, want)
	}
	// A certificate of another CA fails the handshake, as it would under net/http.
	stranger := pki.StrangerCertificate(t)
	c := tlsClient(t, pki, false)
	c.Transport.(*http.Transport).TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &stranger, nil
	}
	req, _ := http.NewRequest("GET", "https://"+addr+"/", nil)
	if res, err := c.Do(req); err == nil {
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		t.Errorf("a certificate of another CA was accepted: %s", b)
	}
}

// TestTLSListenerOff: connections accepted while names are not wanted are net/http's own.
func TestTLSListenerOff(t *testing.T) {
	pki := testpki.New(t)
	var on atomic.Bool
	addr := tlsServer(t, pki, 10*time.Second, on.Load)
	c := tlsClient(t, pki, false, pki.ClientCertificate(t))
	if got, want := askTLS(t, c, addr), "HTTP/1.1 Headerauth1 sni=api.example.com peer=client resumed=false"; got != want {
		t.Errorf("off: %q, want %q", got, want)
	}
	on.Store(true)
	// The connection keeps the choice made when it was accepted.
	if got := askTLS(t, c, addr); !strings.HasPrefix(got, "HTTP/1.1 Headerauth1 ") {
		t.Errorf("kept-alive connection after turning on: %q", got)
	}
	c.CloseIdleConnections()
	if got := askTLS(t, c, addr); !strings.HasPrefix(got, "HTTP/1.1 HeaderAuth1 ") {
		t.Errorf("new connection after turning on: %q", got)
	}
}

// TestTLSListenerHandshakes: a client that never completes its handshake holds up no
// other and is cut at the handshake deadline; plain HTTP sent to the TLS port gets
// net/http's 400 answer.
func TestTLSListenerHandshakes(t *testing.T) {
	pki := testpki.New(t)
	addr := tlsServer(t, pki, time.Second, nil)
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if got := askTLS(t, tlsClient(t, pki, false), addr); !strings.HasPrefix(got, "HTTP/1.1 HeaderAuth1 ") {
		t.Errorf("with a silent client waiting: %q", got)
	}
	_ = silent.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := silent.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("silent client: read %d, %v; want the connection closed at the handshake deadline", n, err)
	}

	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	_ = plain.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(plain, "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(plain)
	if !strings.HasPrefix(string(b), "HTTP/1.0 400 Bad Request") {
		t.Errorf("plain HTTP to the TLS port: %q", b)
	}
}

// TestTLSListenerClose: Close ends Accept, and handshakes still in progress.
func TestTLSListenerClose(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := TLSListener(lis, &tls.Config{MinVersion: tls.VersionTLS12}, 0, nil)
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if c != nil {
			_ = c.Close()
		}
		accepted <- err
	}()
	c, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("a handshake in progress outlived Close")
	}
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
