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

package xds

import (
	"fmt"
	"strings"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// servedTypes are the type URLs the server has a cache for. Anything else is refused by the
// MuxCache, and reported under the "unknown" label so that a misbehaving client cannot grow
// the metrics' cardinality.
var servedTypes = []string{
	xdsv1alpha1.StageSnapshotTypeURL, resource.EndpointType,
	xdsv1alpha1.DomainSnapshotTypeURL, xdsv1alpha1.TLSSecretTypeURL,
}

// typeLabel is the metrics label of a type URL: the message name without its package.
func typeLabel(typeURL string) string {
	for _, t := range servedTypes {
		if t == typeURL {
			return typeURL[strings.LastIndexByte(typeURL, '.')+1:]
		}
	}
	return "unknown"
}

type metrics struct {
	pushes    *prometheus.CounterVec
	nacks     *prometheus.CounterVec
	proxies   prometheus.Gauge
	resources *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_xds_pushes_total",
			Help: "xDS responses sent to proxies, by resource type.",
		}, []string{"type"}),
		nacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_xds_nacks_total",
			Help: "xDS responses rejected (NACKed) by proxies, by resource type.",
		}, []string{"type"}),
		proxies: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portico_xds_connected_proxies",
			Help: "Proxies (distinct node IDs) with at least one open xDS stream.",
		}),
		resources: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "portico_xds_resources",
			Help: "Resources currently served, by resource type.",
		}, []string{"type"}),
	}
	// Create every series up front so that dashboards see zeros rather than gaps.
	for _, t := range servedTypes {
		m.pushes.WithLabelValues(typeLabel(t))
		m.nacks.WithLabelValues(typeLabel(t))
		m.resources.WithLabelValues(typeLabel(t))
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.pushes, m.nacks, m.proxies, m.resources} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering xDS metrics: %w", err)
		}
	}
	return m, nil
}
