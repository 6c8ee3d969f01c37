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

package websocket

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	connections prometheus.Gauge
	events      *prometheus.CounterVec
	errors      *prometheus.CounterVec
	management  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portico_websocket_connections",
			Help: "WebSocket connections open on this proxy.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_websocket_events_total",
			Help: "WebSocket events, by type (CONNECT, MESSAGE, DISCONNECT).",
		}, []string{"event"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_websocket_errors_total",
			Help: "WebSocket errors, by reason: connect_refused, upgrade, forbidden (no route), integration, message_too_big, protocol, invalid_utf8, slow_client, write.",
		}, []string{"reason"}),
		management: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_websocket_management_requests_total",
			Help: "@connections calls, by method and status code.",
		}, []string{"method", "code"}),
	}
	m.connections = register(reg, m.connections)
	m.events = register(reg, m.events)
	m.errors = register(reg, m.errors)
	m.management = register(reg, m.management)
	return m
}

// register registers c, or returns the collector registered before it (a second Server on
// one registry, in tests).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

func (m *metrics) event(typ string)    { m.events.WithLabelValues(typ).Inc() }
func (m *metrics) error(reason string) { m.errors.WithLabelValues(reason).Inc() }
