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
	"slices"
	"testing"
	"time"

	"github.com/portico-dev/portico/controllers/xds/xdstest"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	dto "github.com/prometheus/client_model/go"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

const stageType = xdsv1alpha1.StageSnapshotTypeURL

func testStage(key string, generation int64) ir.Stage {
	return ir.Stage{
		Key: key, Namespace: "pets", StageName: "prod", RestApi: "petstore",
		Generation: generation, Revision: 1,
		API: &ir.API{Protocol: "REST", APIKeySource: "HEADER", Routes: []ir.Route{{
			Name: "pets", Path: "/pets", Methods: []string{"GET"},
			Integration: ir.Integration{Type: "MOCK", TimeoutMillis: 29000, Mock: &ir.Mock{StatusCode: 200}},
		}}},
	}
}

func decodeStage(t *testing.T, r *discoveryv3.Resource) *xdsv1alpha1.StageSnapshot {
	t.Helper()
	var s xdsv1alpha1.StageSnapshot
	if err := r.GetResource().UnmarshalTo(&s); err != nil {
		t.Fatalf("decoding %s: %v", r.GetName(), err)
	}
	return &s
}

func names(r *discoveryv3.DeltaDiscoveryResponse) []string {
	var out []string
	for _, res := range r.GetResources() {
		out = append(out, res.GetName())
	}
	slices.Sort(out)
	return out
}

// syncedClient connects node, subscribes to both types and ACKs the initial responses.
func syncedClient(t *testing.T, s *testServer, node string) (*xdstest.Client, *discoveryv3.DeltaDiscoveryResponse) {
	t.Helper()
	c := xdstest.Dial(t, s.addr, node, nil)
	c.Subscribe(stageType)
	stages := c.RecvType(stageType)
	c.Ack(stages)
	c.Subscribe(resource.EndpointType)
	c.Ack(c.RecvType(resource.EndpointType))
	return c, stages
}

func TestSnapshotArrives(t *testing.T) {
	s := startServer(t, Options{})
	if n := s.Update([]ir.Stage{testStage("pets/prod", 3)}, []ir.Endpoints{{Cluster: "pets/pets:8080", Addresses: []string{"10.0.0.1:8080"}}}); n != 2 {
		t.Fatalf("Update changed %d resources, want 2", n)
	}
	c := xdstest.Dial(t, s.addr, "proxy-1", nil)
	c.Subscribe(stageType)
	r := c.RecvType(stageType)
	if got := names(r); !slices.Equal(got, []string{"pets/prod"}) {
		t.Fatalf("resources = %v", got)
	}
	snap := decodeStage(t, r.GetResources()[0])
	if snap.GetGeneration() != 3 || snap.GetApi().GetRoutes()[0].GetPath() != "/pets" {
		t.Fatalf("snapshot = %v", snap)
	}
	// The wire version is the one Version reports, so ACKs map to it without translation.
	if v := r.GetResources()[0].GetVersion(); v == "" || v != s.Version("pets/prod") {
		t.Fatalf("wire version %q, Version() %q", v, s.Version("pets/prod"))
	}

	c.Subscribe(resource.EndpointType)
	e := c.RecvType(resource.EndpointType)
	var cla endpointv3.ClusterLoadAssignment
	if err := e.GetResources()[0].GetResource().UnmarshalTo(&cla); err != nil {
		t.Fatal(err)
	}
	if cla.GetClusterName() != "pets/pets:8080" || len(cla.GetEndpoints()[0].GetLbEndpoints()) != 1 {
		t.Fatalf("assignment = %v", &cla)
	}
	if got := gauge(t, s, "portico_xds_resources", "StageSnapshot"); got != 1 {
		t.Errorf("portico_xds_resources{type=StageSnapshot} = %v, want 1", got)
	}
	if got := gauge(t, s, "portico_xds_pushes_total", "ClusterLoadAssignment"); got != 1 {
		t.Errorf("portico_xds_pushes_total{type=ClusterLoadAssignment} = %v, want 1", got)
	}
}

func TestOnlyChangesArePushed(t *testing.T) {
	s := startServer(t, Options{})
	a, b := testStage("pets/prod", 1), testStage("pets/dev", 1)
	eps := []ir.Endpoints{{Cluster: "pets/pets:8080", Addresses: []string{"10.0.0.1:8080"}}}
	s.Update([]ir.Stage{a, b}, eps)
	c, first := syncedClient(t, s, "proxy-1")
	if got := names(first); !slices.Equal(got, []string{"pets/dev", "pets/prod"}) {
		t.Fatalf("initial resources = %v", got)
	}

	// The same compile again: nothing changed, nothing is sent.
	if n := s.Update([]ir.Stage{a, b}, eps); n != 0 {
		t.Fatalf("unchanged Update changed %d resources", n)
	}
	c.ExpectNone()

	// One stage changes: only it is sent.
	b.Generation = 2
	before := s.Version("pets/prod")
	if n := s.Update([]ir.Stage{a, b}, eps); n != 1 {
		t.Fatalf("Update changed %d resources, want 1", n)
	}
	r := c.RecvType(stageType)
	if got := names(r); !slices.Equal(got, []string{"pets/dev"}) {
		t.Fatalf("pushed %v, want only pets/dev", got)
	}
	if decodeStage(t, r.GetResources()[0]).GetGeneration() != 2 {
		t.Fatal("pushed the old pets/dev")
	}
	if s.Version("pets/prod") != before {
		t.Fatal("the unchanged stage's version moved")
	}
	c.Ack(r)

	// Endpoint churn re-pushes the assignment, not the stages.
	eps[0].Addresses = []string{"10.0.0.1:8080", "10.0.0.2:8080"}
	if n := s.Update([]ir.Stage{a, b}, eps); n != 1 {
		t.Fatalf("Update changed %d resources, want 1", n)
	}
	c.Ack(c.RecvType(resource.EndpointType))
	c.ExpectNone()
}

func TestRemovedStage(t *testing.T) {
	s := startServer(t, Options{})
	a, b := testStage("pets/prod", 1), testStage("pets/dev", 1)
	s.Update([]ir.Stage{a, b}, nil)
	c, _ := syncedClient(t, s, "proxy-1")

	if n := s.Update([]ir.Stage{a}, nil); n != 1 {
		t.Fatalf("Update changed %d resources, want 1", n)
	}
	r := c.RecvType(stageType)
	if len(r.GetResources()) != 0 || !slices.Equal(r.GetRemovedResources(), []string{"pets/dev"}) {
		t.Fatalf("got resources %v, removed %v; want only pets/dev removed", names(r), r.GetRemovedResources())
	}
	c.Ack(r)
	if v := s.Version("pets/dev"); v != "" {
		t.Fatalf("Version of a removed stage = %q", v)
	}
	if st := s.Programmed("pets/dev"); st.Programmed || st.Version != "" {
		t.Fatalf("Programmed of a removed stage = %+v", st)
	}
}

// The incremental updates touch only what they name: other stages keep their versions and
// are neither re-sent nor removed.
func TestIncrementalUpdates(t *testing.T) {
	s := startServer(t, Options{})
	a, b := testStage("pets/prod", 1), testStage("shop/prod", 1)
	s.Update([]ir.Stage{a, b}, []ir.Endpoints{{Cluster: "pets/svc:80"}, {Cluster: "shop/svc:80"}})
	c, _ := syncedClient(t, s, "proxy-1")
	before := s.Version("shop/prod")

	b.Generation = 2
	if n := s.UpdateStages([]ir.Stage{b}, nil); n != 1 {
		t.Fatalf("UpdateStages changed %d resources, want 1", n)
	}
	r := c.RecvType(stageType)
	if got := names(r); !slices.Equal(got, []string{"shop/prod"}) {
		t.Fatalf("pushed %v, want only shop/prod", got)
	}
	c.Ack(r)
	if s.Version("pets/prod") == "" || s.Version("shop/prod") == before {
		t.Fatalf("versions after UpdateStages: pets %q shop %q", s.Version("pets/prod"), s.Version("shop/prod"))
	}

	if n := s.UpdateStages(nil, []string{"pets/prod"}); n != 1 {
		t.Fatalf("removing a stage changed %d resources, want 1", n)
	}
	r = c.RecvType(stageType)
	if len(r.GetResources()) != 0 || !slices.Equal(r.GetRemovedResources(), []string{"pets/prod"}) {
		t.Fatalf("got %v, removed %v; want pets/prod removed", names(r), r.GetRemovedResources())
	}
	c.Ack(r)
	if s.Version("shop/prod") == "" {
		t.Fatal("removing pets/prod removed shop/prod too")
	}

	if n := s.UpdateEndpoints([]ir.Endpoints{{Cluster: "shop/svc:80", Addresses: []string{"10.0.0.1:80"}}}, []string{"pets/svc:80"}); n != 2 {
		t.Fatalf("UpdateEndpoints changed %d resources, want 2", n)
	}
	r = c.RecvType(resource.EndpointType)
	if got := names(r); !slices.Equal(got, []string{"shop/svc:80"}) || !slices.Equal(r.GetRemovedResources(), []string{"pets/svc:80"}) {
		t.Fatalf("endpoints pushed %v removed %v", got, r.GetRemovedResources())
	}
	c.Ack(r)
	if n := s.UpdateStages([]ir.Stage{b}, nil); n != 0 {
		t.Fatalf("an unchanged UpdateStages changed %d resources", n)
	}
	c.ExpectNone()
}

func TestNackThenAck(t *testing.T) {
	s := startServer(t, Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := xdstest.Dial(t, s.addr, "proxy-1", nil)
	c.Subscribe(stageType)
	r := c.RecvType(stageType)
	expectChanged(t, s) // the connect
	c.Nack(r, "route /pets: bad integration")

	xdstest.Eventually(t, "the NACK is recorded", func() bool { return s.Programmed("pets/prod").Error != "" })
	st := s.Programmed("pets/prod")
	if st.Programmed || st.Proxies != 1 || st.Acked != 0 || st.Error != "route /pets: bad integration" || st.ErrorNode != "proxy-1" {
		t.Fatalf("after NACK: %+v", st)
	}
	expectChanged(t, s)
	if got := gauge(t, s, "portico_xds_nacks_total", "StageSnapshot"); got != 1 {
		t.Errorf("portico_xds_nacks_total = %v, want 1", got)
	}

	// A fixed version arrives and is acknowledged: the rejection no longer applies.
	s.Update([]ir.Stage{testStage("pets/prod", 2)}, nil)
	if st := s.Programmed("pets/prod"); st.Error != "" || st.Programmed {
		t.Fatalf("a NACK of the old version is reported for the new one: %+v", st)
	}
	c.Ack(c.RecvType(stageType))
	xdstest.Eventually(t, "the ACK is recorded", func() bool { return s.Programmed("pets/prod").Programmed })
	if st := s.Programmed("pets/prod"); st.Error != "" || st.Acked != 1 {
		t.Fatalf("after ACK: %+v", st)
	}
}

func TestProgrammedNeedsEveryProxy(t *testing.T) {
	s := startServer(t, Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	if st := s.Programmed("pets/prod"); st.Programmed || st.Proxies != 0 {
		t.Fatalf("with no proxy: %+v", st)
	}
	c1 := xdstest.Dial(t, s.addr, "proxy-1", nil)
	c2 := xdstest.Dial(t, s.addr, "proxy-2", nil)
	c1.Subscribe(stageType)
	c2.Subscribe(stageType)
	r1, r2 := c1.RecvType(stageType), c2.RecvType(stageType)
	xdstest.Eventually(t, "both proxies are connected", func() bool { return s.ConnectedProxies() == 2 })

	c1.Ack(r1)
	xdstest.Eventually(t, "proxy-1's ACK is recorded", func() bool { return s.Programmed("pets/prod").Acked == 1 })
	if st := s.Programmed("pets/prod"); st.Programmed || st.Proxies != 2 {
		t.Fatalf("with one ACK of two: %+v", st)
	}
	c2.Ack(r2)
	xdstest.Eventually(t, "both ACKs are recorded", func() bool { return s.Programmed("pets/prod").Programmed })

	// A new version is programmed again only once both acknowledge it.
	s.Update([]ir.Stage{testStage("pets/prod", 2)}, nil)
	if st := s.Programmed("pets/prod"); st.Programmed || st.Acked != 0 {
		t.Fatalf("new version before any ACK: %+v", st)
	}
	c1.Ack(c1.RecvType(stageType))
	c2.Ack(c2.RecvType(stageType))
	xdstest.Eventually(t, "both ACKs of the new version are recorded", func() bool { return s.Programmed("pets/prod").Programmed })
}

func TestDisconnect(t *testing.T) {
	s := startServer(t, Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c1, _ := syncedClient(t, s, "proxy-1")
	c2, _ := syncedClient(t, s, "proxy-2")
	xdstest.Eventually(t, "both are programmed", func() bool { return s.Programmed("pets/prod").Acked == 2 })
	if got := gauge(t, s, "portico_xds_connected_proxies", ""); got != 2 {
		t.Errorf("portico_xds_connected_proxies = %v, want 2", got)
	}

	c2.Close()
	xdstest.Eventually(t, "proxy-2 is gone", func() bool { return s.ConnectedProxies() == 1 })
	if st := s.Programmed("pets/prod"); !st.Programmed || st.Proxies != 1 {
		t.Fatalf("after proxy-2 left: %+v", st)
	}
	c1.Close()
	xdstest.Eventually(t, "no proxy is left", func() bool { return s.ConnectedProxies() == 0 })
	if st := s.Programmed("pets/prod"); st.Programmed {
		t.Fatalf("programmed with no proxy: %+v", st)
	}
}

// A proxy that reconnects with the current version in initial_resource_versions is sent
// nothing, and must still count as having applied it.
func TestReconnectWithCurrentVersion(t *testing.T) {
	s := startServer(t, Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c, _ := syncedClient(t, s, "proxy-1")
	c.Close()
	xdstest.Eventually(t, "proxy-1 is gone", func() bool { return s.ConnectedProxies() == 0 })

	c = xdstest.Dial(t, s.addr, "proxy-1", nil)
	c.Send(&discoveryv3.DeltaDiscoveryRequest{
		TypeUrl:                 stageType,
		InitialResourceVersions: map[string]string{"pets/prod": s.Version("pets/prod")},
	})
	// The first wildcard request is always answered, here with nothing new.
	if r := c.RecvType(stageType); len(r.GetResources()) != 0 {
		t.Fatalf("resent %v", names(r))
	}
	xdstest.Eventually(t, "the reconnected proxy counts", func() bool { return s.Programmed("pets/prod").Programmed })
}

// The server stops on context cancellation even with streams open.
func TestGracefulStop(t *testing.T) {
	s := startServer(t, Options{})
	c, _ := syncedClient(t, s, "proxy-1")
	start := time.Now()
	s.stop()
	// Within the grace period means the streams ended by themselves, not by a forced Stop.
	if d := time.Since(start); d >= stopGrace {
		t.Fatalf("stopping took %v", d)
	}
	if err := c.WaitDone(); err == nil {
		t.Fatal("stream ended without an error")
	}
}

func expectChanged(t *testing.T, s *testServer) {
	t.Helper()
	select {
	case <-s.Changed():
	case <-time.After(xdstest.WaitTimeout):
		t.Fatal("no change signalled")
	}
}

func gauge(t *testing.T, s *testServer, name, typ string) float64 {
	t.Helper()
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if typ != "" && !hasLabel(m, "type", typ) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s{type=%q} not found", name, typ)
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// ProgrammedStages is Programmed for every served stage; Subscribe signals the changes of
// acknowledgements and of served versions, which Changed leaves out.
func TestProgrammedStagesAndSubscribe(t *testing.T) {
	s := startServer(t, Options{})
	sub := s.Subscribe()
	s.Update([]ir.Stage{testStage("pets/prod", 1), testStage("pets/dev", 1)}, nil)
	xdstest.Eventually(t, "a version change signalled", func() bool { return drained(sub) })
	if drained(s.Changed()) {
		t.Error("Changed signalled a version change")
	}
	c, _ := syncedClient(t, s, "proxy-1")
	defer c.Close()
	xdstest.Eventually(t, "both stages acknowledged", func() bool {
		proxies, stages := s.ProgrammedStages()
		return proxies == 1 && len(stages) == 2 && stages["pets/prod"].Programmed && stages["pets/dev"].Programmed
	})
	_, stages := s.ProgrammedStages()
	for key, st := range stages {
		if st != s.Programmed(key) {
			t.Errorf("%s: ProgrammedStages %+v, Programmed %+v", key, st, s.Programmed(key))
		}
	}
	if !drained(sub) {
		t.Error("the acknowledgements did not signal the subscriber")
	}
}

// drained reports whether ch held a signal, and empties it.
func drained(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
