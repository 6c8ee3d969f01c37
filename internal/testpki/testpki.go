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

// Package testpki makes a throwaway public key infrastructure for tests: a CA, a server
// certificate for 127.0.0.1 and xds.portico.test, a client certificate, and a client
// certificate from another CA, written as PEM files to a temporary folder.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// PKI holds the files (paths) and the CA pool.
type PKI struct {
	Dir                       string
	CAFile                    string
	CAPool                    *x509.CertPool
	ServerCert, ServerKey     string
	ClientCert, ClientKey     string
	StrangerCert, StrangerKey string // a client certificate signed by another CA

	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
}

// New writes a fresh PKI to t.TempDir().
func New(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{Dir: t.TempDir(), CAPool: x509.NewCertPool()}
	ca, caKey := selfSigned(t, "portico test CA")
	p.ca, p.caKey = ca, caKey
	p.CAPool.AddCert(ca)
	p.CAFile = p.Write(t, "ca.crt", "CERTIFICATE", ca.Raw)
	p.ServerCert, p.ServerKey = p.issue(t, ca, caKey, "server", x509.ExtKeyUsageServerAuth)
	p.ClientCert, p.ClientKey = p.issue(t, ca, caKey, "client", x509.ExtKeyUsageClientAuth)
	other, otherKey := selfSigned(t, "another CA")
	p.StrangerCert, p.StrangerKey = p.issue(t, other, otherKey, "stranger", x509.ExtKeyUsageClientAuth)
	return p
}

// Write writes der as a PEM block of typ to the PKI's folder and returns the path.
func (p *PKI) Write(t testing.TB, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.Dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// RenewServer rewrites ServerCert and ServerKey with a new key and certificate from the same
// CA, as a rotation does, and returns the new certificate.
func (p *PKI) RenewServer(t testing.TB) *x509.Certificate {
	t.Helper()
	return p.renew(t, "server", x509.ExtKeyUsageServerAuth, p.ServerCert, p.ServerKey)
}

// RenewClient rewrites ClientCert and ClientKey as RenewServer does.
func (p *PKI) RenewClient(t testing.TB) *x509.Certificate {
	t.Helper()
	return p.renew(t, "client", x509.ExtKeyUsageClientAuth, p.ClientCert, p.ClientKey)
}

func (p *PKI) renew(t testing.TB, cn string, usage x509.ExtKeyUsage, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	// A real rotation comes long after the first files; on a file system with coarse
	// modification times a test's would not, so the new files are dated past the old ones.
	later := time.Now()
	if before, err := os.Stat(certFile); err == nil {
		later = before.ModTime().Add(time.Second)
	}
	if c, k := p.issue(t, p.ca, p.caKey, cn, usage); c != certFile || k != keyFile {
		t.Fatalf("renewed %s into %s and %s, not %s and %s", cn, c, k, certFile, keyFile)
	}
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	return load(t, certFile, keyFile).Leaf
}

// OtherCAFile writes a CA certificate that signed nothing of this PKI.
func (p *PKI) OtherCAFile(t testing.TB) string {
	t.Helper()
	ca, _ := selfSigned(t, "unrelated CA")
	return p.Write(t, "unrelated.crt", "CERTIFICATE", ca.Raw)
}

// ClientCertificate loads the client certificate and key.
func (p *PKI) ClientCertificate(t testing.TB) tls.Certificate {
	return load(t, p.ClientCert, p.ClientKey)
}

// StrangerCertificate loads the other CA's client certificate and key.
func (p *PKI) StrangerCertificate(t testing.TB) tls.Certificate {
	return load(t, p.StrangerCert, p.StrangerKey)
}

func load(t testing.TB, cert, key string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var serial atomic.Int64

func template(cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func selfSigned(t testing.TB, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	tmpl := template(cn)
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

// issue writes a certificate for cn, valid for 127.0.0.1 and xds.portico.test, and its key.
func (p *PKI) issue(t testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	tmpl := template(cn)
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
	return p.Write(t, cn+".crt", "CERTIFICATE", der), p.Write(t, cn+".key", "EC PRIVATE KEY", keyDER)
}

// CAPEM returns the CA certificate as PEM, as a truststore ConfigMap would hold it.
func (p *PKI) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw})
}

// ServerPEM issues a server certificate for dnsNames (wildcards allowed), signed by the CA
// and valid until notAfter, and returns it and its key as PEM, as in a kubernetes.io/tls
// Secret's tls.crt and tls.key.
func (p *PKI) ServerPEM(t testing.TB, notAfter time.Time, dnsNames ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newKey(t)
	tmpl := template(dnsNames[0])
	tmpl.NotAfter = notAfter
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.DNSNames = dnsNames
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// ClientPEM returns the client certificate and key files' contents.
func (p *PKI) ClientPEM(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	c, err := os.ReadFile(p.ClientCert)
	if err != nil {
		t.Fatal(err)
	}
	k, err := os.ReadFile(p.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

// WeakClientCertificate issues a client certificate with an RSA key of 1024 bits, signed by
// the CA: one that AWS's mutual TLS refuses.
func (p *PKI) WeakClientCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := template("weak")
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
