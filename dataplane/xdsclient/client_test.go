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
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/xds"
)

// programmed waits until the server reports that the connected proxies applied key's
// current version.
func programmed(t *testing.T, s *testServer, key string) {
	t.Helper()
	eventually(t, key+" is programmed", func() bool { return s.Programmed(key).Programmed })
}

func TestSnapshotAppliedThenAcked(t *testing.T) {
	s := startServer(t, "127.0.0.1:0", xds.Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, []ir.Endpoints{testEndpoints("10.0.0.1:8080")})
	c := startClient(t, s.addr, Options{})

	programmed(t, s, "pets/prod")
	// Ready once the endpoints, sent right after the stages, are applied too.
	eventually(t, "ready", c.Ready)
	if !c.Connected() || c.NotReadyReason() != "" {
		t.Fatalf("ready but connected %v, not ready because %q", c.Connected(), c.NotReadyReason())
	}
	cfg := c.Current()
	if cfg != c.applier.last() {
		t.Fatal("Current is not the configuration applied last")
	}
	st := cfg.Stages["pets/prod"]
	if st.GetKey() != "pets/prod" || st.GetGeneration() != 1 || st.GetApi().GetRoutes()[0].GetIntegration().GetBackend().GetCluster() != "pets/pets:8080" {
		t.Fatalf("stage applied: %v", st)
	}
	if got := cfg.Versions[stageType]["pets/prod"]; got != s.Version("pets/prod") {
		t.Fatalf("stage version %q, server has %q", got, s.Version("pets/prod"))
	}
	cla := cfg.Endpoints["pets/pets:8080"]
	if n := len(cla.GetEndpoints()); n != 1 || cla.GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetAddress() != "10.0.0.1" {
		t.Fatalf("endpoints applied: %v", cla)
	}
	if cfg.Versions[edsType]["pets/pets:8080"] == "" {
		t.Fatal("no version recorded for the endpoints")
	}
	if c.LastNACK() != nil {
		t.Fatalf("a NACK: %v", c.LastNACK())
	}
	if n := c.attempts.Load(); n != 1 {
		t.Fatalf("connected after %d attempts, want 1", n)
	}
	if v := testutil.ToFloat64(c.metrics.updates.WithLabelValues("StageSnapshot", "ack")); v != 1 {
		t.Errorf("stage ACKs: %v", v)
	}
	if v := testutil.ToFloat64(c.metrics.connected); v != 1 {
		t.Errorf("connected gauge: %v", v)
	}
}

// An empty control plane is a configuration too: the proxy is ready, serving nothing.
func TestEmptyConfigIsReady(t *testing.T) {
	s := startServer(t, "127.0.0.1:0", xds.Options{})
	c := startClient(t, s.addr, Options{})
	eventually(t, "ready", c.Ready)
	if cfg := c.Current(); cfg == nil || len(cfg.Stages) != 0 || len(cfg.Endpoints) != 0 {
		t.Fatalf("current: %+v", cfg)
	}
	if n := c.applier.applied(); n != 1 {
		t.Fatalf("applied %d times", n)
	}
}

func TestChangesAndRemovals(t *testing.T) {
	s := startServer(t, "127.0.0.1:0", xds.Options{})
	eps := []ir.Endpoints{testEndpoints("10.0.0.1:8080")}
	s.Update([]ir.Stage{testStage("pets/prod", 1), testStage("pets/dev", 1)}, eps)
	c := startClient(t, s.addr, Options{})
	programmed(t, s, "pets/prod")
	programmed(t, s, "pets/dev")

	// A change to one stage is applied, on top of the rest.
	s.Update([]ir.Stage{testStage("pets/prod", 2), testStage("pets/dev", 1)}, eps)
	programmed(t, s, "pets/prod")
	cfg := c.Current()
	if cfg.Stages["pets/prod"].GetGeneration() != 2 || cfg.Stages["pets/dev"] == nil || cfg.Endpoints["pets/pets:8080"] == nil {
		t.Fatalf("after the change: %v", cfg.Stages)
	}

	// Removal.
	s.Update([]ir.Stage{testStage("pets/prod", 2)}, eps)
	eventually(t, "pets/dev is removed", func() bool { return c.Current().Stages["pets/dev"] == nil })
	cfg = c.Current()
	if _, ok := cfg.Versions[stageType]["pets/dev"]; ok || cfg.Stages["pets/prod"] == nil {
		t.Fatalf("after the removal: stages %v, versions %v", cfg.Stages, cfg.Versions[stageType])
	}

	// Endpoints change on their own.
	s.Update([]ir.Stage{testStage("pets/prod", 2)}, []ir.Endpoints{testEndpoints("10.0.0.1:8080", "10.0.0.2:8080")})
	eventually(t, "the new endpoint is applied", func() bool {
		return len(c.Current().Endpoints["pets/pets:8080"].GetEndpoints()[0].GetLbEndpoints()) == 2
	})
	if c.Current().Stages["pets/prod"] != cfg.Stages["pets/prod"] {
		t.Fatal("an endpoint change replaced the stage")
	}
	// Removing every cluster.
	s.Update([]ir.Stage{testStage("pets/prod", 2)}, nil)
	eventually(t, "the cluster is removed", func() bool { return len(c.Current().Endpoints) == 0 })
	if c.LastNACK() != nil {
		t.Fatalf("a NACK: %v", c.LastNACK())
	}
}

// A stage naming a cluster whose endpoints have not arrived is applied: the cluster is
// empty until they do.
func TestStageBeforeItsEndpoints(t *testing.T) {
	s := startServer(t, "127.0.0.1:0", xds.Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := startClient(t, s.addr, Options{})
	programmed(t, s, "pets/prod")
	if len(c.Current().Endpoints) != 0 {
		t.Fatalf("endpoints: %v", c.Current().Endpoints)
	}
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, []ir.Endpoints{testEndpoints("10.0.0.1:8080")})
	eventually(t, "the endpoints arrive", func() bool { return c.Current().Endpoints["pets/pets:8080"] != nil })
}

func TestApplyErrorNACKsAndKeepsThePrevious(t *testing.T) {
	s := startServer(t, "127.0.0.1:0", xds.Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := startClient(t, s.addr, Options{})
	programmed(t, s, "pets/prod")
	good := c.Current()
	applied := c.applier.applied()

	c.applier.fail(errBoom)
	s.Update([]ir.Stage{testStage("pets/prod", 2)}, nil)
	eventually(t, "the NACK reaches the server", func() bool { return s.Programmed("pets/prod").Error != "" })
	st := s.Programmed("pets/prod")
	if st.Programmed || st.Error != errBoom.Error() || st.ErrorNode != "proxy-1" {
		t.Fatalf("programmed status after the NACK: %+v", st)
	}
	if c.Current() != good || c.applier.applied() != applied {
		t.Fatal("the rejected configuration replaced the previous one")
	}
	if !c.Ready() {
		t.Fatal("not ready after a NACK")
	}
	var nack *NACKError
	if err := c.LastNACK(); !errors.As(err, &nack) || !errors.Is(err, errBoom) || nack.TypeURL != stageType ||
		len(nack.Resources) != 1 || nack.Resources[0] != "pets/prod" {
		t.Fatalf("LastNACK: %#v", err)
	}
	if v := testutil.ToFloat64(c.metrics.updates.WithLabelValues("StageSnapshot", "nack")); v != 1 {
		t.Errorf("stage NACKs: %v", v)
	}

	// A later good version is applied and acknowledged.
	c.applier.fail(nil)
	s.Update([]ir.Stage{testStage("pets/prod", 3)}, nil)
	programmed(t, s, "pets/prod")
	if g := c.Current().Stages["pets/prod"].GetGeneration(); g != 3 {
		t.Fatalf("generation %d applied", g)
	}
	if st := s.Programmed("pets/prod"); st.Error != "" {
		t.Fatalf("the error stays after the ACK: %+v", st)
	}
}

// After a NACK the server counts the rejected resources as sent and will not send them
// again until they change. Once an update is accepted again, the client resynchronizes on a
// new stream, so the valid resources of the rejected response are not lost; the server sees
// no disconnection.
func TestRejectedResourcesAreResentAfterRecovery(t *testing.T) {
	s := startServer(t, "127.0.0.1:0", xds.Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := startClient(t, s.addr, Options{})
	programmed(t, s, "pets/prod")

	c.applier.fail(errBoom)
	s.Update([]ir.Stage{testStage("pets/prod", 2)}, nil)
	eventually(t, "the NACK", func() bool { return s.Programmed("pets/prod").Error != "" })
	c.applier.fail(nil)
	// Only pets/dev is new to the server: pets/prod at generation 2 was "sent".
	s.Update([]ir.Stage{testStage("pets/prod", 2), testStage("pets/dev", 1)}, nil)
	programmed(t, s, "pets/dev")
	programmed(t, s, "pets/prod")
	if g := c.Current().Stages["pets/prod"].GetGeneration(); g != 2 {
		t.Fatalf("pets/prod at generation %d, want 2", g)
	}
	if v := testutil.ToFloat64(c.metrics.reconnects); v != 0 || !c.Connected() {
		t.Fatalf("resynchronizing counted as a reconnection (%v), or disconnected", v)
	}
	if n := s.ConnectedProxies(); n != 1 {
		t.Fatalf("%d proxies connected", n)
	}
}

func TestApplierPanicNACKs(t *testing.T) {
	s := startServer(t, "127.0.0.1:0", xds.Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)
	c := newTestClient(t, s.addr, Options{})
	c.applier.panics = true
	c.stop = serve(t, c.Run)
	eventually(t, "the NACK reaches the server", func() bool { return s.Programmed("pets/prod").Error != "" })
	if msg := s.Programmed("pets/prod").Error; !strings.Contains(msg, "panicked: applier bug") {
		t.Fatalf("error: %q", msg)
	}
	if c.Ready() || c.Current() != nil {
		t.Fatal("ready, or a configuration, without anything applied")
	}
	if r := c.NotReadyReason(); !strings.Contains(r, "rejected") || !strings.Contains(r, "applier bug") {
		t.Fatalf("NotReadyReason: %q", r)
	}
}

func TestRunOptionErrors(t *testing.T) {
	if err := New(Options{Server: "127.0.0.1:1"}).Run(t.Context()); err == nil {
		t.Error("no error without an applier")
	}
	if err := New(Options{Applier: &fakeApplier{}}).Run(t.Context()); err == nil {
		t.Error("no error without a server")
	}
	err := New(Options{Server: "127.0.0.1:1", Applier: &fakeApplier{}, TLS: &TLSConfig{CAFile: "/nonexistent/ca.crt"}}).Run(t.Context())
	if err == nil {
		t.Error("no error with a missing CA file")
	}
}
