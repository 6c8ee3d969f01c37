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

// Package tracing is the proxy's OpenTelemetry tracing: one exporter per process, configured
// by the standard OTEL_* variables, and one tracer per traced stage carrying that stage's
// parent-based sampling ratio. Steps start child spans with Start, which costs a context
// lookup and nothing else when the request is not traced: a stage without tracing pays no
// allocation for it.
package tracing

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names the instrumentation scope of every span the proxy makes.
const ScopeName = "github.com/portico-dev/portico/dataplane"

// Propagator reads and writes W3C traceparent and tracestate.
var Propagator = propagation.TraceContext{}

// Provider makes the tracers of traced stages. They share its span processor (and so its
// exporter and batching) and differ only in their sampler.
type Provider struct {
	processor sdktrace.SpanProcessor
	res       *resource.Resource
}

// New returns a Provider that hands finished spans to processor. Tests pass a
// tracetest.SpanRecorder or a simple processor over an in-memory exporter.
func New(processor sdktrace.SpanProcessor, res *resource.Resource) *Provider {
	if res == nil {
		res = resource.Default()
	}
	return &Provider{processor: processor, res: res}
}

// FromEnv returns a Provider exporting with OTLP as the standard variables say:
// OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT, _INSECURE, _PROTOCOL
// ("http/protobuf", the default, or "grpc"), OTEL_BSP_* for batching, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES for the resource. OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none return nil: no stage is traced, whatever it asks.
func FromEnv(ctx context.Context, serviceName string) (*Provider, error) {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return nil, nil
	}
	protocol := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch protocol {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTLP protocol %q is not supported (http/protobuf or grpc)", protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(serviceName)))
	if err != nil {
		return nil, err
	}
	// The variables win over the default service name.
	if env, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged
		}
	}
	return New(sdktrace.NewBatchSpanProcessor(exp), res), nil
}

// Tracer returns a tracer for a stage that traces ratio (0..1) of the requests that come
// without a sampled or unsampled traceparent; a client's traceparent decides for its own
// request. A nil Provider returns nil.
func (p *Provider) Tracer(ratio float64) trace.Tracer {
	if p == nil {
		return nil
	}
	ratio = min(max(ratio, 0), 1)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithSpanProcessor(p.processor),
		sdktrace.WithResource(p.res),
		sdktrace.WithIDGenerator(idGenerator{}),
	)
	return tp.Tracer(ScopeName)
}

// Shutdown exports what is buffered and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	return p.processor.Shutdown(ctx)
}

// Start starts a child span of the request's span when the request is traced and sampled,
// and returns ctx and nil otherwise: callers check the span for nil, so that untraced
// requests allocate nothing.
func Start(ctx context.Context, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, nil
	}
	return parent.TracerProvider().Tracer(ScopeName).Start(ctx, name, trace.WithSpanKind(kind))
}
