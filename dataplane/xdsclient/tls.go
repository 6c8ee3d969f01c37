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
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig secures the connection to the xDS server.
type TLSConfig struct {
	// CAFile is a PEM bundle of the CAs that may sign the server's certificate; empty means
	// the system's roots.
	CAFile string
	// CertFile and KeyFile are the proxy's PEM certificate chain and key, presented when the
	// server asks for one (mutual TLS). Both or neither.
	CertFile string
	KeyFile  string
	// ServerName overrides the name the server's certificate is verified against; empty
	// means the host of the server address.
	ServerName string
}

// clientConfig loads the files into a tls.Config. The CA bundle is read once; the client
// certificate is read again at each handshake, so that a certificate rotated on disk (by
// cert-manager, say) is used from the next reconnection without restarting the proxy.
func (c *TLSConfig) clientConfig() (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName: c.ServerName,
		// The server's floor too (controllers/xds/tls.go).
		MinVersion: tls.VersionTLS12,
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading xDS server CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no PEM certificate in xDS server CA file %s", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("xDS client TLS needs both a certificate and a key file, or neither")
	}
	if c.CertFile != "" {
		// Fail now on a bad pair rather than at every handshake.
		if _, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile); err != nil {
			return nil, fmt.Errorf("loading xDS client certificate: %w", err)
		}
		certFile, keyFile := c.CertFile, c.KeyFile
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("loading xDS client certificate: %w", err)
			}
			return &cert, nil
		}
	}
	return cfg, nil
}
