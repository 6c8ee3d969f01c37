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

package cli

import (
	"errors"
	"fmt"
	"log"
	"net"
	"strings"
	"syscall"

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/dataplane/edge"
	"github.com/portico-dev/portico/dataplane/proxy/rawheader"
)

// defaultHTTPSAddr is --https-addr's default: the HTTPS listener of custom domain names.
const defaultHTTPSAddr = ":8443"

// httpsOptions configure the HTTPS listener of a data plane.
type httpsOptions struct {
	// addr is --https-addr; empty turns HTTPS off.
	addr string
	// explicit says the user set --https-addr: then a port in use is an error. Left at its
	// default, a port in use (another proxy on this machine) only turns HTTPS off, with a
	// warning, so that several proxies run side by side as before custom domains existed.
	explicit bool
	// listener, when set, replaces addr (tests listen on port 0).
	listener net.Listener
}

// listenHTTPS opens the HTTPS listener: the edge's connection cap, then TLS with the
// certificate each SNI names in store. HTTP/1.1 connections opened while wantNames returns
// true keep header names as clients spell them (rawheader.TLSListener). It returns nil, nil
// when HTTPS is off.
func listenHTTPS(o dataPlaneOptions, slots *edge.Slots, store *domains.Store, wantNames func() bool) (net.Listener, error) {
	h := o.https
	if h.listener == nil && h.addr == "" {
		return nil, nil
	}
	lis, err := listen(h.listener, h.addr)
	if err != nil {
		if !h.explicit && errors.Is(err, syscall.EADDRINUSE) {
			o.log.Info("HTTPS is off: its default port is in use; set --https-addr to choose another", "address", h.addr)
			return nil, nil
		}
		return nil, fmt.Errorf("--https-addr: %w", err)
	}
	// The handshake deadline net/http would apply (proxy.NewServer's ReadHeaderTimeout).
	limits := o.limits
	if limits == (edge.Limits{}) {
		limits = edge.Defaults()
	}
	return rawheader.TLSListener(slots.Listener(lis), store.TLSConfig(), limits.ReadHeaderTimeout, wantNames), nil
}

// handshakeLog is the HTTPS server's error log: failed handshakes (an unknown name, a
// client without a valid certificate, a scanner) are the clients' doing and frequent, so
// they go to debug rather than to stderr.
func handshakeLog(l logr.Logger) *log.Logger {
	return log.New(logWriter{l.V(1)}, "", 0)
}

type logWriter struct{ l logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Info(strings.TrimSpace(string(p)))
	return len(p), nil
}
