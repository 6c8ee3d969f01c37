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
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// HeaderXRay is the header AWS adds to the requests it traces with X-Ray, and which Lambda
// functions and AWS SDKs read. (OpenTelemetry's X-Ray propagator module is deprecated; the
// header is three fields.)
const HeaderXRay = "X-Amzn-Trace-Id"

// XRayHeader writes a span context as X-Ray's trace header:
// Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled={0|1}.
func XRayHeader(sc trace.SpanContext) string {
	id := sc.TraceID()
	span := sc.SpanID()
	b := make([]byte, 0, 80)
	b = append(b, "Root=1-"...)
	b = hex.AppendEncode(b, id[:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[4:])
	b = append(b, ";Parent="...)
	b = hex.AppendEncode(b, span[:])
	if sc.IsSampled() {
		b = append(b, ";Sampled=1"...)
	} else {
		b = append(b, ";Sampled=0"...)
	}
	return string(b)
}

// XRayParent reads a client's X-Amzn-Trace-Id as the remote parent of the request's span:
// its Root (the trace), its Parent (the caller's segment) and Sampled=1. A header without a
// Parent (a load balancer's, Root only) names no span to continue from, and is not one: see
// XRayRoot.
func XRayParent(v string) (trace.SpanContext, bool) {
	root, parent, sampled := xrayFields(v)
	var cfg trace.SpanContextConfig
	var ok bool
	if cfg.TraceID, ok = xrayTraceID(root); !ok || len(parent) != 16 {
		return trace.SpanContext{}, false
	}
	if _, err := hex.Decode(cfg.SpanID[:], []byte(parent)); err != nil {
		return trace.SpanContext{}, false
	}
	if sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	cfg.Remote = true
	sc := trace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}

// XRayRoot reads the trace of a client's X-Amzn-Trace-Id that names no Parent: an
// Application Load Balancer's, which starts a trace (Root=...) for the request it forwards.
// The request's span is then the first span of that trace (WithTraceID), as X-Ray's first
// segment of it is, rather than of a trace of its own that the balancer's logs cannot be
// joined to.
func XRayRoot(v string) (trace.TraceID, bool) {
	root, _, _ := xrayFields(v)
	return xrayTraceID(root)
}

func xrayFields(v string) (root, parent string, sampled bool) {
	for field := range strings.SplitSeq(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Root":
			root = val
		case "Parent":
			parent = val
		case "Sampled":
			sampled = val == "1"
		}
	}
	return root, parent, sampled
}

// xrayTraceID reads a Root: 1-{8 hex: epoch seconds}-{24 hex}.
func xrayTraceID(root string) (trace.TraceID, bool) {
	var id trace.TraceID
	if len(root) != 35 || !strings.HasPrefix(root, "1-") || root[10] != '-' {
		return id, false
	}
	if _, err := hex.Decode(id[:4], []byte(root[2:10])); err != nil {
		return id, false
	}
	if _, err := hex.Decode(id[4:], []byte(root[11:])); err != nil {
		return id, false
	}
	return id, id.IsValid()
}
