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

package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// StatusClientClosedRequest is recorded (nginx's 499) when the client went away before the
// backend answered: not the backend's fault, so not a 5xx in metrics.
const StatusClientClosedRequest = 499

// httpIntegration is an HTTP_PROXY route, sharing the proxy's transport. The request is
// streamed both ways: by the lean path (forward.go), or by a reverse proxy built once per
// route for upgrades and requests with trailers.
type httpIntegration struct {
	shared    *Shared
	target    *target
	params    *mappings
	timeout   time.Duration
	responses *gatewayresponse.Set
	up        *upstream
	proxy     *httputil.ReverseProxy
}

func (s *Shared) newHTTP(spec Spec, t *target, params *mappings, timeout time.Duration) *httpIntegration {
	h := &httpIntegration{shared: s, target: t, params: params, timeout: timeout, responses: spec.Responses}
	h.up = s.upstream(spec, t)
	h.proxy = &httputil.ReverseProxy{
		Rewrite:        h.rewrite,
		Transport:      h.up,
		BufferPool:     s.bufferPool,
		ModifyResponse: modifyResponse,
		ErrorHandler:   h.fail,
		ErrorLog:       nil,
		// An answer goes to the client as it comes, as on the lean path: ReverseProxy would
		// hold one of known length in its buffer until the end (a slow backend's head, and
		// a backend that fails in the middle, the client would not see).
		FlushInterval: -1,
	}
	return h
}

func (h *httpIntegration) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := reqctx.From(r.Context())
	overrides, err := h.params.pathOverrides(r, rc)
	var u *url.URL
	var ep *Endpoint
	if err == nil {
		u, ep, err = h.target.resolve(r, rc, overrides, false)
	}
	if err != nil {
		rc.Integration.Error = err.Error()
		h.shared.Log.V(1).Info("integration target", "route", rc.RouteName, "error", err.Error())
		writeFailure(w, r, err, h.responses, rc.ID)
		return
	}
	rc.Target = u
	if ep != nil {
		rc.Integration.Endpoint = ep.Addr
	}
	h.forward(w, r, rc) // which hands upgrades and trailers to reverseProxy
}

// reverseProxy sends r through httputil.ReverseProxy: what the lean path leaves to it.
func (h *httpIntegration) reverseProxy(w http.ResponseWriter, r *http.Request, rc *reqctx.Request) {
	// Its goroutines around an upgraded connection, and net/http's transport writing a body
	// with trailers, may outlast this handler.
	rc.Retain()
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	kw := &keepGatewayHeaders{ResponseWriter: w, gateway: w.Header().Clone(), http10: r.ProtoMajor == 1 && r.ProtoMinor == 0}
	h.proxy.ServeHTTP(kw, r.WithContext(ctx))
}

// rewrite builds the upstream request on ReverseProxy's path; outgoingFields does the same on
// the lean path, and the two must agree. Forwarding headers from the client are kept only when
// the connection comes from a trusted proxy; otherwise X-Forwarded-For starts afresh with the
// connection's address, so that a client cannot choose the source address a backend sees,
// -Host, -Proto and -Port are the gateway's, and any other X-Forwarded-* is left out.
func (h *httpIntegration) rewrite(pr *httputil.ProxyRequest) {
	rc := reqctx.From(pr.In.Context())
	pr.Out.URL = rc.Target
	pr.Out.Host = ""
	// The request's trailers: those it declared that may stand in a trailer (not framing,
	// routing or authentication, RFC 9110 6.5.1, nor a forwarding header or the request id,
	// which are the gateway's), their values taken from the server's map when the body ends,
	// which is when the server fills it in (with every trailer that came, declared or not)
	// and the transport writes them.
	if len(pr.In.Trailer) > 0 {
		declared := make(http.Header, len(pr.In.Trailer))
		for k := range pr.In.Trailer {
			if forwardableTrailer(k) {
				declared[k] = nil
			}
		}
		pr.Out.Trailer = declared
		if pr.Out.Body != nil && pr.Out.Body != http.NoBody {
			pr.Out.Body = &trailerBody{ReadCloser: pr.Out.Body, in: pr.In.Trailer, out: declared}
		}
	}
	var proto, host, port []string
	if rc.PeerTrusted {
		pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
		proto, host, port = pr.In.Header["X-Forwarded-Proto"], pr.In.Header["X-Forwarded-Host"], pr.In.Header["X-Forwarded-Port"]
	} else {
		for k := range pr.Out.Header {
			if forwardingName(k) {
				delete(pr.Out.Header, k)
			}
		}
	}
	pr.SetXForwarded()
	if len(proto) > 0 {
		pr.Out.Header["X-Forwarded-Proto"] = proto
	}
	switch {
	case len(host) > 0:
		pr.Out.Header["X-Forwarded-Host"] = host
	case pr.In.Host == "":
		delete(pr.Out.Header, "X-Forwarded-Host")
	}
	if len(port) == 0 {
		port = []string{forwardedPort(pr.In)}
	}
	pr.Out.Header["X-Forwarded-Port"] = port
	pr.Out.Header.Set(gatewayresponse.HeaderRequestID, rc.ID)
	h.params.apply(pr.Out, pr.In, rc)
	rc.EndpointHeaders = pr.Out.Header
}

// keepGatewayHeaders puts the headers the gateway set before the integration (x-request-id,
// CORS) back on the final answer after an informational one: ReverseProxy clears the
// header map after writing a 1xx (whose headers WriteHeader does not clear), which dropped
// them. The lean path does the same in forwarding.Got1xxResponse. Only requests that need
// ReverseProxy (upgrades, trailers) pay for the copy.
//
// It also holds a 1xx to the rules of the final answer, which ReverseProxy copies as it came:
// without hop-by-hop fields and those its Connection names, the gateway's request id rather
// than the backend's, and none to an HTTP/1.0 client (RFC 9110 15.2). And an answer without
// a Content-Type passes without one, as on the lean path, where the server would sniff one.
type keepGatewayHeaders struct {
	http.ResponseWriter
	gateway  http.Header // the headers before ReverseProxy ran
	http10   bool        // the client's request is HTTP/1.0
	after1xx bool
}

func (k *keepGatewayHeaders) WriteHeader(code int) {
	switch {
	case code >= 100 && code < 200 && code != http.StatusSwitchingProtocols:
		k.after1xx = true
		if k.http10 {
			return // ReverseProxy clears the header after it
		}
		h := k.Header()
		var buf [4]string
		named := connectionNamed(h["Connection"], buf[:0])
		for name := range h {
			if leftOut(name, named) {
				delete(h, name)
			}
		}
		if id := k.gateway[requestIDKey]; id != nil {
			h[requestIDKey] = id
		}
	case k.after1xx:
		// As ReverseProxy's copyHeader adds to them: the gateway's values, then the backend's.
		h := k.Header()
		for name, vs := range k.gateway {
			h[name] = append(vs[:len(vs):len(vs)], h[name]...)
		}
		k.after1xx = false
	}
	if code >= 200 {
		if h := k.Header(); h["Content-Type"] == nil {
			h["Content-Type"] = nil // none, rather than one the server sniffs from the body
		}
	}
	k.ResponseWriter.WriteHeader(code)
}

// forwardableTrailer reports whether a request's trailer k may go to the backend: not a field
// a trailer may not carry (httpguts.ValidTrailerHeader: framing, routing, authentication,
// hop-by-hop), nor one the gateway sets itself (forwarding headers, the request id).
func forwardableTrailer(k string) bool {
	return httpguts.ValidTrailerHeader(k) && !forwardingName(k) && k != "Forwarded" && k != requestIDKey && !isHopByHop(k)
}

// trailerBody copies the declared trailers' values (out's names) from the server's map (in)
// when the body ends, before the transport writes them.
type trailerBody struct {
	io.ReadCloser
	in, out http.Header
}

func (b *trailerBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		for k := range b.out {
			b.out[k] = b.in[k]
		}
	}
	return n, err
}

// Unwrap lets ReverseProxy's ResponseController reach Flush and Hijack.
func (k *keepGatewayHeaders) Unwrap() http.ResponseWriter { return k.ResponseWriter }

// modifyResponse drops the backend's request id: the client gets the gateway's. A status below
// 100 ("099", "+20", which net/http's reader takes) fails, as on the lean path: no server may
// send it on.
func modifyResponse(res *http.Response) error {
	res.Header.Del(gatewayresponse.HeaderRequestID)
	if res.StatusCode < 100 {
		return fmt.Errorf("malformed HTTP status code %d", res.StatusCode)
	}
	return nil
}

// fail answers a request the backend did not answer.
func (h *httpIntegration) fail(w http.ResponseWriter, r *http.Request, err error) {
	rc := reqctx.From(r.Context())
	rc.Integration.Error = err.Error()
	var tooLarge *http.MaxBytesError
	switch {
	case rc.BodyTooLarge() || errors.As(err, &tooLarge):
		gatewayresponse.Write(w, r, gatewayresponse.RequestTooLarge, h.responses, rc.ID)
	case rc.BodyBroken():
		// Before the client-gone case: a client that stopped sending its body (a half
		// close) ends the connection's context too, yet may still read the answer.
		badClientBody(w, r, h.responses, rc)
	case errors.Is(r.Context().Err(), context.DeadlineExceeded) || isConnectTimeout(err):
		// A dial that timed out (a backend dropping SYNs) is the endpoint request timing
		// out too, whichever timeout came first: the dialer's or the route's.
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationTimeout, h.responses, rc.ID)
	case r.Context().Err() != nil:
		// The client is gone; nobody reads this answer, the access log and metrics do.
		w.WriteHeader(StatusClientClosedRequest)
	default:
		h.shared.Log.V(1).Info("integration failed", "route", rc.RouteName, "target", r.URL.Host, "error", err.Error())
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, h.responses, rc.ID)
	}
}

// upstream is a route's transport: it times the backend, and for a cluster takes an endpoint
// whose connection failed out of rotation. A request without a body whose connection failed
// is sent once more to another endpoint, as nothing of it reached the first.
type upstream struct {
	shared    *Shared
	transport http.RoundTripper // shared's, traced or not
	clusters  *Clusters
	cluster   string
}

// upstream returns the transport of spec's integration to t.
func (s *Shared) upstream(spec Spec, t *target) *upstream {
	u := &upstream{shared: s, transport: s.Transport, clusters: t.clusters, cluster: t.cluster}
	if spec.Traced {
		u.transport = s.TracedTransport
	}
	return u
}

func (u *upstream) RoundTrip(req *http.Request) (*http.Response, error) {
	rc := reqctx.From(req.Context())
	start := u.shared.start(req)
	res, err := u.transport.RoundTrip(req)
	if err != nil && isConnectError(err) && req.Context().Err() == nil && u.cluster != "" {
		if d, ok := req.Context().(*deadlineCtx); ok {
			d.hints.Start = time.Time{} // the dial may have taken long: the retry reads the clock
		}
		if cl := u.clusters.Get(u.cluster); cl != nil {
			if ep := cl.Lookup(req.URL.Host); ep != nil {
				cl.Eject(ep)
				u.shared.Log.V(1).Info("endpoint ejected", "cluster", u.cluster, "endpoint", ep.Addr, "error", err.Error())
				if req.Body == nil || req.Body == http.NoBody {
					if other := cl.PickOther(ep); other != nil {
						retry := *req
						target := *req.URL
						target.Host = other.Addr
						retry.URL = &target
						if rc != nil {
							rc.Integration.Endpoint = other.Addr
						}
						res, err = u.transport.RoundTrip(&retry)
						if err != nil && isConnectError(err) {
							cl.Eject(other)
						}
					}
				}
			}
		}
	}
	if rc != nil {
		rc.Integration.Called = true
		rc.Integration.Start, rc.Integration.Latency = start, u.shared.latency(start, res)
		if res != nil {
			rc.Integration.Status = res.StatusCode
		}
	}
	return res, err
}

// isConnectTimeout reports whether err is a connection attempt that timed out.
func isConnectTimeout(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && op.Timeout()
}

// isConnectError reports whether err means no connection was made.
func isConnectError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
