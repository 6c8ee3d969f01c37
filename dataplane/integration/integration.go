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

// Package integration sends a matched request where its route says: a MOCK answer (whose
// body and headers are mapping templates), an HTTP backend (HTTP_PROXY streamed both ways;
// HTTP sending only what its request templates and parameters map, its answer mapped by
// integration responses), by uri template or through a cluster's endpoints, or a
// Lambda-style function (LAMBDA_PROXY). A route's integration is compiled into an
// http.Handler once per configuration; per request it reads the route's match from the
// request's reqctx and records what the backend did there.
//
// Every way a backend cannot be reached (no endpoints, connection refused, a uri that does
// not resolve, a function that fails) answers 502 INTEGRATION_FAILURE, as API.md's table
// says; a route's timeout answers 504 INTEGRATION_TIMEOUT. A value that would climb out of
// the backend path (internal/mapping's path guard, whatever its source) answers 400
// BAD_REQUEST_PARAMETERS and the backend never sees the request.
package integration

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"

	"github.com/go-logr/logr"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	leanhttp "github.com/portico-dev/portico/dataplane/upstream"
	"github.com/portico-dev/portico/internal/clock"
)

// MaxBodyBytes is the largest request body an integration accepts: 10 MB, as in Amazon API
// Gateway.
const MaxBodyBytes = 10 << 20

// DefaultTimeout is the timeout of an integration that names none.
const DefaultTimeout = 29 * time.Second

// Types of integration.
const (
	TypeHTTPProxy   = "HTTP_PROXY"
	TypeHTTP        = "HTTP"
	TypeMock        = "MOCK"
	TypeLambdaProxy = "LAMBDA_PROXY"
)

// Shared is what every integration of a proxy shares across configurations: the upstream
// connection pools above all, which must survive a reload.
type Shared struct {
	// Transport carries every upstream request; NewTransport makes a tuned one.
	Transport http.RoundTripper
	// TracedTransport carries the upstream requests of traced stages' integrations
	// (Spec.Traced), wrapping Transport. Default Transport. Other integrations do without
	// its look for a span in every request's context.
	TracedTransport http.RoundTripper
	// Now is the clock for latencies and endpoint ejection. Default clock.Now.
	Now func() time.Time
	// Log receives integration errors at V(1).
	Log logr.Logger

	bufferPool httputil.BufferPool
	// since is the time elapsed from a time of Now: with the real clock, read from the
	// monotonic clock alone (time.Since), without the addition clock.Now makes.
	since func(time.Time) time.Duration
	// realClock: Now is clock.Now, so a reading of it taken for the request's deadline
	// serves as its start (start).
	realClock bool
}

// NewShared returns a Shared with defaults for the fields left zero.
func NewShared(s Shared) *Shared {
	if s.Transport == nil {
		s.Transport = NewUpstream()
	}
	if s.TracedTransport == nil {
		s.TracedTransport = s.Transport
	}
	if s.Now == nil {
		s.Now, s.since, s.realClock = clock.Now, time.Since, true
	} else {
		now := s.Now
		s.since = func(t time.Time) time.Duration { return now().Sub(t) }
	}
	s.bufferPool = bufferPool{}
	return &s
}

// start is when the call of req begins: the clock.Now its deadline was counted from
// (deadlineCtx), read moments before, when Now is that clock; else Now.
// latency is a call's latency from start, answered res (nil on failure): up to when the lean
// transport read res's head when it says, rather than a reading of the clock a moment later.
func (s *Shared) latency(start time.Time, res *http.Response) time.Duration {
	if s.realClock && res != nil {
		if at, ok := leanhttp.ReadAt(res); ok {
			return at.Sub(start)
		}
	}
	return s.since(start)
}

func (s *Shared) start(req *http.Request) time.Time {
	if s.realClock {
		if d, ok := req.Context().(*deadlineCtx); ok && !d.hints.Start.IsZero() {
			return d.hints.Start
		}
	}
	return s.Now()
}

// NewUpstream returns the proxy's upstream transport: package upstream's lean HTTP/1.1 client
// for plain-HTTP backends, over NewTransport for everything else (TLS, HTTP/2, upgrades,
// 100-continue, streamed uploads).
func NewUpstream() http.RoundTripper {
	return leanhttp.New(leanhttp.Options{Fallback: NewTransport(), MaxResponseHeaderBytes: 1 << 20})
}

// NewTransport returns net/http's upstream transport: many idle connections per host (a gateway
// talks to few hosts, a lot), bounded connect and TLS handshake times, and no transparent
// compression, so that a backend's encoding reaches the client as sent. Request timeouts
// are per route, by context.
func NewTransport() *http.Transport {
	return &http.Transport{
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           4096,
		MaxIdleConnsPerHost:    256,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 1 << 20,
		DisableCompression:     true,
	}
}

type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *buffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }

// Spec is one route's integration in one variant of a stage.
type Spec struct {
	Integration *xdsv1alpha1.Integration
	// Params maps the route's path parameter names to whether each is greedy.
	Params map[string]bool
	// Variables are the variant's stage variables.
	Variables map[string]string
	// Clusters resolve a backend's endpoints.
	Clusters *Clusters
	// Traced: the stage traces its requests, and the integration calls its backend through
	// Shared.TracedTransport.
	Traced bool
	// Responses are the API's gateway responses.
	Responses *gatewayresponse.Set
	// BinaryMediaTypes are the API's, for the Lambda event's isBase64Encoded and the
	// contentHandling of non-proxy HTTP integrations.
	BinaryMediaTypes []string
}

// Build compiles an integration. It fails on what a valid compile never produces (an
// unknown type, a malformed uri template or parameter mapping, a MOCK without its answer);
// problems with stage variable values only fail the route's requests, with a 502 and
// the reason in the returned warning, so that one stage's variables cannot block every
// other stage's configuration.
func (s *Shared) Build(spec Spec) (h http.Handler, warning error, err error) {
	in := spec.Integration
	if in == nil {
		return nil, nil, fmt.Errorf("no integration")
	}
	if in.GetTimeoutMillis() < 0 {
		return nil, nil, fmt.Errorf("timeoutMillis %d is negative", in.GetTimeoutMillis())
	}
	switch in.GetType() {
	case TypeMock:
		if len(in.GetRequestTemplates()) > 0 || len(in.GetResponses()) > 0 || in.GetPassthroughBehavior() != "" {
			h, err := s.newMappedMock(in, spec)
			return h, nil, err
		}
		h, err := newMock(in.GetMock(), s, spec)
		return h, nil, err
	case TypeHTTPProxy, TypeHTTP, TypeLambdaProxy:
	default:
		return nil, nil, fmt.Errorf("unknown integration type %q", in.GetType())
	}
	t, err := newTarget(in, spec)
	if err != nil {
		return nil, nil, err
	}
	params, err := compileMappings(in.GetRequestParameters(), spec.Variables, spec.Params)
	if err != nil {
		return nil, nil, err
	}
	timeout := DefaultTimeout
	if in.GetTimeoutMillis() > 0 {
		timeout = time.Duration(in.GetTimeoutMillis()) * time.Millisecond
	}
	if in.GetType() == TypeLambdaProxy {
		h, err := s.newLambda(in, spec, t, params, timeout)
		return h, t.bindErr, err
	}
	if in.GetType() == TypeHTTP {
		// Non-proxy: only what is mapped reaches the backend, and its answer goes through
		// the integration responses.
		h, err := s.newMappedHTTP(in, spec, t, params, timeout)
		return h, t.bindErr, err
	}
	return s.newHTTP(spec, t, params, timeout), t.bindErr, nil
}
