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
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig secures the xDS listener. The files are read once, when the Server is created.
type TLSConfig struct {
	// CertFile and KeyFile are the server's PEM certificate chain and private key.
	CertFile string
	KeyFile  string
	// CAFile, when set, turns on mutual TLS: proxies must present a certificate signed by one
	// of these PEM CAs, or the handshake fails.
	CAFile string
}

// serverConfig loads the files into a tls.Config.
func (c *TLSConfig) serverConfig() (*tls.Config, error) {
	if c.CertFile == "" || c.KeyFile == "" {
		return nil, errors.New("xDS TLS needs both a certificate and a key file")
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading xDS server certificate: %w", err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		// TLS 1.2 rather than 1.3 as a floor: Envoy's client side still defaults to 1.2 as
		// its maximum, and Envoy may be pointed at this server for debugging.
		MinVersion: tls.VersionTLS12,
	}
	if c.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading xDS client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no PEM certificate in xDS client CA file %s", c.CAFile)
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}
