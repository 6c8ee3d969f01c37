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
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/accesslog"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// WebSocket serves the connections of WEBSOCKET stages (see package dataplane/websocket).
// The proxy builds each WEBSOCKET route as it builds an HTTP route, its steps (authorizers,
// API key, throttles) in front, but ends it with the integration WebSocket builds; it hands
// WebSocket the upgrade requests to a WEBSOCKET stage's root, after the stage's guards. Each
// event of a connection (CONNECT, MESSAGE, DISCONNECT) then runs through ServeEvent against
// the stage as currently applied, so a configuration change never touches a connection.
type WebSocket interface {
	// Integration builds the handler that ends a WEBSOCKET route's steps. It reads the event
	// with EventFrom(r.Context()) and answers like an HTTP integration: a status and a body.
	Integration(rt *Route) (http.Handler, error)
	// Upgrade serves a request to a WEBSOCKET stage's root (/{stageName}).
	Upgrade(w http.ResponseWriter, r *http.Request, st *WSStage)
}

// Event types, as Amazon API Gateway names them.
const (
	EventConnect    = "CONNECT"
	EventMessage    = "MESSAGE"
	EventDisconnect = "DISCONNECT"
)

// Route keys with a meaning of their own.
const (
	RouteConnect    = "$connect"
	RouteDisconnect = "$disconnect"
	RouteDefault    = "$default"
)

// Event is one event of a WebSocket connection, as the integration sees it.
type Event struct {
	// Type is EventConnect, EventMessage or EventDisconnect.
	Type string
	// RouteKey and RequestID are set by ServeEvent: the route chosen and the event's id.
	RouteKey, RequestID string

	ConnectionID string
	ConnectedAt  time.Time
	// SourceIP, UserAgent and Host are the upgrade request's.
	SourceIP, UserAgent, Host string
	// APIKeyID and Authorizer are what $connect established; later events carry them.
	APIKeyID   string
	Authorizer reqctx.Authorizer
	// SelectedAPIKey is the key of a CONNECT where apiKeySelectionExpression found it, when
	// KeySelected (reqctx.Request's fields of the same names).
	SelectedAPIKey string
	KeySelected    bool
	// APIKey is the key value $connect accepted (APIKeyID's), for events' identity.apiKey.
	APIKey string
	// ClientCert is the upgrade's mutual TLS client certificate; nil without one.
	ClientCert *reqctx.ClientCert

	// MessageID, Body and Binary describe a MESSAGE.
	MessageID string
	Body      []byte
	Binary    bool
	// DisconnectStatusCode and DisconnectReason describe a DISCONNECT.
	DisconnectStatusCode int
	DisconnectReason     string
}

type eventKey struct{}

// EventFrom returns the WebSocket event a request carries, or nil.
func EventFrom(ctx context.Context) *Event {
	ev, _ := ctx.Value(eventKey{}).(*Event)
	return ev
}

// WSStage is a WEBSOCKET stage variant as one configuration serves it. It is immutable: a
// connection loads the current one once per event.
type WSStage struct {
	// Stage and API are the snapshot the variant was built from.
	Stage *xdsv1alpha1.StageSnapshot
	API   *xdsv1alpha1.Api
	// Variant is VariantStable or VariantCanary.
	Variant string

	st     *stage
	v      *variant
	routes map[string]*wsRoute
	// url is the stage root, the URL of events' own requests.
	url *url.URL
}

type wsRoute struct {
	*route
	twoWay bool
	// implicit is the $connect of an API without one: its steps (the stage's throttle)
	// and nothing else, so that a connection counts as AWS counts it, route or not.
	implicit bool
}

// Has reports whether the stage has a route for key ($connect always: an API without one
// has one of the stage's steps alone).
func (s *WSStage) Has(key string) bool { return s.routes[key] != nil }

// Logged reports whether the stage writes access log lines, which a CONNECT or DISCONNECT
// without its route still gets from ServeEvent.
func (s *WSStage) Logged() bool { return s.st != nil && s.st.log != nil }

// EventResult is what a route answered to an event.
type EventResult struct {
	// Routed is false when no route took the event (for a MESSAGE: neither its key nor
	// $default).
	Routed bool
	// TwoWay says Body goes back to the client.
	TwoWay bool
	Status int
	Header http.Header
	Body   []byte
	// RequestID is the event's id.
	RequestID string
	// Authorizer and APIKeyID are what the steps established ($connect).
	Authorizer reqctx.Authorizer
	APIKeyID   string
	// APIKey is the key value APIKeyID names.
	APIKey string
}

// maxEventResponse bounds what an integration answer may hold in memory: AWS's own limit on
// a message sent back is 128 KB; anything past a megabyte is cut.
const maxEventResponse = 1 << 20

// WebSocketStage returns the WEBSOCKET variant serving stageKey now, or nil when the stage
// is gone or no longer a WEBSOCKET stage. One atomic load.
func (p *Proxy) WebSocketStage(stageKey, variant string) *WSStage {
	g := p.graph.Load()
	if g == nil {
		return nil
	}
	b := g.stages[stageKey]
	if b == nil || b.st == nil {
		return nil
	}
	v := b.st.stable
	if variant == VariantCanary && b.st.canary != nil {
		v = b.st.canary
	}
	return v.ws
}

// WebSocketStagesNamed returns the WEBSOCKET stages served under stageName, on any host
// (stable variants: their management keys are the stage's).
func (p *Proxy) WebSocketStagesNamed(stageName string) []*WSStage {
	g := p.graph.Load()
	if g == nil {
		return nil
	}
	var out []*WSStage
	for _, b := range g.stages {
		if b.st != nil && b.st.name == stageName && b.st.stable.ws != nil {
			out = append(out, b.st.stable.ws)
		}
	}
	return out
}

// ServeEvent runs ev through the route of ws with routeKey (for a MESSAGE, else $default):
// its steps and integration, then metrics and an access log line. An event no route takes
// is answered 403 (Routed false) and is logged and counted all the same. r is the upgrade
// request for a CONNECT; other events get a request of their own, carrying no client header.
//
// A message cannot select $connect or $disconnect, whatever its selection expression finds
// in it: those routes run for the connection's opening and end only, as AWS's do, and a
// client naming one ("action": "$disconnect") gets $default, or the refusal.
func (p *Proxy) ServeEvent(ctx context.Context, ws *WSStage, routeKey string, ev *Event, r *http.Request) EventResult {
	rt := ws.routes[routeKey]
	if ev.Type == EventMessage && (routeKey == RouteConnect || routeKey == RouteDisconnect) {
		rt = nil
	}
	if rt == nil && ev.Type == EventMessage {
		if d := ws.routes[RouteDefault]; d != nil {
			routeKey, rt = RouteDefault, d
		}
	}
	ex := &exchange{}
	rc := ex.rc()
	rc.Start = p.opts.Now()
	cw := &captureWriter{header: http.Header{}}
	ex.setRequestID(cw)
	ex.rw.w = cw
	ex.stage, ex.variant = ws.st, ws.v
	rc.SourceIP, rc.Host = ev.SourceIP, ev.Host
	rc.Path = "/" + ws.st.name
	rc.Stage, rc.StageKey, rc.API = ws.st.name, ws.st.key, ws.st.api
	rc.Variant, rc.Variables = ws.v.name, ws.v.variables
	rc.ClientCert = ev.ClientCert
	if ev.Type != EventConnect {
		rc.Authorizer, rc.APIKeyID, rc.APIKey = ev.Authorizer, ev.APIKeyID, ev.APIKey
	} else {
		rc.SelectedAPIKey, rc.KeySelected = ev.SelectedAPIKey, ev.KeySelected
	}
	ev.RouteKey, ev.RequestID = routeKey, rc.ID
	metrics := ws.v.unmatched
	if rt != nil {
		ex.route, rc.RouteName = rt.route, rt.name
		if !rt.implicit {
			metrics = rt.metrics
		}
		ex.ctx.Context = context.WithValue(ctx, eventKey{}, ev)
		if r == nil {
			r = &http.Request{Method: http.MethodPost, Header: http.Header{}, Body: http.NoBody, Host: ev.Host, RemoteAddr: ev.SourceIP}
			r.URL = ws.url
		}
		r = r.WithContext(&ex.ctx)
		rt.handler.ServeHTTP(&ex.rw, r)
	} else if ev.Type == EventMessage {
		// No route took the event: Amazon API Gateway's Forbidden, which the caller sends
		// on the connection. It is still an event of the stage: logged, and counted under
		// the route "none" as unmatched HTTP requests are.
		ex.rw.status = http.StatusForbidden
		rc.Error.Message = "Forbidden"
	}
	// else: a CONNECT or DISCONNECT of an API without that route, accepted (or noted) as AWS
	// does: the access log still has its line, and no route's metrics count it.

	status := ex.rw.status
	if status == 0 {
		status = http.StatusOK
	}
	latency := p.since(rc.Start)
	if rt != nil && !rt.implicit || ev.Type == EventMessage {
		metrics.observe(status, latency, rc.Integration.Called, rc.Integration.Latency, nil)
	}
	if ws.st.log != nil {
		e := accesslog.Entry{
			RequestID: rc.ID, SourceIP: rc.SourceIP, UserAgent: ev.UserAgent, Path: rc.Path,
			Stage: rc.Stage, APIID: rc.API, DomainName: rc.Host, Protocol: "WEBSOCKET", Variant: rc.Variant,
			Status: status, ResponseLength: ex.rw.written, ResponseLatency: latency,
			IntegrationCalled: rc.Integration.Called, IntegrationLatency: rc.Integration.Latency,
			IntegrationStatus: rc.Integration.Status, IntegrationError: rc.Integration.Error,
			ErrorMessage: rc.Error.Message, ErrorType: rc.Error.Type, APIKeyID: rc.APIKeyID,
			PrincipalID: rc.Authorizer.PrincipalID, Authorizer: rc.Authorizer.LogValue, RequestTime: rc.Start,
			ConnectionID: ev.ConnectionID, EventType: ev.Type, MessageID: ev.MessageID, RouteKey: routeKey,
		}
		p.log.Write(ws.st.log, &e)
	}
	if rt == nil || rt.implicit {
		return EventResult{Status: status, RequestID: rc.ID, Header: cw.header, Body: cw.body.Bytes()}
	}
	return EventResult{
		Routed: true, TwoWay: rt.twoWay, Status: status, Header: cw.header, Body: cw.body.Bytes(),
		RequestID: rc.ID, Authorizer: rc.Authorizer, APIKeyID: rc.APIKeyID, APIKey: rc.APIKey,
	}
}

// buildWebSocket builds the WEBSOCKET routes of a variant through the same steps as HTTP
// routes, ended by the WebSocket's integrations.
func (p *Proxy) buildWebSocket(b *built, scope *Scope, s *xdsv1alpha1.StageSnapshot, st *stage, api *xdsv1alpha1.Api, v *variant, authorizers map[string]bool) error {
	ws := &WSStage{Stage: s, API: api, Variant: v.name, st: st, v: v, routes: map[string]*wsRoute{}}
	ws.url = &url.URL{Path: "/" + st.name}
	for _, r := range api.GetRoutes() {
		key := r.GetRouteKey()
		if r.GetName() == "" || key == "" || ws.routes[key] != nil {
			return fmt.Errorf("route %q: route key %q is empty or not unique", r.GetName(), key)
		}
		if a := r.GetAuthorization().GetAuthorizer(); a != "" && !authorizers[a] {
			return fmt.Errorf("route %s: authorizer %q is not one of the API's", r.GetName(), a)
		}
		info := &Route{Stage: s, API: api, Route: r, Variant: v.name, Variables: v.variables, Responses: v.responses, Clusters: p.clusters, Scope: scope}
		h, err := p.opts.WebSocket.Integration(info)
		if err != nil {
			return fmt.Errorf("route %s: %w", r.GetName(), err)
		}
		if h, err = p.chain(info, h); err != nil {
			return fmt.Errorf("route %s: %w", r.GetName(), err)
		}
		rt := &route{name: r.GetName(), handler: h}
		rt.metrics = p.metrics.route(seriesKey{st.api, st.name, r.GetName(), v.name})
		b.series = append(b.series, rt.metrics.key)
		ws.routes[key] = &wsRoute{route: rt, twoWay: r.GetRouteResponseSelectionExpression() != ""}
	}
	if ws.routes[RouteConnect] == nil {
		// Connections count against the stage's throttle without a $connect route too.
		info := &Route{Stage: s, API: api, Route: &xdsv1alpha1.Route{RouteKey: RouteConnect}, Variant: v.name,
			Variables: v.variables, Responses: v.responses, Clusters: p.clusters, Scope: scope}
		h, err := p.chain(info, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		if err != nil {
			return fmt.Errorf("$connect: %w", err)
		}
		ws.routes[RouteConnect] = &wsRoute{route: &route{handler: h}, implicit: true}
	}
	v.ws = ws
	return nil
}

// serveUpgrade hands a request to a WEBSOCKET stage's root to the WebSocket; anything under
// the root is not found. The events the WebSocket runs are counted and logged, not the
// upgrade request itself.
func (p *Proxy) serveUpgrade(ex *exchange, r *http.Request, v *variant) {
	rc := ex.rc()
	if rc.StagePath != "" && rc.StagePath != "/" {
		gatewayresponse.Write(&ex.rw, r, gatewayresponse.ResourceNotFound, v.responses, rc.ID)
		return
	}
	ex.ws = true
	p.opts.WebSocket.Upgrade(&ex.rw, r, v.ws)
}

// captureWriter keeps an event's answer: the steps' refusals and the integration's response.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if room := maxEventResponse - c.body.Len(); room < len(b) {
		c.body.Write(b[:max(room, 0)])
		return len(b), nil
	}
	return c.body.Write(b)
}
