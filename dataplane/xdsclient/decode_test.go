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
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/dataplane/config"
)

func anyOf(t *testing.T, typeURL string, m proto.Message) *anypb.Any {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return &anypb.Any{TypeUrl: typeURL, Value: b}
}

func stageRes(t *testing.T, name, version string, mutate func(*xdsv1alpha1.StageSnapshot)) *discoveryv3.Resource {
	t.Helper()
	s := xds.StageToProto(new(testStage(name, 1)))
	if mutate != nil {
		mutate(s)
	}
	return &discoveryv3.Resource{Name: name, Version: version, Resource: anyOf(t, stageType, s)}
}

func claRes(t *testing.T, name, version string, cla *endpointv3.ClusterLoadAssignment) *discoveryv3.Resource {
	t.Helper()
	return &discoveryv3.Resource{Name: name, Version: version, Resource: anyOf(t, edsType, cla)}
}

func endpoint(host string, port uint32) *endpointv3.LbEndpoint {
	return &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
		}}},
	}}}
}

// held is a state with pets/prod at version v1.
func held(t *testing.T) *config.Config {
	t.Helper()
	u, rejected, err := decodeResponse(emptyConfig(), &discoveryv3.DeltaDiscoveryResponse{
		TypeUrl: stageType, Resources: []*discoveryv3.Resource{stageRes(t, "pets/prod", "v1", nil)},
	})
	if err != nil || rejected != nil {
		t.Fatal(err, rejected)
	}
	cfg, _ := u.applyTo(emptyConfig())
	return cfg
}

// decodeErr decodes resp against cur and returns the problems it found in one line: the
// response's error, or each rejected resource's. It also returns what still applies.
func decodeErr(t *testing.T, cur *config.Config, resp *discoveryv3.DeltaDiscoveryResponse) (*update, string) {
	t.Helper()
	u, rejected, err := decodeResponse(cur, resp)
	if err != nil {
		if u != nil || rejected != nil {
			t.Errorf("a refused response also returned an update %v or rejections %v", u, rejected)
		}
		return nil, err.Error()
	}
	var msgs []string
	for _, name := range slices.Sorted(maps.Keys(rejected)) {
		msgs = append(msgs, name+": "+rejected[name].Error())
		if _, ok := u.set[name]; ok {
			t.Errorf("rejected %s still in the update", name)
		}
	}
	return u, strings.Join(msgs, "; ")
}

func TestDecodeRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		resp *discoveryv3.DeltaDiscoveryResponse
		want []string // substrings of the error
		// fatal: the whole response is refused; else the named resources are rejected and
		// the rest (applies) still applies.
		fatal   bool
		applies []string
	}{
		"type not subscribed": {
			resp:  &discoveryv3.DeltaDiscoveryResponse{TypeUrl: "type.googleapis.com/envoy.config.cluster.v3.Cluster"},
			want:  []string{"not subscribed"},
			fatal: true,
		},
		"empty name": {
			resp:  &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{{Resource: anyOf(t, stageType, &xdsv1alpha1.StageSnapshot{})}}},
			want:  []string{"resource 0: empty name"},
			fatal: true,
		},
		"Any of another type": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				{Name: "pets/prod", Resource: anyOf(t, edsType, &endpointv3.ClusterLoadAssignment{ClusterName: "pets/prod"})},
			}},
			want: []string{"pets/prod: resource of type", "ClusterLoadAssignment"},
		},
		"undecodable": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				{Name: "pets/prod", Resource: anyOf(t, stageType, wrapperspb.Bytes([]byte{0xff}))},
			}},
			want: []string{"pets/prod: decoding StageSnapshot"},
		},
		"key is not the name": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/prod", "v2", func(s *xdsv1alpha1.StageSnapshot) { s.Key = "pets/dev" }),
			}},
			want: []string{`pets/prod: key "pets/dev" does not match the resource name`},
		},
		"no api": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/prod", "v2", func(s *xdsv1alpha1.StageSnapshot) { s.Api = nil }),
			}},
			want: []string{"pets/prod: no api"},
		},
		"clear-text key": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/prod", "v2", func(s *xdsv1alpha1.StageSnapshot) { s.UsagePlans[0].Keys[0].Sha256 = "my-secret-key" }),
			}},
			want: []string{`pets/prod: usage plan "basic": key "alice" without a hex SHA-256 hash`},
		},
		"backend without cluster": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/prod", "v2", func(s *xdsv1alpha1.StageSnapshot) {
					s.Api.Routes[0].Integration.Backend.Cluster = ""
				}),
			}},
			want: []string{`pets/prod: api: route "pets": backend without a cluster`},
		},
		"canary share out of range": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/prod", "v2", func(s *xdsv1alpha1.StageSnapshot) {
					s.Canary = &xdsv1alpha1.Canary{PercentTraffic: 101}
				}),
			}},
			want: []string{"pets/prod: canary percentTraffic 101"},
		},
		"sent twice": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/prod", "v2", nil), stageRes(t, "pets/prod", "v3", nil),
			}},
			want: []string{"pets/prod: sent twice"},
		},
		"sent and removed": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/prod", "v2", nil),
			}, RemovedResources: []string{"pets/prod"}},
			want: []string{"pets/prod: both sent and removed"},
		},
		"heartbeat for another version": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{{Name: "pets/prod", Version: "v0"}}},
			want: []string{"pets/prod: no resource body"},
		},
		"cluster name is not the name": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: edsType, Resources: []*discoveryv3.Resource{
				claRes(t, "pets/pets:8080", "v1", &endpointv3.ClusterLoadAssignment{ClusterName: "pets/other:8080"}),
			}},
			want: []string{`pets/pets:8080: cluster_name "pets/other:8080" does not match`},
		},
		"endpoint without an address": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: edsType, Resources: []*discoveryv3.Resource{
				claRes(t, "pets/pets:8080", "v1", &endpointv3.ClusterLoadAssignment{ClusterName: "pets/pets:8080", Endpoints: []*endpointv3.LocalityLbEndpoints{{
					LbEndpoints: []*endpointv3.LbEndpoint{endpoint("", 8080)},
				}}}),
			}},
			want: []string{"pets/pets:8080: invalid ClusterLoadAssignment.Endpoints"},
		},
		"every problem is reported": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/a", "v1", func(s *xdsv1alpha1.StageSnapshot) { s.Api = nil }),
				stageRes(t, "pets/ok", "v1", nil),
				stageRes(t, "pets/b", "v1", func(s *xdsv1alpha1.StageSnapshot) { s.Key = "" }),
			}},
			want:    []string{"pets/a: no api; ", `pets/b: key "" does not match`},
			applies: []string{"pets/ok"},
		},
		"a nameless resource refuses the whole response": {
			resp: &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{
				stageRes(t, "pets/a", "v1", func(s *xdsv1alpha1.StageSnapshot) { s.Api = nil }),
				stageRes(t, "pets/ok", "v1", nil),
				{Resource: anyOf(t, stageType, &xdsv1alpha1.StageSnapshot{})},
			}},
			want:  []string{"resource 2: empty name", "pets/a: no api"},
			fatal: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			u, msg := decodeErr(t, held(t), tc.resp)
			if msg == "" {
				t.Fatalf("accepted: %+v", u)
			}
			if (u == nil) != tc.fatal {
				t.Fatalf("whole response refused: %v, want %v (%s)", u == nil, tc.fatal, msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error on several lines: %q", msg)
			}
			if u != nil && len(u.set) != len(tc.applies) {
				t.Errorf("applies %v, want %v", slices.Collect(maps.Keys(u.set)), tc.applies)
			}
		})
	}
}

func TestDecodeAndApply(t *testing.T) {
	cur := held(t)
	before := cur.Stages["pets/prod"]

	// A new stage and a cluster: the stage map is copied, cur untouched.
	u, _, err := decodeResponse(cur, &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Resources: []*discoveryv3.Resource{stageRes(t, "pets/dev", "d1", nil)}})
	if err != nil {
		t.Fatal(err)
	}
	next, changed := u.applyTo(cur)
	if !changed || len(next.Stages) != 2 || next.Stages["pets/prod"] != before || next.Versions[stageType]["pets/dev"] != "d1" {
		t.Fatalf("after adding pets/dev: changed %v, %v %v", changed, next.Stages, next.Versions)
	}
	if len(cur.Stages) != 1 || len(cur.Versions[stageType]) != 1 {
		t.Fatal("applying modified the current configuration")
	}

	u, _, err = decodeResponse(next, &discoveryv3.DeltaDiscoveryResponse{TypeUrl: edsType, Resources: []*discoveryv3.Resource{
		claRes(t, "pets/pets:8080", "e1", &endpointv3.ClusterLoadAssignment{ClusterName: "pets/pets:8080", Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{endpoint("10.0.0.1", 8080)},
		}}}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	withEDS, changed := u.applyTo(next)
	if !changed || withEDS.Endpoints["pets/pets:8080"] == nil || withEDS.Versions[edsType]["pets/pets:8080"] != "e1" {
		t.Fatalf("after the cluster: %v", withEDS)
	}
	if len(next.Endpoints) != 0 || len(next.Versions[edsType]) != 0 {
		t.Fatal("applying endpoints modified the previous configuration")
	}

	// Same version again, a heartbeat, and the removal of something unknown: no change.
	for name, resp := range map[string]*discoveryv3.DeltaDiscoveryResponse{
		"same version":    {TypeUrl: stageType, Resources: []*discoveryv3.Resource{stageRes(t, "pets/prod", "v1", nil)}},
		"heartbeat":       {TypeUrl: stageType, Resources: []*discoveryv3.Resource{{Name: "pets/prod", Version: "v1"}}},
		"unknown removal": {TypeUrl: stageType, RemovedResources: []string{"pets/nope"}},
		"empty":           {TypeUrl: edsType},
	} {
		u, _, err := decodeResponse(withEDS, resp)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, changed := u.applyTo(withEDS); changed || got != withEDS {
			t.Errorf("%s: changed", name)
		}
	}

	// Removal.
	u, _, err = decodeResponse(withEDS, &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, RemovedResources: []string{"pets/prod"}})
	if err != nil {
		t.Fatal(err)
	}
	removed, changed := u.applyTo(withEDS)
	if _, ok := removed.Versions[stageType]["pets/prod"]; !changed || removed.Stages["pets/prod"] != nil || ok || removed.Stages["pets/dev"] == nil {
		t.Fatalf("after the removal: %v %v", removed.Stages, removed.Versions)
	}
	if removed.Endpoints["pets/pets:8080"] == nil {
		t.Fatal("removing a stage dropped the endpoints")
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Jitter: -1}.withDefaults()
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.delay(i); got != w*time.Millisecond {
			t.Errorf("delay(%d) = %v, want %v", i, got, w*time.Millisecond)
		}
	}
	if got := b.delay(10000); got != time.Second {
		t.Errorf("delay(10000) = %v", got)
	}

	d := Backoff{}.withDefaults()
	if d.Initial != 100*time.Millisecond || d.Max != 10*time.Second || d.Jitter != 0.2 || d.Multiplier != 2 {
		t.Fatalf("defaults: %+v", d)
	}
	for _, r := range []float64{0, 0.5, 0.999} {
		d.Rand = func() float64 { return r }
		got := d.delay(0)
		if got < 80*time.Millisecond || got > 120*time.Millisecond {
			t.Errorf("jittered delay %v with rand %v", got, r)
		}
	}
	d.Rand = func() float64 { return 0 }
	if got := d.delay(0); got != 80*time.Millisecond {
		t.Errorf("lowest jitter: %v", got)
	}
}
