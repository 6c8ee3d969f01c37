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

package xds

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"

	"github.com/portico-dev/portico/internal/testpki"

	"github.com/portico-dev/portico/controllers/xds/xdstest"

	"google.golang.org/grpc/credentials"

	"github.com/portico-dev/portico/controllers/ir"
)

// clientCreds trusts the test CA and presents certs, if any.
func clientCreds(p *testpki.PKI, certs ...tls.Certificate) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{RootCAs: p.CAPool, Certificates: certs, MinVersion: tls.VersionTLS12})
}

// reaches reports whether a delta ADS client with creds gets the initial stage snapshot.
func reaches(t *testing.T, s *testServer, creds credentials.TransportCredentials) bool {
	t.Helper()
	// A refused handshake can fail the stream's creation or its first send, or end it later.
	c, err := xdstest.TryDial(t, s.addr, "proxy", creds)
	if err != nil {
		return false
	}
	if err := c.TrySubscribe(stageType); err != nil {
		return false
	}
	r, err := c.TryRecv()
	return err == nil && len(r.GetResources()) == 1
}

func TestTLS(t *testing.T) {
	pki := testpki.New(t)
	s := startServer(t, Options{TLS: &TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)

	if !reaches(t, s, clientCreds(pki)) {
		t.Error("a TLS client was refused")
	}
	if reaches(t, s, nil) {
		t.Error("a plaintext client was served")
	}
}

func TestMutualTLS(t *testing.T) {
	pki := testpki.New(t)
	s := startServer(t, Options{TLS: &TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: pki.CAFile}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)

	if !reaches(t, s, clientCreds(pki, pki.ClientCertificate(t))) {
		t.Error("a client with a certificate from the CA was refused")
	}
	if reaches(t, s, clientCreds(pki)) {
		t.Error("a client without a certificate was served")
	}
	if reaches(t, s, clientCreds(pki, pki.StrangerCertificate(t))) {
		t.Error("a client with a certificate from another CA was served")
	}
	if reaches(t, s, nil) {
		t.Error("a plaintext client was served")
	}
}

func TestTLSConfigErrors(t *testing.T) {
	pki := testpki.New(t)
	for name, cfg := range map[string]TLSConfig{
		"no key":        {CertFile: pki.ServerCert},
		"missing files": {CertFile: filepath.Join(pki.Dir, "nope.crt"), KeyFile: pki.ServerKey},
		"CA missing":    {CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: filepath.Join(pki.Dir, "nope.crt")},
		"CA empty":      {CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: emptyFile(t, pki.Dir)},
	} {
		if _, err := New(Options{TLS: &cfg}); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func emptyFile(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "empty.crt")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The listener presents a rotated certificate to new connections without a restart, and
// still requires a client certificate from the CA.
func TestTLSServerCertificateRotation(t *testing.T) {
	pki := testpki.New(t)
	s := startServer(t, Options{TLS: &TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: pki.CAFile}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	first := presented(t, s.addr, pki)
	renewed := pki.RenewServer(t).SerialNumber.String()
	if renewed == first {
		t.Fatal("renewal kept the serial")
	}
	// The files are looked at every tlsconfig.DefaultReloadCheck at most: a poll.
	xdstest.Eventually(t, "new connections get the renewed certificate", func() bool {
		return presented(t, s.addr, pki) == renewed
	})
	if !reaches(t, s, clientCreds(pki, pki.ClientCertificate(t))) {
		t.Error("a client with a certificate from the CA was refused after the rotation")
	}
	if reaches(t, s, clientCreds(pki)) {
		t.Error("a client without a certificate was served after the rotation")
	}
}

// presented returns the serial of the certificate the server presents to a new connection.
func presented(t *testing.T, addr string, pki *testpki.PKI) string {
	t.Helper()
	// gRPC's server insists on ALPN h2.
	conn, err := tls.Dial("tcp", addr, &tls.Config{
		RootCAs: pki.CAPool, Certificates: []tls.Certificate{pki.ClientCertificate(t)},
		NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}
