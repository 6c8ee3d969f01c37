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
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico/dataplane/accesslog"
)

// Label values are bounded by configuration: api and stage name configured objects, route a
// Route's name ("none" when nothing matched), variant "stable" or "canary". Requests to no
// stage at all count under "none" for every label. Series of routes a new configuration
// drops are deleted when it is applied.

const none = "none"

var labels = []string{"api", "stage", "route", "variant"}

type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	integration *prometheus.HistogramVec
	// responses counts gateway responses by type: THROTTLED and QUOTA_EXCEEDED tell the two
	// kinds of 429 apart, and the dashboards show each.
	responses *prometheus.CounterVec
}

// latencyBuckets reach from a cached answer to the 29 s integration timeout.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_requests_total",
			Help: "Requests served, by API, stage, route, variant and status class.",
		}, append(labels[:len(labels):len(labels)], "status_class")),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portico_request_duration_seconds",
			Help:    "Time from receiving a request to the end of its response.",
			Buckets: latencyBuckets,
		}, labels),
		integration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portico_integration_duration_seconds",
			Help:    "Time the backend took to answer with headers.",
			Buckets: latencyBuckets,
		}, labels),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_gateway_responses_total",
			Help: "Gateway responses sent (the gateway answered in place of the integration), by API, stage, route, variant and type (THROTTLED, QUOTA_EXCEEDED, ...).",
		}, append(labels[:len(labels):len(labels)], "type")),
	}
	m.requests = register(reg, m.requests)
	m.responses = register(reg, m.responses)
	m.duration = register(reg, m.duration)
	m.integration = register(reg, m.integration)
	return m
}

// accessLogDropped counts the access log lines dropped because stdout did not keep up.
func registerAccessLogDropped(reg prometheus.Registerer, w *accesslog.Writer) {
	register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "portico_access_log_dropped_lines_total",
		Help: "Access log lines dropped because the output (stdout) did not take them as fast as requests came.",
	}, func() float64 { return float64(w.Dropped()) }))
}

// register registers c, or returns the collector already registered under its name (a
// second Proxy on one registry, as tests make).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

type seriesKey struct{ api, stage, route, variant string }

// routeMetrics are one route's series in one variant, resolved on first use: most
// status classes of most routes never occur, and an unused histogram is a dozen series.
type routeMetrics struct {
	m           *metrics
	key         seriesKey
	byClass     [6]atomic.Pointer[prometheus.Counter]
	duration    atomic.Pointer[prometheus.Observer]
	integration atomic.Pointer[prometheus.Observer]
}

func (m *metrics) route(k seriesKey) *routeMetrics { return &routeMetrics{m: m, key: k} }

var classes = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// observe counts a request. exemplar is nil, or the trace_id label of a sampled request's
// trace, which the latency histograms keep as their buckets' exemplars (OpenMetrics
// exposition shows them; Grafana links a latency spike to the trace).
func (rm *routeMetrics) observe(status int, d time.Duration, integrationCalled bool, integration time.Duration, exemplar prometheus.Labels) {
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	c := rm.byClass[class].Load()
	if c == nil {
		counter := rm.m.requests.WithLabelValues(rm.key.api, rm.key.stage, rm.key.route, rm.key.variant, classes[class])
		c = &counter
		rm.byClass[class].Store(c)
	}
	(*c).Inc()
	observeWith(*rm.histogram(&rm.duration, rm.m.duration), d, exemplar)
	if integrationCalled {
		observeWith(*rm.histogram(&rm.integration, rm.m.integration), integration, exemplar)
	}
}

// gatewayResponse counts a gateway response of type typ. Only refused or failed requests
// pay for it.
func (rm *routeMetrics) gatewayResponse(typ string) {
	rm.m.responses.WithLabelValues(rm.key.api, rm.key.stage, rm.key.route, rm.key.variant, typ).Inc()
}

func observeWith(o prometheus.Observer, d time.Duration, exemplar prometheus.Labels) {
	if exemplar != nil {
		if eo, ok := o.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(d.Seconds(), exemplar)
			return
		}
	}
	o.Observe(d.Seconds())
}

// exemplarLabel is the exemplar label naming a trace, as OpenTelemetry and Grafana call it.
const exemplarLabel = "trace_id"

func (rm *routeMetrics) histogram(p *atomic.Pointer[prometheus.Observer], vec *prometheus.HistogramVec) *prometheus.Observer {
	o := p.Load()
	if o == nil {
		obs := vec.WithLabelValues(rm.key.api, rm.key.stage, rm.key.route, rm.key.variant)
		o = &obs
		p.Store(o)
	}
	return o
}

// forget deletes the series of routes that are gone.
func (m *metrics) forget(gone []seriesKey) {
	for _, k := range gone {
		l := map[string]string{"api": k.api, "stage": k.stage, "route": k.route, "variant": k.variant}
		m.requests.DeletePartialMatch(l)
		m.duration.DeletePartialMatch(l)
		m.integration.DeletePartialMatch(l)
		m.responses.DeletePartialMatch(l)
	}
}
