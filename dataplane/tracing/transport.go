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

package tracing

import (
	"net/http"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// Transport wraps next so that a request made for a traced request (an integration call, a
// function authorizer's) is a client span named name, child of the request's span, and
// carries its traceparent. For a request not sampled the traceparent is still sent, with
// the sampled flag off, so that the backend's own decision follows the gateway's. For an
// untraced request it is next.RoundTrip and nothing else.
func Transport(next http.RoundTripper, name string) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{next: next, name: name}
}

type transport struct {
	next http.RoundTripper
	name string
}

// EnforcesDeadline is next's (see upstream.Transport.EnforcesDeadline): the span's context
// takes its deadline from the request's.
func (t *transport) EnforcesDeadline(req *http.Request) bool {
	e, ok := t.next.(interface{ EnforcesDeadline(*http.Request) bool })
	return ok && e.EnforcesDeadline(req)
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return t.next.RoundTrip(req)
	}
	var span trace.Span
	if parent.IsRecording() {
		ctx, span = parent.TracerProvider().Tracer(ScopeName).Start(ctx, t.name,
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(
				semconv.HTTPRequestMethodKey.String(req.Method),
				semconv.ServerAddress(req.URL.Hostname()),
				semconv.URLFull(redactedURL(req)),
			))
		defer span.End()
	}
	// A RoundTripper must not change the request it was given.
	out := req.Clone(ctx)
	Propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
	out.Header.Set(HeaderXRay, XRayHeader(trace.SpanContextFromContext(ctx)))
	res, err := t.next.RoundTrip(out)
	if span != nil {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		} else {
			span.SetAttributes(semconv.HTTPResponseStatusCode(res.StatusCode))
			if res.StatusCode >= 500 {
				span.SetStatus(codes.Error, "")
			}
		}
	}
	return res, err
}

// redactedURL is the URL without its query string or user information, which can carry
// credentials (API keys mapped into the query, for one).
func redactedURL(req *http.Request) string {
	u := *req.URL
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.String()
}
