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
	"context"
	"testing"

	"github.com/portico-dev/portico/controllers/xds/xdstest"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// SotW ADS is served too (Envoy, grpcurl, older clients); its ACKs and NACKs are tracked the
// same way, from the nonce.
func TestSotW(t *testing.T) {
	s := startServer(t, Options{})
	s.Update([]ir.Stage{testStage("pets/prod", 1)}, nil)

	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), xdstest.WaitTimeout)
	defer cancel()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send := func(req *discoveryv3.DiscoveryRequest) {
		t.Helper()
		req.Node = &corev3.Node{Id: "sotw-proxy"}
		req.TypeUrl = stageType
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() *discoveryv3.DiscoveryResponse {
		t.Helper()
		r, err := stream.Recv() // bounded by ctx
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	send(&discoveryv3.DiscoveryRequest{})
	r := recv()
	if len(r.GetResources()) != 1 {
		t.Fatalf("got %d resources", len(r.GetResources()))
	}
	send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce()})
	xdstest.Eventually(t, "the SotW ACK is recorded", func() bool { return s.Programmed("pets/prod").Programmed })

	s.Update([]ir.Stage{testStage("pets/prod", 2)}, nil)
	r2 := recv()
	send(&discoveryv3.DiscoveryRequest{
		VersionInfo:   r.GetVersionInfo(), // the last version applied
		ResponseNonce: r2.GetNonce(),
		ErrorDetail:   &status.Status{Code: 3, Message: "no"},
	})
	xdstest.Eventually(t, "the SotW NACK is recorded", func() bool { return s.Programmed("pets/prod").Error == "no" })
	if st := s.Programmed("pets/prod"); st.Programmed || st.Acked != 0 {
		t.Fatalf("after NACK: %+v", st)
	}
}

// SotW responses carry no resource names; the tracker reads field 1 of each resource. This
// pins that both served types keep their name there.
func TestResourceName(t *testing.T) {
	for _, m := range []proto.Message{
		&xdsv1alpha1.StageSnapshot{Key: "ns/stage", Generation: 3, Variables: map[string]string{"a": "b"}},
		&endpointv3.ClusterLoadAssignment{ClusterName: "ns/stage"},
	} {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := resourceName(b); got != "ns/stage" {
			t.Errorf("%T: resourceName = %q", m, got)
		}
	}
	// Field 1 after others (not what deterministic marshaling produces, but valid).
	b := []byte{0x28, 0x03, 0x0a, 0x01, 'x'} // generation=3, key="x"
	if got := resourceName(b); got != "x" {
		t.Errorf("resourceName = %q, want x", got)
	}
	if got := resourceName([]byte{0x0a, 0x05, 'x'}); got != "" {
		t.Errorf("truncated: resourceName = %q", got)
	}
	if typeLabel(resource.ClusterType) != "unknown" || typeLabel(stageType) != "StageSnapshot" {
		t.Error("typeLabel")
	}
}
