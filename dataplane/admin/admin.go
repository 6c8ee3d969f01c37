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

// Package admin is the proxy's admin HTTP server: health and readiness probes, Prometheus
// metrics, the applied configuration with its secrets redacted, and Go's profiles when
// asked for. It listens on its own address, loopback by default, apart from the traffic the
// proxy serves.
package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico-dev/portico/dataplane/config"
)

const (
	// shutdownGrace bounds the graceful shutdown: admin requests are short, and a scrape cut
	// short at exit costs nothing.
	shutdownGrace = 5 * time.Second
	// readHeaderTimeout stops a client that never finishes its headers from holding a
	// connection forever.
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// Options configure a Server. Every field may be left unset.
type Options struct {
	// Logger receives the server's start, stop and errors.
	Logger logr.Logger
	// Gatherer is what /metrics exposes; nil means prometheus.DefaultGatherer.
	Gatherer prometheus.Gatherer
	// Ready reports whether the proxy should receive traffic (for /readyz); nil means always.
	Ready func() bool
	// NotReadyReason explains a false Ready in /readyz's body; nil gives a generic reason.
	NotReadyReason func() string
	// Config returns the applied configuration for /config, nil before the first; nil means
	// none is ever shown.
	Config func() *config.Config
	// LastNACK returns the last rejected update for /config, nil when none was.
	LastNACK func() error
	// Profiling serves Go's runtime profiles (net/http/pprof) under /debug/pprof/: CPU,
	// heap, goroutines, execution traces. Off by default, as the admin address may be
	// exposed (the chart's is, for the probes) and a profile costs the proxy CPU while it
	// runs.
	Profiling bool
}

// Server is the admin HTTP server. It is an http.Handler, so tests and callers may serve it
// themselves.
type Server struct {
	opts Options
	log  logr.Logger
	mux  *http.ServeMux
}

// New creates a Server with /healthz, /readyz, /metrics and /config, and /debug/pprof/ when
// opts.Profiling is set.
func New(opts Options) *Server {
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	s := &Server{opts: opts, log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
		ErrorLog:      promLogger{log},
		ErrorHandling: promhttp.ContinueOnError,
		// OpenMetrics, when the scraper asks for it, carries the latency histograms'
		// exemplars (the trace ids of sampled requests).
		EnableOpenMetrics: true,
	}))
	s.mux.HandleFunc("GET /config", s.config)
	if opts.Profiling {
		s.mux.HandleFunc("/debug/pprof/", pprof.Index)
		s.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return s
}

// Handle adds a handler, as http.ServeMux.Handle does (and panics like it on a pattern
// already taken), for endpoints that come with other parts of the proxy, like /usage. It
// may be called while serving.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// ListenAndServe listens on addr and serves until ctx is cancelled, then shuts down
// gracefully. It returns nil after a shutdown caused by ctx, or the error that prevented
// or ended serving (an address in use, say).
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("admin server: %w", err)
	}
	return s.Serve(ctx, lis)
}

// Serve is ListenAndServe on a listener the caller opened; it closes lis.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	s.log.Info("serving the admin endpoint", "address", lis.Addr().String())
	select {
	case err := <-done:
		return fmt.Errorf("admin server: %w", err)
	case <-ctx.Done():
	}
	// The parent context is done: the shutdown gets its own deadline.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serveErr := <-done; !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("admin server: %w", serveErr)
	}
	s.log.Info("stopped the admin endpoint")
	return err
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.opts.Ready == nil || s.opts.Ready() {
		writeText(w, http.StatusOK, "ok")
		return
	}
	reason := "no configuration applied yet"
	if s.opts.NotReadyReason != nil {
		if r := s.opts.NotReadyReason(); r != "" {
			reason = r
		}
	}
	writeText(w, http.StatusServiceUnavailable, "not ready: "+reason)
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// promLogger reports the errors of a scrape (a collector failing) to the server's log.
type promLogger struct{ l logr.Logger }

func (p promLogger) Println(v ...any) { p.l.Error(nil, "serving metrics", "error", fmt.Sprint(v...)) }
