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

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/internal/tlsconfig"
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

// clientConfig builds the tls.Config with the helper the server's end uses too. The CA
// bundle is read once; the client certificate is read again when its files change (looked
// at, at most, every tlsconfig.DefaultReloadCheck), so that a certificate rotated on disk (by
// cert-manager, say) is used from the next connection without restarting the proxy. A bad
// pair fails now rather than at every handshake.
func (c *TLSConfig) clientConfig(log logr.Logger) (*tls.Config, error) {
	return tlsconfig.Config{
		CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, ServerName: c.ServerName,
		What: "xDS client", Log: log,
	}.Client()
}
