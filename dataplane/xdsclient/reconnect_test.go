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
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/xds"
)

// When the server goes away the proxy keeps its configuration and stays ready; when a server
// comes back with the same content, the versions the proxy sends in
// initial_resource_versions make it send nothing again, yet count the stage as programmed.
func TestReconnectWithoutResend(t *testing.T) {
	stages := []ir.Stage{testStage("pets/prod", 1)}
	eps := []ir.Endpoints{testEndpoints("10.0.0.1:8080")}
	s1 := startServer(t, "127.0.0.1:0", xds.Options{})
	s1.Update(stages, eps)
	c := startClient(t, s1.addr, Options{})
	programmed(t, s1, "pets/prod")
	eventually(t, "both types acknowledged", func() bool { return acks(c) == 2 })
	cfg, applied, received := c.Current(), c.applier.applied(), c.received.Load()

	s1.stop()
	eventually(t, "the client notices", func() bool { return !c.Connected() })
	if !c.Ready() || c.Current() != cfg {
		t.Fatal("the configuration was dropped with the connection")
	}
	if v := testutil.ToFloat64(c.metrics.connected); v != 0 {
		t.Fatalf("connected gauge %v", v)
	}

	s2 := startServerWith(t, s1.addr, xds.Options{}, stages, eps)
	programmed(t, s2, "pets/prod")
	// The server answers each first request, here with nothing.
	eventually(t, "both types acknowledged again", func() bool { return acks(c) == 4 })
	if !c.Connected() {
		t.Fatal("not connected")
	}
	if got := c.received.Load(); got != received {
		t.Fatalf("%d resources sent again", got-received)
	}
	if c.applier.applied() != applied || c.Current() != cfg {
		t.Fatal("an unchanged configuration was applied again")
	}
	if v := testutil.ToFloat64(c.metrics.reconnects); v != 1 {
		t.Fatalf("reconnects %v", v)
	}
}

// acks is the number of responses c accepted.
func acks(c *testClient) float64 {
	return testutil.ToFloat64(c.metrics.updates.WithLabelValues("StageSnapshot", "ack")) +
		testutil.ToFloat64(c.metrics.updates.WithLabelValues("ClusterLoadAssignment", "ack"))
}

// A server that comes back with other content sends only the differences: what changed and
// what is gone.
func TestReconnectReceivesOnlyChanges(t *testing.T) {
	s1 := startServer(t, "127.0.0.1:0", xds.Options{})
	s1.Update([]ir.Stage{testStage("pets/prod", 1), testStage("pets/dev", 1), testStage("pets/test", 1)}, nil)
	c := startClient(t, s1.addr, Options{})
	programmed(t, s1, "pets/test")
	s1.stop()
	eventually(t, "the client notices", func() bool { return !c.Connected() })
	received := c.received.Load()

	s2 := startServerWith(t, s1.addr, xds.Options{}, []ir.Stage{testStage("pets/prod", 2), testStage("pets/dev", 1)}, nil)
	programmed(t, s2, "pets/prod")
	eventually(t, "pets/test is removed", func() bool { return c.Current().Stages["pets/test"] == nil })
	if got := c.received.Load() - received; got != 1 {
		t.Fatalf("%d resources received, want 1 (pets/prod)", got)
	}
	if !s2.Programmed("pets/dev").Programmed {
		t.Fatalf("pets/dev: %+v", s2.Programmed("pets/dev"))
	}
	if g := c.Current().Stages["pets/prod"].GetGeneration(); g != 2 {
		t.Fatalf("generation %d", g)
	}
}

// A proxy that starts before the control plane waits for it, retrying.
func TestServerStartsLater(t *testing.T) {
	s1 := startServer(t, "127.0.0.1:0", xds.Options{})
	addr := s1.addr
	s1.stop()
	c := startClient(t, addr, Options{})
	eventually(t, "a few attempts failed", func() bool { return c.attempts.Load() >= 3 })
	if c.Ready() || c.Connected() {
		t.Fatal("ready or connected without a server")
	}
	if r := c.NotReadyReason(); r != "not connected to the xDS server "+addr {
		t.Fatalf("NotReadyReason: %q", r)
	}
	s2 := startServerWith(t, addr, xds.Options{}, []ir.Stage{testStage("pets/prod", 1)}, nil)
	programmed(t, s2, "pets/prod")
	eventually(t, "ready", c.Ready)
	if v := testutil.ToFloat64(c.metrics.reconnects); v != 0 {
		t.Fatalf("a first connection counted as a reconnection: %v", v)
	}
}
