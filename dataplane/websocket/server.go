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

// Package websocket serves WEBSOCKET APIs as Amazon API Gateway does (API.md, "WebSocket
// APIs"): the upgrade on /{stageName} runs $connect through the proxy's steps (authorizer,
// API key, throttles) and its integration, each message is routed by the API's
// routeSelectionExpression, two-way routes answer on the connection, $disconnect runs
// however a connection ends, and the @connections management API reaches a connection from
// a backend, on this proxy or, through Redis, on another.
//
// A Server keeps a registry of its connections (id -> connection and its $connect context).
// Each connection has one goroutine, the reader, which is the upgrade request's own; a
// writer goroutine exists only while messages wait to be sent, so an idle connection costs
// one goroutine, a read buffer and the connection's state. Every event loads the stage as
// currently applied (one atomic load), so a configuration change never closes a connection.
// Idle and maximum durations are enforced by one sweeper per Server on an injectable clock.
package websocket

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico/dataplane/proxy"
)

// Options configure a Server. The zero value works.
type Options struct {
	// Now is the clock of connection times, idle and maximum durations. Default time.Now.
	Now func() time.Time
	Log logr.Logger
	// Registerer receives the WebSocket metrics. Default: a private registry.
	Registerer prometheus.Registerer
	// Transport carries integration requests. Default: a pooled http.Transport.
	Transport http.RoundTripper
	// SendQueueMessages and SendQueueBytes bound what may wait to be sent to one client;
	// past either the client is too slow and is closed (1008). Defaults 256 and 1 MiB.
	SendQueueMessages, SendQueueBytes int
	// MessagesInFlight is how many of one connection's messages are routed at once, each on
	// a goroutine of its own, as AWS invokes a route for each message without waiting for
	// the one before: a slow backend does not hold the client's next messages, and answers
	// go out as they come. Past it the connection is not read until one is done. Default 16;
	// 1 handles messages one at a time, in order.
	MessagesInFlight int
	// WriteTimeout bounds one write to a client. Default 10s.
	WriteTimeout time.Duration
	// SweepInterval is how often idle and maximum durations are checked. Default 1s.
	SweepInterval time.Duration
	// Forwarder reaches connections held by other replicas; nil serves local ones only.
	Forwarder Forwarder
}

// Server serves WebSocket connections for a proxy; it implements proxy.WebSocket.
type Server struct {
	opts     Options
	proxy    *proxy.Proxy
	node     string
	upgrader websocket.Upgrader
	metrics  *metrics
	client   *http.Client

	mu    sync.RWMutex
	conns map[string]*conn
	// closing is set under mu when Run's context ends: from then on no upgrade is taken,
	// so that none registers after CloseAll's snapshot or adds to wg once Wait began.
	closing bool
	wg      sync.WaitGroup // connections' disconnect events
}

var _ proxy.WebSocket = (*Server)(nil)

// nodeLen is the length of the node tag that starts every connection id.
const nodeLen = 8

// New returns a Server. Attach it to its proxy (proxy.Options.WebSocket, then Attach)
// before serving.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	if opts.SendQueueMessages <= 0 {
		opts.SendQueueMessages = 256
	}
	if opts.SendQueueBytes <= 0 {
		opts.SendQueueBytes = 1 << 20
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.MessagesInFlight <= 0 {
		opts.MessagesInFlight = 16
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = time.Second
	}
	if opts.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 256
		opts.Transport = t
	}
	s := &Server{
		opts:    opts,
		node:    randomID(6),
		metrics: newMetrics(opts.Registerer),
		client:  &http.Client{Transport: opts.Transport, CheckRedirect: noRedirects},
		conns:   map[string]*conn{},
	}
	s.upgrader = websocket.Upgrader{
		// Read with net/http's own 4 KiB buffer; write through a pool, so that an idle
		// connection holds no write buffer.
		WriteBufferPool: &sync.Pool{},
		// Amazon API Gateway accepts any origin; a $connect authorizer decides who connects.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			writeJSON(w, status, map[string]string{"message": reason.Error()})
		},
	}
	return s
}

// Attach gives the Server the proxy whose stages it serves.
func (s *Server) Attach(p *proxy.Proxy) { s.proxy = p }

// Node is the tag that starts the ids of this Server's connections.
func (s *Server) Node() string { return s.node }

// Len is the number of open connections.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.conns)
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Run sweeps idle and expired connections until ctx ends, then closes every connection
// (1001, going away) and waits for their $disconnect events.
func (s *Server) Run(ctx context.Context) error {
	if s.opts.Forwarder != nil {
		if err := s.opts.Forwarder.Serve(ctx, s.node, s.manage); err != nil {
			// Connections here are still served; only other replicas cannot reach them.
			s.opts.Log.Error(err, "@connections calls from other replicas will not reach this proxy's connections")
		}
	}
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.mu.Lock()
			s.closing = true
			s.mu.Unlock()
			s.CloseAll(websocket.CloseGoingAway, "Going away")
			s.wg.Wait()
			return nil
		case <-t.C:
			s.Sweep()
		}
	}
}

// Sweep closes the connections past their idle or maximum time, and those whose stage is no
// longer served, as of Options.Now. Run calls it every SweepInterval; tests call it after
// moving their clock.
func (s *Server) Sweep() {
	now := s.opts.Now()
	for _, c := range s.snapshot() {
		st := s.proxy.WebSocketStage(c.stageKey, c.variant)
		if st == nil {
			c.close(websocket.CloseGoingAway, "Going away")
			continue
		}
		c.last.Store(st)
		lim := limitsOf(st)
		switch {
		case now.Sub(c.connectedAt) >= lim.maxAge:
			c.close(websocket.CloseGoingAway, "Going away")
		case now.Sub(time.Unix(0, c.lastActive.Load())) >= lim.idle:
			c.close(websocket.CloseGoingAway, "Going away")
		}
	}
}

// CloseAll closes every connection; each gets its $disconnect.
func (s *Server) CloseAll(code int, reason string) {
	for _, c := range s.snapshot() {
		c.close(code, reason)
	}
}

// Wait waits for the $disconnect events of closed connections.
func (s *Server) Wait() { s.wg.Wait() }

// isClosing reports whether Run's shutdown began.
func (s *Server) isClosing() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closing
}

func (s *Server) snapshot() []*conn {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

func (s *Server) get(id string) *conn {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.conns[id]
}

// limits are a stage's connection limits, defaults applied.
type limits struct {
	idle, maxAge time.Duration
	maxMessage   int64
}

func limitsOf(st *proxy.WSStage) limits {
	w := st.API.GetWebsocket()
	l := limits{idle: 600 * time.Second, maxAge: 7200 * time.Second, maxMessage: 128 << 10}
	if v := w.GetIdleTimeoutSeconds(); v > 0 {
		l.idle = time.Duration(v) * time.Second
	}
	if v := w.GetMaxConnectionSeconds(); v > 0 {
		l.maxAge = time.Duration(v) * time.Second
	}
	if v := w.GetMaxMessageBytes(); v > 0 {
		l.maxMessage = int64(v)
	}
	return l
}

// randomID returns n random bytes in unpadded base64url: safe in a URL path segment.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newConnectionID names a connection: the node tag, then 12 random bytes.
func (s *Server) newConnectionID() string { return s.node + randomID(12) }

// nodeOf returns the node tag of a connection id, or "".
func nodeOf(id string) string {
	if len(id) <= nodeLen {
		return ""
	}
	return id[:nodeLen]
}
