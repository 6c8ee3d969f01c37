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

// Package tlsconfig builds the tls.Config of both ends of the xDS channel, the controller's
// server and the proxies' client, from PEM files, so that both ends agree on the floor
// version, on mutual TLS and on how certificates are rotated.
//
// A certificate and its key are reloaded without a restart: the handshake reads a cached
// pair (GetCertificate on the server, GetClientCertificate on the client), and the cache
// looks at the files' modification times and sizes at most every ReloadCheck, reading them
// again when either changed. No goroutine watches the files: an idle end costs nothing, and
// the next handshake after a rotation (cert-manager, a kubelet-updated Secret volume) presents
// the new certificate. A pair that does not load (a certificate written before its key) keeps
// the last good one in use and is tried again at the next check.
//
// The CA bundles are read once, when the tls.Config is built: a new CA is a new trust
// decision, taken by a restart.
package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
)

// DefaultReloadCheck is the least time between two looks at the certificate files when
// Config.ReloadCheck is zero: a rotation is picked up within it, and a reconnection storm
// does not stat the files once per handshake.
const DefaultReloadCheck = 5 * time.Second

// MinVersion is the floor of both ends. TLS 1.2 rather than 1.3: Envoy's client side still
// defaults to 1.2 as its maximum, and Envoy may be pointed at the server for debugging.
const MinVersion = tls.VersionTLS12

// Config names the PEM files of one end.
type Config struct {
	// CertFile and KeyFile are this end's certificate chain and private key: required on the
	// server; on the client, both or neither (a client certificate for mutual TLS).
	CertFile, KeyFile string
	// CAFile is a bundle of the CAs that may sign the other end's certificate. On the server
	// it turns on mutual TLS: clients must present a certificate it signed. On the client,
	// empty means the system's roots.
	CAFile string
	// ServerName, on the client, overrides the name the server's certificate is verified
	// against; empty means the host of the address dialled.
	ServerName string
	// ReloadCheck is the least time between two looks at CertFile and KeyFile;
	// DefaultReloadCheck when zero, at every handshake when negative.
	ReloadCheck time.Duration
	// What names this end in errors and logs ("xDS server"); "TLS" when empty.
	What string
	// Log receives certificate reloads and failed reloads; nothing is logged when unset.
	Log logr.Logger
}

// Server returns the tls.Config of a server: it presents CertFile and KeyFile, reloaded as
// they change, and with CAFile requires and verifies a client certificate signed by it.
func (c Config) Server() (*tls.Config, error) {
	if c.CertFile == "" || c.KeyFile == "" {
		return nil, fmt.Errorf("%s needs both a certificate and a key file", c.what())
	}
	pair, err := c.keyPair()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:     MinVersion,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return pair.Get() },
	}
	if c.CAFile != "" {
		if cfg.ClientCAs, err = c.pool("client CA"); err != nil {
			return nil, err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// Client returns the tls.Config of a client: it verifies the server against CAFile (or the
// system's roots) and ServerName, and presents CertFile and KeyFile, reloaded as they change,
// when the server asks for a certificate.
func (c Config) Client() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: c.ServerName, MinVersion: MinVersion}
	if c.CAFile != "" {
		var err error
		if cfg.RootCAs, err = c.pool("server CA"); err != nil {
			return nil, err
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, fmt.Errorf("%s needs both a certificate and a key file, or neither", c.what())
	}
	if c.CertFile != "" {
		pair, err := c.keyPair()
		if err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return pair.Get() }
	}
	return cfg, nil
}

func (c Config) what() string {
	if c.What == "" {
		return "TLS"
	}
	return c.What
}

// keyPair loads the pair now, so that a bad pair fails at start rather than at every
// handshake.
func (c Config) keyPair() (*KeyPair, error) {
	every := c.ReloadCheck
	if every == 0 {
		every = DefaultReloadCheck
	}
	p := &KeyPair{certFile: c.CertFile, keyFile: c.KeyFile, every: every, what: c.what(), log: c.Log, now: time.Now}
	if _, err := p.Get(); err != nil {
		return nil, err
	}
	return p, nil
}

func (c Config) pool(what string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", c.what(), what, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in " + c.what() + " " + what + " file " + c.CAFile)
	}
	return pool, nil
}
