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

package proxy

import (
	"context"
	"log"
	"net"
	"net/http"

	"github.com/portico-dev/portico/dataplane/edge"
	"github.com/portico-dev/portico/dataplane/h1"
	"github.com/portico-dev/portico/dataplane/proxy/rawheader"
)

// ServerOptions configure NewServer.
type ServerOptions struct {
	// Handler serves requests: the Proxy.
	Handler http.Handler
	// Limits are the edge limits: header and body deadlines, header size, idle and write
	// timeouts. The zero value (never valid: MaxHeaderBytes must be positive) means
	// edge.Defaults(). The connection cap is the listener's (edge.Listener), not the server's.
	Limits edge.Limits
	// TLS: the server is given a TLS listener (the HTTPS listener of custom domains), so it
	// speaks HTTP/2 as negotiated by ALPN rather than h2c.
	TLS bool
	// ErrorLog logs what the server cannot tell a client (failed handshakes, handler
	// panics); nil: the log package's logger.
	ErrorLog *log.Logger
}

// Server is what NewServer returns: http.Server's serving methods, which the HTTP/1.x
// engine (package h1) has too.
type Server interface {
	// Serve serves the listener's connections until it fails or the server is shut down
	// (http.ErrServerClosed).
	Serve(l net.Listener) error
	// Shutdown stops accepting, closes idle connections and waits for the active ones to
	// finish, or for ctx to end.
	Shutdown(ctx context.Context) error
	// Close closes the listeners and every connection at once.
	Close() error
}

// NewServer returns the server for o.Handler. Without o.TLS it is the HTTP/1.x engine of
// package h1 (cheaper per request than net/http's server, see docs/proxy.md), which hands
// connections that open with HTTP/2's preface (h2c, prior knowledge) to a net/http server
// with net/http's own HTTP/2 (http.Server.Protocols), so no extra dependency. The HTTP/1.1
// "Upgrade: h2c" dance is not offered: RFC 9113 deprecates it and gRPC and curl
// --http2-prior-knowledge do not need it. With o.TLS it is a net/http server that speaks
// HTTP/1.1 and HTTP/2 as ALPN negotiates it.
//
// There is no read or write timeout on the whole request: bodies and responses stream, and
// each route bounds its backend with its own timeout. The edge limits bound what a client
// can hold instead (see package edge), on both engines.
func NewServer(o ServerOptions) Server {
	srv := newHTTPServer(o)
	if o.TLS {
		return srv
	}
	return &h1.Server{
		Handler:           srv.Handler,
		ReadHeaderTimeout: srv.ReadHeaderTimeout,
		IdleTimeout:       srv.IdleTimeout,
		MaxHeaderBytes:    srv.MaxHeaderBytes,
		ConnContext:       srv.ConnContext,
		ConnState:         srv.ConnState,
		H2C:               srv,
		ErrorLog:          o.ErrorLog,
	}
}

// newHTTPServer is the net/http server NewServer configures: the TLS listener's, and the
// h2c server of the plain one.
func newHTTPServer(o ServerOptions) *http.Server {
	l := o.Limits
	if l == (edge.Limits{}) {
		l = edge.Defaults()
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	if o.TLS {
		protocols.SetHTTP2(true)
	} else {
		protocols.SetUnencryptedHTTP2(true)
	}
	srv := &http.Server{Handler: refuseBothLengths(o.Handler), Protocols: &protocols, ErrorLog: o.ErrorLog}
	l.Apply(srv)
	if o.TLS {
		// Connections from a rawheader.TLSListener follow their framing, and keep header
		// names as clients spell them. The plain listener's HTTP/1.x server (h1) keeps each
		// request's head itself, and its h2c connections carry no such ambiguity.
		rawheader.Install(srv)
	}
	return srv
}

// refuseBothLengths answers 400 to a request that came with both Content-Length and
// Transfer-Encoding, or with Transfer-Encoding in HTTP/1.0, and closes its connection, as nginx does and RFC 9112 (6.1) requires of
// the connection: net/http would serve it by the Transfer-Encoding, while a balancer in
// front that went by the length would take another part of the stream for the next request
// (request smuggling). Like the 431 of an oversized header, it is the connection's answer,
// before any API's.
func refuseBothLengths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rawheader.BothLengths(r) {
			w.Header().Set("Connection", "close")
			http.Error(w, "400 Bad Request: faulty framing (Transfer-Encoding with Content-Length, or in a version 1.0 request)", http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
