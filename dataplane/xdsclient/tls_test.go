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
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/internal/testpki"

	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/xds"
)

func TestTLS(t *testing.T) {
	pki := testpki.New(t)
	s := startServer(t, "127.0.0.1:0", xds.Options{TLS: &xds.TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := startClient(t, s.addr, Options{TLS: &TLSConfig{CAFile: pki.CAFile}})
	programmed(t, s, "pets/prod")
	eventually(t, "ready", c.Ready)

	// ServerName verifies the certificate against another name than the address.
	c2 := startClient(t, s.addr, Options{NodeID: "proxy-2", TLS: &TLSConfig{CAFile: pki.CAFile, ServerName: "xds.portico.test"}})
	eventually(t, "proxy-2 is ready", c2.Ready)

	// A server certificate from a CA the proxy does not trust is refused.
	c3 := startClient(t, s.addr, Options{NodeID: "proxy-3", TLS: &TLSConfig{CAFile: pki.OtherCAFile(t)}})
	eventually(t, "a few attempts failed", func() bool { return c3.attempts.Load() >= 3 })
	if c3.Ready() || c3.Connected() {
		t.Fatal("connected to a server signed by an unknown CA")
	}
}

func TestMutualTLS(t *testing.T) {
	pki := testpki.New(t)
	s := startServer(t, "127.0.0.1:0", xds.Options{TLS: &xds.TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CAFile: pki.CAFile}})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := startClient(t, s.addr, Options{TLS: &TLSConfig{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}})
	programmed(t, s, "pets/prod")
	eventually(t, "ready", c.Ready)

	for name, tc := range map[string]*TLSConfig{
		"no client certificate":         {CAFile: pki.CAFile},
		"a certificate from another CA": {CAFile: pki.CAFile, CertFile: pki.StrangerCert, KeyFile: pki.StrangerKey},
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
	pki := testpki.New(t)
	for name, tc := range map[string]TLSConfig{
		"missing CA file":         {CAFile: filepath.Join(pki.Dir, "nope.crt")},
		"CA file without PEM":     {CAFile: pki.Write(t, "empty.crt", "NOTHING", nil)},
		"certificate without key": {CertFile: pki.ClientCert},
		"key without certificate": {KeyFile: pki.ClientKey},
		"mismatched pair":         {CertFile: pki.ClientCert, KeyFile: pki.ServerKey},
	} {
		if _, err := tc.clientConfig(logr.Discard()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
