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

// Package proxy is the data plane's request path. Apply compiles a configuration into a
// handler graph (hosts, stages, canary variants, route trees, each route's steps and
// integration, gateway responses, access log formats) off to the side and swaps it in with
// one atomic store; ServeHTTP loads it once per request, so a request finishes on the graph
// it started with whatever is applied meanwhile.
//
// Per request, in order: a request id; the host, then the first path segment, pick a stage;
// the canary choice; the route match; the body size check; the route's steps (see Step) and
// its integration; then metrics and the access log line.
package proxy

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico/dataplane/accesslog"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/dataplane/execlog"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/h1"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/router"
	"github.com/portico-dev/portico/dataplane/tracing"
	"github.com/portico-dev/portico/internal/clock"
)

// Options are a Proxy's dependencies. The zero value works.
type Options struct {
	// Rand returns a number in [0, 1) for the canary choice. Default math/rand/v2.
	Rand func() float64
	// Now is the clock for latencies, request times and endpoint ejection. Default
	// clock.Now (internal/clock: time.Now at half the cost).
	Now func() time.Time
	// Log receives configuration warnings, and request errors at V(1).
	Log logr.Logger
	// Registerer receives the request metrics. Default: a private registry (none exported).
	Registerer prometheus.Registerer
	// AccessLog receives access log lines, written by the request's goroutine. Default
	// os.Stdout, written by a goroutine of its own through a bounded queue: a blocked stdout
	// (a full pipe, a stalled collector) never holds a request, and lines that do not fit
	// are dropped and counted (portico_access_log_dropped_lines_total).
	AccessLog io.Writer
	// DefaultAccessLogFormat is used by stages without a format. Empty: no line for them.
	DefaultAccessLogFormat string
	// TrustedProxies are the peers whose X-Forwarded-For is believed. Default none: the
	// connection's address is the client's.
	TrustedProxies []netip.Prefix
	// Transport carries upstream requests. Default integration.NewUpstream().
	Transport http.RoundTripper
	// EjectionTime is how long an endpoint whose connection failed is skipped. Default
	// integration.DefaultEjection.
	EjectionTime time.Duration
	// Steps run before each route's integration, outermost first. See Step.
	Steps []Step
	// Guards run for every request to a stage before its route is matched. See Guard.
	Guards []Guard
	// WebSocket serves WEBSOCKET stages; without one they answer 404. See WebSocket.
	WebSocket WebSocket

	// Domains, when set, serves the configuration's custom domain names: Apply updates it,
	// and requests over TLS to one of them are routed by its base path mappings.
	Domains *domains.Store
	// Tracing makes the tracers of stages with tracing on; nil traces no stage.
	Tracing *tracing.Provider
	// ExecutionLog receives the execution log lines of methods whose logging is on.
	// Default os.Stderr.
	ExecutionLog io.Writer
}

// Proxy serves the applied configuration. It implements config.Applier and http.Handler.
type Proxy struct {
	opts     Options
	steps    []Step // opts.Steps, with RequireAuthorization last if they lack it
	shared   *integration.Shared
	clusters *integration.Clusters
	metrics  *metrics
	log      *accesslog.Writer
	execLog  *execlog.Writer
	noStage  *routeMetrics
	// wallClock: opts.Now is the real clock (clock.Now), so a request may start at the
	// server's arrival time and its latency be read from the monotonic clock alone (start,
	// since).
	wallClock bool

	applyMu sync.Mutex // serializes Apply: each build reuses the state of the last one
	graph   atomic.Pointer[graph]
	// domainErrs are the domains the last Apply could not serve, with why (under applyMu):
	// a domain is logged when its error changes and when it is served again.
	domainErrs map[string]string
	// headerNames: see WantsHeaderNames.
	headerNames atomic.Bool
}

var _ config.Applier = (*Proxy)(nil)

// New returns a Proxy with no configuration: until the first Apply it answers every request
// 404 RESOURCE_NOT_FOUND, and Ready is false.
func New(opts Options) *Proxy {
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	wallClock := opts.Now == nil
	if wallClock {
		opts.Now = clock.Now
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	accessLog := accesslog.NewWriter(opts.AccessLog)
	if opts.AccessLog == nil {
		opts.AccessLog = os.Stdout
		accessLog = accesslog.NewQueue(os.Stdout, 0)
	}
	if opts.ExecutionLog == nil {
		opts.ExecutionLog = os.Stderr
	}
	steps := opts.Steps
	if !declares(steps, RequireAuthorization) {
		steps = append(slices.Clip(steps), RequireAuthorization)
	}
	up := transport(opts.Transport)
	p := &Proxy{
		wallClock: wallClock,
		opts:      opts,
		steps:     steps,
		shared: integration.NewShared(integration.Shared{
			Transport: up,
			// Integration calls of traced requests are child spans with a traceparent.
			TracedTransport: tracing.Transport(up, "integration"),
			Now:             injected(wallClock, opts.Now), // the real clock by default
			Log:             opts.Log,
		}),
		clusters: integration.NewClusters(nil, nil, opts.Now, opts.EjectionTime),
		metrics:  newMetrics(opts.Registerer),
		log:      accessLog,
		execLog:  execlog.NewWriter(opts.ExecutionLog, opts.Now),
	}
	p.noStage = p.metrics.route(seriesKey{none, none, none, none})
	registerAccessLogDropped(opts.Registerer, p.log)
	return p
}

// FlushAccessLog waits until the access log lines queued for stdout are written, or ctx
// ends: at shutdown, after the last requests.
func (p *Proxy) FlushAccessLog(ctx context.Context) error { return p.log.Flush(ctx) }

// Ready reports whether a configuration has been applied.
func (p *Proxy) Ready() bool { return p.graph.Load() != nil }

// Apply builds the stages of cfg that changed and serves them from the next request on,
// with the endpoints of cfg. A stage that fails to build is returned in a
// config.StageErrors and keeps serving its last good version, if it had one; the others
// apply. Endpoints reach every route through the proxy's one cluster table, so an endpoint
// change rebuilds nothing.
func (p *Proxy) Apply(cfg *config.Config) error {
	if cfg == nil {
		return errors.New("no configuration")
	}
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	p.applyDomains(cfg)
	p.clusters.Update(cfg.Endpoints)
	prev := p.graph.Load()
	if prev.serves(cfg) {
		return nil
	}
	g, errs, warnings := p.build(cfg, prev)
	for _, w := range warnings {
		p.opts.Log.Info("configuration warning", "warning", w)
	}
	if !g.unchanged(prev) {
		// Before the stages serve: a connection accepted from then on keeps the names.
		p.headerNames.Store(g.wantsHeaderNames())
		p.graph.Store(g)
		if prev != nil {
			p.metrics.forget(g.gone(prev))
		}
	}
	if errs != nil {
		return errs
	}
	return nil
}

// start is when r came: the time h1 read as its first byte came, when it served r and the
// clock is the real one, else the clock now. On a VM's kvm-clock each read of the wall clock
// costs 70 to 90 ns, about half a percent of a MOCK request.
func (p *Proxy) start(r *http.Request) time.Time {
	if p.wallClock {
		if t, ok := h1.Received(r.Context()); ok {
			return t
		}
	}
	return p.opts.Now()
}

// injected is now unless it is the real clock (wallClock), which the integrations take by
// default, reading latencies from the monotonic clock alone.
func injected(wallClock bool, now func() time.Time) func() time.Time {
	if wallClock {
		return nil
	}
	return now
}

// since is the time elapsed from start: read from the monotonic clock alone (half a wall
// clock read) when the clock is the real one.
func (p *Proxy) since(start time.Time) time.Duration {
	if p.wallClock {
		return time.Since(start)
	}
	return p.opts.Now().Sub(start)
}

// ServeHTTP serves one request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := p.graph.Load()
	ex := newExchange()
	// First deferred, so last run: after the response is counted and logged.
	defer ex.release()
	rc := ex.rc()
	rc.Start = p.start(r)
	ex.setRequestID(w)
	ex.rw.w = w
	rc.SourceIP, rc.PeerTrusted = p.clientIP(r)
	rc.Host = hostOnly(r.Host)
	rc.Path = r.URL.EscapedPath()
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		// Only mutual TLS domains ask for one, and verify it against their truststore.
		rc.ClientCert = reqctx.NewClientCert(r.TLS.PeerCertificates[0])
	}
	ex.ctx.Context = r.Context()
	ex.req = *r.WithContext(&ex.ctx) // inlined, WithContext's copy stays on the stack
	r = &ex.req
	// Deferred, so that a response aborted mid-stream (ReverseProxy panics with
	// http.ErrAbortHandler) is still counted and logged; then what the body lent is given back.
	defer rc.Done()
	defer p.finish(ex, r)
	p.serve(g, ex, r)
}

func (p *Proxy) serve(g *graph, ex *exchange, r *http.Request) {
	rc := ex.rc()
	if p.redirectToHTTPS(&ex.rw, r, rc.Host) {
		return
	}
	if r.TLS != nil && r.TLS.ServerName != "" && !strings.EqualFold(rc.Host, r.TLS.ServerName) {
		// The handshake chose the domain (its certificate, its truststore) by the SNI: a
		// request for another host on that connection (a browser reusing an HTTP/2
		// connection for a name the certificate also covers) is told to open its own
		// (RFC 9110 15.5.20), rather than be served by the SNI's domain under another name.
		gatewayresponse.WriteAs(&ex.rw, r, gatewayresponse.ResourceNotFound, http.StatusMisdirectedRequest, "Misdirected Request", nil, rc.ID)
		return
	}
	if r.TLS != nil && p.opts.Domains != nil && !p.opts.Domains.Admits(r.TLS.ServerName, r.TLS) {
		// The domain asks for a client certificate this connection's handshake did not
		// verify against its truststore as it is now (mutual TLS turned on, or the
		// truststore replaced, since): AWS's answer to a refused client certificate.
		gatewayresponse.WriteAs(&ex.rw, r, gatewayresponse.AccessDenied, http.StatusForbidden, "Forbidden", nil, rc.ID)
		return
	}
	st, rest, domain := p.route(g, r, rc.Host, rc.Path)
	if st == nil {
		// No stage answers this host and path. AWS REST APIs say 403 "Missing
		// Authentication Token" for everything unknown; API.md keeps that for a path the
		// stage has without the method, and answers an unknown stage 404 Not Found, as a
		// client asking for a stage that does not exist has not "forgotten a token".
		gatewayresponse.Write(&ex.rw, r, gatewayresponse.ResourceNotFound, nil, rc.ID)
		return
	}
	if st.domainsOnly && !domain {
		// disableDefaultEndpoint: AWS answers its disabled execute-api endpoint 403
		// {"message": "Forbidden"}, whatever the path; as for an unknown stage, the API's
		// gatewayResponses do not apply, since the API is not served here.
		gatewayresponse.WriteAs(&ex.rw, r, gatewayresponse.AccessDenied, http.StatusForbidden, "Forbidden", nil, rc.ID)
		return
	}
	v := st.stable
	if st.canary != nil && st.percent > 0 && p.opts.Rand()*100 < st.percent {
		v = st.canary
	}
	ex.stage, ex.variant = st, v
	if st.tracer != nil {
		p.startSpan(ex, r, st, v)
	}
	rc.Stage, rc.StageKey, rc.API = st.name, st.key, st.api
	rc.Variant, rc.Variables, rc.StagePath, rc.Domain = v.name, v.variables, rest, domain
	for _, guard := range v.guards {
		if guard(&ex.rw, r) {
			return
		}
	}
	if v.ws != nil {
		p.serveUpgrade(ex, r, v)
		return
	}

	switch v.tree.Lookup(r.Method, rest, &rc.Params) {
	case router.NotFound:
		gatewayresponse.Write(&ex.rw, r, gatewayresponse.ResourceNotFound, v.responses, rc.ID)
		return
	case router.MethodNotAllowed:
		gatewayresponse.Write(&ex.rw, r, gatewayresponse.MissingAuthenticationToken, v.responses, rc.ID)
		return
	}
	rt := v.routes[rc.Params.Route]
	ex.route = rt
	rc.RouteName, rc.ResourcePath, rc.RouteMethods = rt.name, rt.path, rt.methods
	if rt.logs != nil {
		rc.DataTrace = rt.logs.byMethod[r.Method].DataTrace
		ex.rw.keepBody = rc.DataTrace
	}

	if r.ContentLength > integration.MaxBodyBytes {
		gatewayresponse.Write(&ex.rw, r, gatewayresponse.RequestTooLarge, v.responses, rc.ID)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		// A declared length is within the limit (above) and net/http holds the body to it.
		ex.body = clientBody{body: r.Body, left: integration.MaxBodyBytes, limit: integration.MaxBodyBytes, rc: rc, keep: rc.DataTrace}
		r.Body = &ex.body
	}
	rt.handler.ServeHTTP(&ex.rw, r)
}

// finish records the request in metrics and the access log.
func (p *Proxy) finish(ex *exchange, r *http.Request) {
	if ex.ws {
		// A WebSocket upgrade: its events are recorded one by one; the upgrade's own span
		// (a traced stage) ends here, 101 when the connection was taken over.
		if ex.span != nil {
			status := ex.rw.status
			if status == 0 {
				status = http.StatusSwitchingProtocols
			}
			endSpan(ex, r, status)
		}
		return
	}
	rc := ex.rc()
	status := ex.rw.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	if t, ok := ex.rw.w.(interface{ RequestTimedOut() bool }); ok && t.RequestTimedOut() {
		// The edge's body deadline passed: the client gets 408 in place of this answer.
		status = http.StatusRequestTimeout
		rc.Error = reqctx.Error{Type: "REQUEST_TIMEOUT", Message: "Request Timeout"}
	}
	latency := p.since(rc.Start)

	rm := p.noStage
	switch {
	case ex.route != nil:
		rm = ex.route.metrics
	case ex.variant != nil:
		rm = ex.variant.unmatched
	}
	var exemplar prometheus.Labels
	if ex.span != nil && ex.span.SpanContext().IsSampled() {
		exemplar = prometheus.Labels{exemplarLabel: hex.EncodeToString(ex.traceID[:])}
	}
	rm.observe(status, latency, rc.Integration.Called, rc.Integration.Latency, exemplar)
	if rc.Error.Type != "" {
		rm.gatewayResponse(rc.Error.Type)
	}
	if ex.span != nil {
		endSpan(ex, r, status)
	}
	if ex.route != nil && ex.route.logs != nil {
		p.writeExecLog(ex, r, status, latency)
	}

	if ex.stage == nil || ex.stage.log == nil {
		return
	}
	e := accesslog.Entry{
		RequestID:          rc.ID,
		SourceIP:           rc.SourceIP,
		UserAgent:          r.UserAgent(),
		HTTPMethod:         r.Method,
		ResourcePath:       rc.ResourcePath,
		Path:               rc.Path,
		Stage:              rc.Stage,
		APIID:              rc.API,
		DomainName:         rc.Host,
		Protocol:           r.Proto,
		Variant:            rc.Variant,
		Status:             status,
		ResponseLength:     ex.rw.written,
		ResponseLatency:    latency,
		IntegrationCalled:  rc.Integration.Called,
		IntegrationLatency: rc.Integration.Latency,
		IntegrationStatus:  rc.Integration.Status,
		IntegrationError:   rc.Integration.Error,
		ErrorMessage:       rc.Error.Message,
		ErrorType:          rc.Error.Type,
		ValidationError:    rc.Error.ValidationErrorString,
		APIKeyID:           rc.APIKeyID,
		RouteMethod:        rc.DeclaredMethod(r),
		PrincipalID:        rc.Authorizer.PrincipalID,
		Authorizer:         rc.Authorizer.LogValue,
		RequestTime:        rc.Start,
		TraceID:            ex.traceID,
		ClientCert:         rc.ClientCert,
	}
	p.log.Write(ex.stage.log, &e)
}
