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

package xdsclient

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// typeLabel is the metrics and log label of a type URL: the message name without its
// package, as the control plane's portico_xds_* metrics label it.
func typeLabel(typeURL string) string {
	for _, t := range knownTypes {
		if t == typeURL {
			return typeURL[strings.LastIndexByte(typeURL, '.')+1:]
		}
	}
	return "unknown"
}

type metrics struct {
	connected  prometheus.Gauge
	updates    *prometheus.CounterVec
	reconnects prometheus.Counter
}

// newMetrics creates the client's metrics and registers them with reg, when not nil. A
// second client on the same registry is a wiring mistake, and panics.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portico_proxy_xds_connected",
			Help: "1 while the proxy has an xDS stream that the control plane answered, else 0.",
		}),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_proxy_xds_updates_total",
			Help: "xDS responses handled, by resource type and result (ack: applied, nack: rejected).",
		}, []string{"type", "result"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portico_proxy_xds_reconnects_total",
			Help: "xDS streams re-established after the previous one ended.",
		}),
	}
	// Every series exists from the start, so that dashboards and alerts see zeros, not gaps.
	for _, t := range subscribedTypes {
		for _, r := range []string{resultACK, resultNACK} {
			m.updates.WithLabelValues(typeLabel(t), r)
		}
	}
	if reg != nil {
		reg.MustRegister(m.connected, m.updates, m.reconnects)
	}
	return m
}

const (
	resultACK  = "ack"
	resultNACK = "nack"
)
