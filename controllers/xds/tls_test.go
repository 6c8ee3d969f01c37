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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portico-dev/portico/controllers/xds/xdstest"

	"google.golang.org/grpc/credentials"

	"github.com/portico-dev/portico/controllers/ir"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client certificate, as PEM
// files in a temporary directory.
type testPKI struct {
	dir              string
	caPool           *x509.CertPool
	caFile           string
	serverCert       string
	serverKey        string
	clientCert       tls.Certificate
	clientCertOthers tls.Certificate // signed by another CA
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir(), caPool: x509.NewCertPool()}
	caCert, caKey := selfSigned(t, "portico test CA")
	p.caPool.AddCert(caCert)
	p.caFile = p.write(t, "ca.crt", "CERTIFICATE", caCert.Raw)

	serverDER, serverKey := issue(t, caCert, caKey, "xds", x509.ExtKeyUsageServerAuth)
	p.serverCert = p.write(t, "tls.crt", "CERTIFICATE", serverDER)
	p.serverKey = p.write(t, "tls.key", "EC PRIVATE KEY", marshalKey(t, serverKey))

	clientDER, clientKey := issue(t, caCert, caKey, "proxy", x509.ExtKeyUsageClientAuth)
	p.clientCert = tls.Certificate{Certificate: [][]byte{clientDER}, PrivateKey: clientKey}

	otherCA, otherKey := selfSigned(t, "another CA")
	otherDER, otherClientKey := issue(t, otherCA, otherKey, "stranger", x509.ExtKeyUsageClientAuth)
	p.clientCertOthers = tls.Certificate{Certificate: [][]byte{otherDER}, PrivateKey: otherClientKey}
	return p
}

func (p *testPKI) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clientCreds trusts the test CA and presents certs, if any.
func (p *testPKI) clientCreds(certs ...tls.Certificate) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{RootCAs: p.caPool, Certificates: certs, MinVersion: tls.VersionTLS12})
}

var serial int64

func template(cn string) *x509.Certificate {
	serial++
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
}

func selfSigned(t *testing.T, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	tmpl := template(cn)
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	tmpl := template(cn)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func marshalKey(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
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
	pki := newTestPKI(t)
	s := startServer(t, Options{TLS: &TLSConfig{CertFile: pki.serverCert, KeyFile: pki.serverKey}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)

	if !reaches(t, s, pki.clientCreds()) {
		t.Error("a TLS client was refused")
	}
	if reaches(t, s, nil) {
		t.Error("a plaintext client was served")
	}
}

func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	s := startServer(t, Options{TLS: &TLSConfig{CertFile: pki.serverCert, KeyFile: pki.serverKey, CAFile: pki.caFile}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)

	if !reaches(t, s, pki.clientCreds(pki.clientCert)) {
		t.Error("a client with a certificate from the CA was refused")
	}
	if reaches(t, s, pki.clientCreds()) {
		t.Error("a client without a certificate was served")
	}
	if reaches(t, s, pki.clientCreds(pki.clientCertOthers)) {
		t.Error("a client with a certificate from another CA was served")
	}
	if reaches(t, s, nil) {
		t.Error("a plaintext client was served")
	}
}

func TestTLSConfigErrors(t *testing.T) {
	pki := newTestPKI(t)
	for name, cfg := range map[string]TLSConfig{
		"no key":        {CertFile: pki.serverCert},
		"missing files": {CertFile: filepath.Join(pki.dir, "nope.crt"), KeyFile: pki.serverKey},
		"CA missing":    {CertFile: pki.serverCert, KeyFile: pki.serverKey, CAFile: filepath.Join(pki.dir, "nope.crt")},
		"CA empty":      {CertFile: pki.serverCert, KeyFile: pki.serverKey, CAFile: emptyFile(t, pki.dir)},
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
