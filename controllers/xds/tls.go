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

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/internal/tlsconfig"
)

// TLSConfig secures the xDS listener. The CA is read when the Server is created; the
// certificate and key are read then too, and again when they change on disk (looked at, at
// most, every tlsconfig.DefaultReloadCheck), so that a rotated certificate is presented from
// the next connection without a restart.
type TLSConfig struct {
	// CertFile and KeyFile are the server's PEM certificate chain and private key.
	CertFile string
	KeyFile  string
	// CAFile, when set, turns on mutual TLS: proxies must present a certificate signed by one
	// of these PEM CAs, or the handshake fails.
	CAFile string
}

// serverConfig builds the listener's tls.Config with the helper the proxies' end uses too.
func (c *TLSConfig) serverConfig(log logr.Logger) (*tls.Config, error) {
	return tlsconfig.Config{CertFile: c.CertFile, KeyFile: c.KeyFile, CAFile: c.CAFile, What: "xDS server", Log: log}.Server()
}
