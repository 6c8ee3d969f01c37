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

package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/go-logr/logr"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// The apply benchmarks measure what one configuration change costs a proxy with every
// step of the request path, as `portico proxy` builds it. make bench prints their targets.

func newBenchProxy() *proxy.Proxy {
	return proxy.New(proxy.Options{
		Log: logr.Discard(), AccessLog: io.Discard, Guards: Guards(),
		Steps: Steps(Options{Region: "eu-west-1", Log: logr.Discard(), Store: limits.NewMemory(limits.MemoryOptions{})}),
	})
}

func cla(cluster string, port uint32) *endpointv3.ClusterLoadAssignment {
	return &endpointv3.ClusterLoadAssignment{ClusterName: cluster, Endpoints: []*endpointv3.LocalityLbEndpoints{{
		LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
				Address: "127.0.0.1", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
			}}},
		}}}},
	}}}
}

func benchStage(key, name string, routes int, cluster string) *xdsv1alpha1.StageSnapshot {
	api := &xdsv1alpha1.Api{Protocol: "HTTP"}
	for i := range routes {
		api.Routes = append(api.Routes, &xdsv1alpha1.Route{
			Name: "r" + strconv.Itoa(i), Path: "/things" + strconv.Itoa(i) + "/{id}", Methods: []string{"GET"},
			Integration: &xdsv1alpha1.Integration{Type: "HTTP_PROXY", TimeoutMillis: 29000, Backend: &xdsv1alpha1.Backend{Cluster: cluster}},
		})
	}
	return &xdsv1alpha1.StageSnapshot{
		Key: key, Namespace: "default", StageName: name, RestApi: "api", Api: api,
		Throttle: &xdsv1alpha1.Throttle{RateLimit: 10000, BurstLimit: 5000},
	}
}

// One endpoint change at 100 stages of 100 routes each (target: under 2 ms and 1 MB): the
// stages are unchanged, so nothing but the one cluster is built.
func BenchmarkApplyEndpointChange(b *testing.B) {
	p := newBenchProxy()
	cfg := benchConfig(100, 100)
	if err := p.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	port := uint32(8080)
	for b.Loop() {
		port++
		next := endpointChanged(cfg, "default/svc7:80", port)
		if err := p.Apply(next); err != nil {
			b.Fatal(err)
		}
		cfg = next
	}
}

// benchConfig is stages of routes each, every stage with a cluster of its own.
func benchConfig(stages, routes int) *config.Config {
	cfg := &config.Config{
		Stages:    map[string]*xdsv1alpha1.StageSnapshot{},
		Endpoints: map[string]*endpointv3.ClusterLoadAssignment{},
		Versions:  map[string]map[string]string{xdsv1alpha1.StageSnapshotTypeURL: {}},
	}
	for i := range stages {
		key, cluster := "default/s"+strconv.Itoa(i), "default/svc"+strconv.Itoa(i)+":80"
		cfg.Stages[key] = benchStage(key, "s"+strconv.Itoa(i), routes, cluster)
		cfg.Versions[xdsv1alpha1.StageSnapshotTypeURL][key] = "1"
		cfg.Endpoints[cluster] = cla(cluster, 8080)
	}
	return cfg
}

// endpointChanged is what the xDS client passes after an EDS update: a new Config sharing
// cfg's stages, with cluster's assignment replaced by one on port.
func endpointChanged(cfg *config.Config, cluster string, port uint32) *config.Config {
	next := &config.Config{Stages: cfg.Stages, Versions: cfg.Versions, Endpoints: make(map[string]*endpointv3.ClusterLoadAssignment, len(cfg.Endpoints))}
	for k, v := range cfg.Endpoints {
		next.Endpoints[k] = v
	}
	next.Endpoints[cluster] = cla(cluster, port)
	return next
}

// One stage with 10,000 API keys in 10 usage plans and 100 routes, applied anew (target:
// under 20 ms): the key index and the key-to-plan map are built once for the stage, not per
// route.
func BenchmarkApplyStageWithKeys(b *testing.B) {
	p := newBenchProxy()
	st := benchStage("default/keys", "keys", 100, "default/svc:80")
	for i, r := range st.Api.Routes {
		r.Authorization = &xdsv1alpha1.Authorization{ApiKeyRequired: i%2 == 0}
	}
	for pl := range 10 {
		up := &xdsv1alpha1.UsagePlan{
			Name:     "plan" + strconv.Itoa(pl),
			Throttle: &xdsv1alpha1.Throttle{RateLimit: 100, BurstLimit: 200},
			Quota:    &xdsv1alpha1.Quota{Limit: 10000, Period: "MONTH"},
		}
		for k := range 1000 {
			id := "key-" + strconv.Itoa(pl) + "-" + strconv.Itoa(k)
			sum := sha256.Sum256([]byte("value-of-" + id))
			up.Keys = append(up.Keys, &xdsv1alpha1.ApiKey{Id: id, Sha256: hex.EncodeToString(sum[:])})
		}
		st.UsagePlans = append(st.UsagePlans, up)
	}
	cfg := &config.Config{
		Stages:    map[string]*xdsv1alpha1.StageSnapshot{st.Key: st},
		Endpoints: map[string]*endpointv3.ClusterLoadAssignment{"default/svc:80": cla("default/svc:80", 8080)},
		Versions:  map[string]map[string]string{xdsv1alpha1.StageSnapshotTypeURL: {st.Key: "0"}},
	}
	b.ReportAllocs()
	v := 0
	for b.Loop() {
		v++
		// A new version of the stage: built again from scratch.
		next := &config.Config{Stages: cfg.Stages, Endpoints: cfg.Endpoints,
			Versions: map[string]map[string]string{xdsv1alpha1.StageSnapshotTypeURL: {st.Key: strconv.Itoa(v)}}}
		if err := p.Apply(next); err != nil {
			b.Fatal(err)
		}
	}
}
