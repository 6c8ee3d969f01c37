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

package xdsclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/xds"
)

// testPKI is a CA, a server certificate for 127.0.0.1 and a client certificate, and a client
// certificate from another CA, as PEM files in a temporary directory.
type testPKI struct {
	dir                       string
	caFile                    string
	serverCert, serverKey     string
	clientCert, clientKey     string
	strangerCert, strangerKey string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	ca, caKey := selfSigned(t, "portico test CA")
	p.caFile = p.write(t, "ca.crt", "CERTIFICATE", ca.Raw)
	p.serverCert, p.serverKey = p.issue(t, ca, caKey, "server", x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = p.issue(t, ca, caKey, "client", x509.ExtKeyUsageClientAuth)
	other, otherKey := selfSigned(t, "another CA")
	p.strangerCert, p.strangerKey = p.issue(t, other, otherKey, "stranger", x509.ExtKeyUsageClientAuth)
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

var serial int64

func certTemplate(cn string) *x509.Certificate {
	serial++
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func selfSigned(t *testing.T, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	tmpl := certTemplate(cn)
	tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
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

// issue writes a certificate for cn, valid for 127.0.0.1 and the name "xds.portico.test",
// and its key; it returns their paths.
func (p *testPKI) issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	tmpl := certTemplate(cn)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	tmpl.DNSNames = []string{"xds.portico.test"}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, cn+".crt", "CERTIFICATE", der), p.write(t, cn+".key", "EC PRIVATE KEY", keyDER)
}

func TestTLS(t *testing.T) {
	pki := newTestPKI(t)
	s := startServer(t, "127.0.0.1:0", xds.Options{TLS: &xds.TLSConfig{CertFile: pki.serverCert, KeyFile: pki.serverKey}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := startClient(t, s.addr, Options{TLS: &TLSConfig{CAFile: pki.caFile}})
	programmed(t, s, "pets/prod")
	eventually(t, "ready", c.Ready)

	// ServerName verifies the certificate against another name than the address.
	c2 := startClient(t, s.addr, Options{NodeID: "proxy-2", TLS: &TLSConfig{CAFile: pki.caFile, ServerName: "xds.portico.test"}})
	eventually(t, "proxy-2 is ready", c2.Ready)

	// A server certificate from a CA the proxy does not trust is refused.
	c3 := startClient(t, s.addr, Options{NodeID: "proxy-3", TLS: &TLSConfig{CAFile: writeOtherCA(t, pki)}})
	eventually(t, "a few attempts failed", func() bool { return c3.attempts.Load() >= 3 })
	if c3.Ready() || c3.Connected() {
		t.Fatal("connected to a server signed by an unknown CA")
	}
}

func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	s := startServer(t, "127.0.0.1:0", xds.Options{TLS: &xds.TLSConfig{CertFile: pki.serverCert, KeyFile: pki.serverKey, CAFile: pki.caFile}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := startClient(t, s.addr, Options{TLS: &TLSConfig{CAFile: pki.caFile, CertFile: pki.clientCert, KeyFile: pki.clientKey}})
	programmed(t, s, "pets/prod")
	eventually(t, "ready", c.Ready)

	for name, tc := range map[string]*TLSConfig{
		"no client certificate":         {CAFile: pki.caFile},
		"a certificate from another CA": {CAFile: pki.caFile, CertFile: pki.strangerCert, KeyFile: pki.strangerKey},
	} {
		t.Run(name, func(t *testing.T) {
			c := startClient(t, s.addr, Options{NodeID: "stranger", TLS: tc})
			eventually(t, "a few attempts failed", func() bool { return c.attempts.Load() >= 3 })
			if c.Ready() || c.Connected() {
				t.Fatal("served")
			}
		})
	}
}

func TestTLSConfigErrors(t *testing.T) {
	pki := newTestPKI(t)
	for name, tc := range map[string]TLSConfig{
		"missing CA file":         {CAFile: filepath.Join(pki.dir, "nope.crt")},
		"CA file without PEM":     {CAFile: pki.write(t, "empty.crt", "NOTHING", nil)},
		"certificate without key": {CertFile: pki.clientCert},
		"key without certificate": {KeyFile: pki.clientKey},
		"mismatched pair":         {CertFile: pki.clientCert, KeyFile: pki.serverKey},
	} {
		if _, err := tc.clientConfig(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// writeOtherCA writes a CA certificate that signed nothing the test uses.
func writeOtherCA(t *testing.T, p *testPKI) string {
	t.Helper()
	ca, _ := selfSigned(t, "unrelated CA")
	return p.write(t, "unrelated.crt", "CERTIFICATE", ca.Raw)
}
