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

package integration

import (
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
)

// DefaultEjection is how long an endpoint whose connection failed is skipped.
const DefaultEjection = 5 * time.Second

// Endpoint is one backend address and its passive health.
type Endpoint struct {
	Addr string
	// ejectedUntil is a Unix time in nanoseconds; zero or past means healthy.
	ejectedUntil atomic.Int64
}

// Cluster is the endpoints of one backend, picked round robin. It is immutable but for the
// counters, which are atomics: picking takes no lock.
type Cluster struct {
	Name      string
	endpoints []*Endpoint
	next      atomic.Uint64
	now       func() time.Time
	ejection  time.Duration
}

// Clusters are the clusters of one configuration, by name.
type Clusters struct {
	byName map[string]*Cluster
}

// Get returns the named cluster, or nil.
func (c *Clusters) Get(name string) *Cluster {
	if c == nil {
		return nil
	}
	return c.byName[name]
}

// NewClusters builds clusters from EDS assignments. An endpoint that was in prev keeps its
// ejection state and a cluster keeps its round-robin position, so that a configuration change
// (which may come every few seconds with endpoint churn) does not send traffic back to a
// dead endpoint or to the first endpoint of every cluster.
func NewClusters(assignments map[string]*endpointv3.ClusterLoadAssignment, prev *Clusters, now func() time.Time, ejection time.Duration) *Clusters {
	if ejection <= 0 {
		ejection = DefaultEjection
	}
	out := &Clusters{byName: make(map[string]*Cluster, len(assignments))}
	for name, cla := range assignments {
		c := &Cluster{Name: name, now: now, ejection: ejection}
		old := prev.Get(name)
		if old != nil {
			c.next.Store(old.next.Load())
		}
		for _, addr := range addresses(cla) {
			e := &Endpoint{Addr: addr}
			if old != nil {
				if i := slices.IndexFunc(old.endpoints, func(o *Endpoint) bool { return o.Addr == addr }); i >= 0 {
					e = old.endpoints[i]
				}
			}
			c.endpoints = append(c.endpoints, e)
		}
		out.byName[name] = c
	}
	return out
}

// addresses lists the usable "host:port" addresses of an assignment, sorted and unique.
// Endpoints reported unhealthy, draining or timed out are left out.
func addresses(cla *endpointv3.ClusterLoadAssignment) []string {
	var out []string
	for _, loc := range cla.GetEndpoints() {
		for _, lb := range loc.GetLbEndpoints() {
			switch lb.GetHealthStatus() {
			case corev3.HealthStatus_UNKNOWN, corev3.HealthStatus_HEALTHY, corev3.HealthStatus_DEGRADED:
			default:
				continue
			}
			sa := lb.GetEndpoint().GetAddress().GetSocketAddress()
			if sa.GetAddress() == "" || sa.GetPortValue() == 0 || sa.GetPortValue() > 65535 {
				continue
			}
			out = append(out, net.JoinHostPort(sa.GetAddress(), strconv.FormatUint(uint64(sa.GetPortValue()), 10)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Len is the number of endpoints.
func (c *Cluster) Len() int { return len(c.endpoints) }

// Pick returns the next endpoint round robin, skipping ejected ones. When every endpoint is
// ejected it returns the next one anyway: a cluster that answers nothing is worse than one
// that may have recovered (Envoy's panic threshold does the same). Nil when empty.
func (c *Cluster) Pick() *Endpoint {
	n := uint64(len(c.endpoints))
	if n == 0 {
		return nil
	}
	start := c.next.Add(1) - 1
	now := c.now().UnixNano()
	for i := range n {
		e := c.endpoints[(start+i)%n]
		if e.ejectedUntil.Load() <= now {
			if i > 0 {
				// Start the next pick after this one, so that the endpoints after an
				// ejected one do not take its share twice.
				c.next.Store(start + i + 1)
			}
			return e
		}
	}
	return c.endpoints[start%n]
}

// PickOther returns a healthy endpoint other than not, or nil: where a request goes when its
// connection to not failed before anything was sent.
func (c *Cluster) PickOther(not *Endpoint) *Endpoint {
	for range len(c.endpoints) {
		e := c.Pick()
		if e != not && !c.Ejected(e) {
			return e
		}
	}
	return nil
}

// Eject takes e out of rotation for the ejection time.
func (c *Cluster) Eject(e *Endpoint) {
	e.ejectedUntil.Store(c.now().Add(c.ejection).UnixNano())
}

// Ejected reports whether e is out of rotation.
func (c *Cluster) Ejected(e *Endpoint) bool {
	return e.ejectedUntil.Load() > c.now().UnixNano()
}

// Lookup returns the endpoint with address addr, or nil.
func (c *Cluster) Lookup(addr string) *Endpoint {
	for _, e := range c.endpoints {
		if e.Addr == addr {
			return e
		}
	}
	return nil
}
