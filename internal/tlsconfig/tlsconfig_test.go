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

package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/testpki"
)

// handshake runs one TLS handshake between a client and a server over a fresh connection,
// as a new xDS connection does, and returns the certificate each end saw from the other (nil
// when it got none). The server then sends one byte: in TLS 1.3 the client's
// handshake is over before the server has checked the client's certificate, and a refusal
// reaches the client as the alert its first read returns.
func handshake(t *testing.T, server, client *tls.Config) (serverSaw, clientSaw *x509.Certificate, err error) {
	t.Helper()
	// Loopback TCP, not net.Pipe: an unbuffered pipe deadlocks when one end writes an alert
	// while the other is still writing its flight.
	sc, cc := tcpPair(t)
	defer sc.Close()
	defer cc.Close()
	// A bound on a broken test, not a wait: a loopback handshake takes milliseconds.
	deadline := time.Now().Add(time.Minute)
	_ = sc.SetDeadline(deadline)
	_ = cc.SetDeadline(deadline)
	srv, cli := tls.Server(sc, server), tls.Client(cc, client)
	done := make(chan error, 1)
	go func() {
		err := srv.Handshake()
		if err == nil {
			_, err = srv.Write([]byte{1})
		}
		sc.Close()
		done <- err
	}()
	cerr := cli.Handshake()
	if cerr == nil {
		_, cerr = io.ReadFull(cli, make([]byte, 1))
	}
	cc.Close()
	serr := <-done
	if err := errors.Join(serr, cerr); err != nil {
		return nil, nil, err
	}
	if p := srv.ConnectionState().PeerCertificates; len(p) > 0 {
		serverSaw = p[0]
	}
	if p := cli.ConnectionState().PeerCertificates; len(p) > 0 {
		clientSaw = p[0]
	}
	return serverSaw, clientSaw, nil
}

func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	if client, err = net.Dial("tcp", lis.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if server, err = lis.Accept(); err != nil {
		t.Fatal(err)
	}
	return server, client
}

func mustServer(t *testing.T, c Config) *tls.Config {
	t.Helper()
	cfg, err := c.Server()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func mustClient(t *testing.T, c Config) *tls.Config {
	t.Helper()
	cfg, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func serial(c *x509.Certificate) string {
	if c == nil {
		return "none"
	}
	return c.SerialNumber.String()
}

// Both ends present a rotated certificate from their next handshake, with the same
// tls.Config (no restart), and mutual TLS keeps refusing clients without a good certificate
// before and after.
func TestRotationBothEnds(t *testing.T) {
	pki := testpki.New(t)
	server := mustServer(t, Config{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: pki.CAFile, ReloadCheck: -1})
	client := mustClient(t, Config{CertFile: pki.ClientCert, KeyFile: pki.ClientKey, CAFile: pki.CAFile, ServerName: "xds.portico.test", ReloadCheck: -1})
	noCert := mustClient(t, Config{CAFile: pki.CAFile, ServerName: "xds.portico.test"})
	stranger := mustClient(t, Config{CertFile: pki.StrangerCert, KeyFile: pki.StrangerKey, CAFile: pki.CAFile, ServerName: "xds.portico.test"})

	refused := func(when string) {
		t.Helper()
		if _, _, err := handshake(t, server, noCert); err == nil {
			t.Errorf("%s: a client without a certificate was accepted", when)
		}
		if _, _, err := handshake(t, server, stranger); err == nil {
			t.Errorf("%s: a client with another CA's certificate was accepted", when)
		}
	}

	serverSaw, clientSaw, err := handshake(t, server, client)
	if err != nil {
		t.Fatal(err)
	}
	firstServer, firstClient := serial(clientSaw), serial(serverSaw)
	refused("before rotation")

	newServer := pki.RenewServer(t)
	if serverSaw, clientSaw, err = handshake(t, server, client); err != nil {
		t.Fatal(err)
	}
	if got := serial(clientSaw); got != newServer.SerialNumber.String() || got == firstServer {
		t.Errorf("after the server's rotation the client saw serial %s, want the new %s (old %s)", got, newServer.SerialNumber, firstServer)
	}
	if got := serial(serverSaw); got != firstClient {
		t.Errorf("the client's certificate changed to %s without a rotation", got)
	}

	newClient := pki.RenewClient(t)
	if serverSaw, _, err = handshake(t, server, client); err != nil {
		t.Fatal(err)
	}
	if got := serial(serverSaw); got != newClient.SerialNumber.String() || got == firstClient {
		t.Errorf("after the client's rotation the server saw serial %s, want the new %s (old %s)", got, newClient.SerialNumber, firstClient)
	}
	refused("after rotation")
}

// Without a CA the server does not ask for a client certificate; with one, it requires it.
func TestServerClientAuth(t *testing.T) {
	pki := testpki.New(t)
	plain := mustServer(t, Config{CertFile: pki.ServerCert, KeyFile: pki.ServerKey})
	if plain.ClientAuth != tls.NoClientCert || plain.MinVersion != tls.VersionTLS12 {
		t.Errorf("server without CA: ClientAuth %v, MinVersion %x", plain.ClientAuth, plain.MinVersion)
	}
	if _, _, err := handshake(t, plain, mustClient(t, Config{CAFile: pki.CAFile, ServerName: "xds.portico.test"})); err != nil {
		t.Errorf("TLS without a client certificate: %v", err)
	}
	// The client checks the server's name and CA.
	if _, _, err := handshake(t, plain, mustClient(t, Config{CAFile: pki.CAFile, ServerName: "elsewhere.test"})); err == nil {
		t.Error("a server certificate for another name was accepted")
	}
	if _, _, err := handshake(t, plain, mustClient(t, Config{CAFile: pki.OtherCAFile(t), ServerName: "xds.portico.test"})); err == nil {
		t.Error("a server certificate from an untrusted CA was accepted")
	}
	mtls := mustServer(t, Config{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: pki.CAFile})
	if mtls.ClientAuth != tls.RequireAndVerifyClientCert || mtls.ClientCAs == nil {
		t.Errorf("server with CA: ClientAuth %v", mtls.ClientAuth)
	}
}

// The files are looked at no more often than ReloadCheck.
func TestReloadCheckInterval(t *testing.T) {
	pki := testpki.New(t)
	p, err := Config{CertFile: pki.ServerCert, KeyFile: pki.ServerKey}.keyPair()
	if err != nil {
		t.Fatal(err)
	}
	if p.every != DefaultReloadCheck {
		t.Fatalf("check interval %v, want the default %v", p.every, DefaultReloadCheck)
	}
	now := time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return now }
	first := leafSerial(t, p) // a look: the last one was at the real clock's time
	renewed := pki.RenewServer(t).SerialNumber.String()
	now = now.Add(DefaultReloadCheck - time.Millisecond)
	if got := leafSerial(t, p); got != first {
		t.Errorf("files looked at again before the interval: serial %s, want the first %s", got, first)
	}
	now = now.Add(time.Millisecond)
	if got := leafSerial(t, p); got != renewed {
		t.Errorf("after the interval: serial %s, want the renewed %s", got, renewed)
	}
	// A clock that went back looks again rather than trusting a check "in the future".
	again := pki.RenewServer(t).SerialNumber.String()
	now = now.Add(-time.Hour)
	if got := leafSerial(t, p); got != again {
		t.Errorf("after the clock went back: serial %s, want %s", got, again)
	}
}

// A rotation caught half way (or a broken file) keeps the last good pair until the files load.
func TestBrokenRotationKeepsLastGood(t *testing.T) {
	pki := testpki.New(t)
	p, err := Config{CertFile: pki.ClientCert, KeyFile: pki.ClientKey, ReloadCheck: -1}.keyPair()
	if err != nil {
		t.Fatal(err)
	}
	good := leafSerial(t, p)
	// The certificate of the next pair, with the old key still in place.
	keyBefore, err := os.ReadFile(pki.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	pki.RenewClient(t)
	rewrite(t, pki.ClientKey, keyBefore)
	if got := leafSerial(t, p); got != good {
		t.Errorf("mismatched files: serial %s, want the last good %s", got, good)
	}
	rewrite(t, pki.ClientCert, []byte("not PEM"))
	if got := leafSerial(t, p); got != good {
		t.Errorf("broken certificate: serial %s, want the last good %s", got, good)
	}
	if err := os.Remove(pki.ClientCert); err != nil {
		t.Fatal(err)
	}
	if got := leafSerial(t, p); got != good {
		t.Errorf("missing certificate: serial %s, want the last good %s", got, good)
	}
	next := pki.RenewClient(t).SerialNumber.String()
	if got := leafSerial(t, p); got != next {
		t.Errorf("after a complete rotation: serial %s, want %s", got, next)
	}
}

func TestConfigErrors(t *testing.T) {
	pki := testpki.New(t)
	nope := filepath.Join(pki.Dir, "nope.crt")
	empty := pki.Write(t, "empty.crt", "NOTHING", nil)
	for name, c := range map[string]Config{
		"no key":          {CertFile: pki.ServerCert},
		"no certificate":  {KeyFile: pki.ServerKey},
		"missing file":    {CertFile: nope, KeyFile: pki.ServerKey},
		"mismatched pair": {CertFile: pki.ServerCert, KeyFile: pki.ClientKey},
		"CA missing":      {CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: nope},
		"CA without PEM":  {CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: empty},
	} {
		if _, err := c.Server(); err == nil {
			t.Errorf("server, %s: no error", name)
		}
	}
	for name, c := range map[string]Config{
		"certificate without key": {CertFile: pki.ClientCert},
		"key without certificate": {KeyFile: pki.ClientKey},
		"mismatched pair":         {CertFile: pki.ClientCert, KeyFile: pki.ServerKey},
		"CA missing":              {CAFile: nope},
		"CA without PEM":          {CAFile: empty},
	} {
		if _, err := c.Client(); err == nil {
			t.Errorf("client, %s: no error", name)
		}
	}
}

func leafSerial(t *testing.T, p *KeyPair) string {
	t.Helper()
	c, err := p.Get()
	if err != nil {
		t.Fatal(err)
	}
	return serial(c.Leaf)
}

// rewrite replaces a file's content and moves its modification time on, as a writer would.
func rewrite(t *testing.T, path string, data []byte) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	later := fi.ModTime().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}
