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
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/tracing"
)

// stageTracer returns the tracer of a stage that asks for tracing, or nil: the stage is not
// traced, or the proxy exports no traces.
func (p *Proxy) stageTracer(s *xdsv1alpha1.StageSnapshot) trace.Tracer {
	if !p.traces(s) {
		return nil
	}
	ratio := 1.0
	if s.TracingSamplingRatio != nil {
		ratio = s.GetTracingSamplingRatio()
	}
	return p.opts.Tracing.Tracer(ratio)
}

// traces reports whether the stage's requests are traced: it asks for tracing, and the
// proxy exports traces.
func (p *Proxy) traces(s *xdsv1alpha1.StageSnapshot) bool {
	return s.GetTracing() && p.opts.Tracing != nil
}

// startSpan starts the server span of a request to a traced stage, the child of the
// client's traceparent when it sent one, and makes it the request's context for the steps
// and the integration.
func (p *Proxy) startSpan(ex *exchange, r *http.Request, st *stage, v *variant) {
	rc := ex.rc()
	parent := tracing.Propagator.Extract(ex.ctx.Context, propagation.HeaderCarrier(r.Header))
	if !trace.SpanContextFromContext(parent).IsValid() {
		// A client traced with X-Ray (an AWS SDK, another API Gateway) continues its trace,
		// as AWS adds its header only to requests without one.
		// A balancer's Root alone starts the request's span as the first of that trace.
		xray := r.Header.Get(tracing.HeaderXRay)
		if sc, ok := tracing.XRayParent(xray); ok {
			parent = trace.ContextWithRemoteSpanContext(parent, sc)
		} else if id, ok := tracing.XRayRoot(xray); ok {
			parent = tracing.WithTraceID(parent, id)
		}
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(r.Method),
		semconv.URLPath(rc.Path),
		semconv.URLScheme(scheme(r)),
		semconv.ServerAddress(rc.Host),
		semconv.ClientAddress(rc.SourceIP),
		semconv.UserAgentOriginal(r.UserAgent()),
		attribute.String("portico.api", st.api),
		attribute.String("portico.stage", st.name),
		attribute.String("portico.variant", v.name),
		attribute.Int64("portico.revision", v.revision),
		attribute.String("portico.request_id", rc.ID),
	}
	ctx, span := st.tracer.Start(parent, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	ex.ctx.Context = ctx
	ex.span = span
	sc := span.SpanContext()
	ex.traceID = sc.TraceID()
	// The client's X-Amzn-Trace-Id, traceparent and tracestate were read (the parent above)
	// and go no further as they came: the request's own (a Lambda event's headers, an
	// HTTP_PROXY backend's) name the gateway's span, and every call the gateway makes for
	// the request carries its own (tracing.Transport); a backend given two traceparents
	// would read none (W3C Trace Context).
	r.Header.Set(tracing.HeaderXRay, tracing.XRayHeader(sc))
	delete(r.Header, "Traceparent")
	delete(r.Header, "Tracestate")
}

// endSpan completes a request's server span with what it matched and answered.
func endSpan(ex *exchange, r *http.Request, status int) {
	span := ex.span
	if ex.route != nil {
		span.SetName(r.Method + " " + ex.route.path)
		span.SetAttributes(semconv.HTTPRoute(ex.route.path), attribute.String("portico.route", ex.route.name))
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if status >= 500 {
		span.SetStatus(codes.Error, ex.rc().Error.Message)
	}
	if t := ex.rc().Error.Type; t != "" {
		span.SetAttributes(attribute.String("portico.error.type", t))
	}
	span.End()
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// transport is the upstream transport: t, or a new tuned one.
func transport(t http.RoundTripper) http.RoundTripper {
	if t == nil {
		return integration.NewUpstream()
	}
	return t
}
