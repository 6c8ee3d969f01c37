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
	// src is the assignment the cluster was built from: an update that carries the same
	// one (the xDS client keeps unchanged resources as they are) reuses the cluster.
	src *endpointv3.ClusterLoadAssignment
}

// Clusters are the backend clusters by name. A proxy keeps one Clusters for its whole life
// and Updates it in place: routes hold the table, not the clusters, and look a cluster up
// per request (one atomic load and a map read), so an endpoint change reaches every route
// without rebuilding one.
type Clusters struct {
	byName   atomic.Pointer[map[string]*Cluster]
	now      func() time.Time
	ejection time.Duration
}

// Get returns the named cluster, or nil.
func (c *Clusters) Get(name string) *Cluster {
	if c == nil {
		return nil
	}
	m := c.byName.Load()
	if m == nil {
		return nil
	}
	return (*m)[name]
}

// NewClusters builds clusters from EDS assignments, carrying over the state of prev's (see
// Update).
func NewClusters(assignments map[string]*endpointv3.ClusterLoadAssignment, prev *Clusters, now func() time.Time, ejection time.Duration) *Clusters {
	if ejection <= 0 {
		ejection = DefaultEjection
	}
	c := &Clusters{now: now, ejection: ejection}
	var old map[string]*Cluster
	if prev != nil {
		if m := prev.byName.Load(); m != nil {
			old = *m
		}
	}
	c.byName.Store(c.build(assignments, old))
	return c
}

// Update replaces the clusters with those of assignments, in place. An endpoint that was
// there before keeps its ejection state and a cluster keeps its round-robin position, so
// that endpoint churn (which may come every few seconds) does not send traffic back to a
// dead endpoint or to the first endpoint of every cluster. Update is not safe for
// concurrent use with itself; Get is, with Update.
func (c *Clusters) Update(assignments map[string]*endpointv3.ClusterLoadAssignment) {
	var old map[string]*Cluster
	if m := c.byName.Load(); m != nil {
		old = *m
	}
	c.byName.Store(c.build(assignments, old))
}

func (c *Clusters) build(assignments map[string]*endpointv3.ClusterLoadAssignment, prev map[string]*Cluster) *map[string]*Cluster {
	out := make(map[string]*Cluster, len(assignments))
	for name, cla := range assignments {
		old := prev[name]
		if old != nil && old.src == cla && cla != nil {
			out[name] = old
			continue
		}
		cl := &Cluster{Name: name, now: c.now, ejection: c.ejection, src: cla}
		if old != nil {
			cl.next.Store(old.next.Load())
		}
		for _, addr := range addresses(cla) {
			e := &Endpoint{Addr: addr}
			if old != nil {
				if i := slices.IndexFunc(old.endpoints, func(o *Endpoint) bool { return o.Addr == addr }); i >= 0 {
					e = old.endpoints[i]
				}
			}
			cl.endpoints = append(cl.endpoints, e)
		}
		out[name] = cl
	}
	return &out
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
