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
	"context"
	"encoding/binary"
	"math/rand/v2"

	"go.opentelemetry.io/otel/trace"
)

type traceIDKey struct{}

// WithTraceID makes the span started with ctx as a root span one of the trace id: a trace a
// client named without a span to continue from (XRayRoot). OpenTelemetry's span contexts
// need a parent span for a trace id; this is the ID generator's way, as X-Ray's own
// generator for the first segment of a trace the balancer started.
func WithTraceID(ctx context.Context, id trace.TraceID) context.Context {
	return context.WithValue(ctx, traceIDKey{}, id)
}

// idGenerator is the SDK's random IDs, with the trace id WithTraceID gives a root span.
// math/rand/v2's generator is ChaCha8 seeded by the runtime, safe for concurrent use.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	id, ok := ctx.Value(traceIDKey{}).(trace.TraceID)
	if !ok || !id.IsValid() {
		for !id.IsValid() {
			binary.NativeEndian.PutUint64(id[:8], rand.Uint64())
			binary.NativeEndian.PutUint64(id[8:], rand.Uint64())
		}
	}
	return id, idGenerator{}.NewSpanID(ctx, id)
}

func (idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	var s trace.SpanID
	for !s.IsValid() {
		binary.NativeEndian.PutUint64(s[:], rand.Uint64())
	}
	return s
}
