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
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/internal/rejection"
)

// rawServer is a go-control-plane server over LinearCaches the test fills directly, so that
// it can serve what the controller never would: a wrong message under the StageSnapshot type.
type rawServer struct {
	addr   string
	stages *cachev3.LinearCache
	eds    *cachev3.LinearCache

	mu       sync.Mutex
	requests []*discoveryv3.DeltaDiscoveryRequest
}

func startRawServer(t *testing.T) *rawServer {
	t.Helper()
	s := &rawServer{stages: cachev3.NewLinearCache(stageType), eds: cachev3.NewLinearCache(edsType)}
	mux := &cachev3.MuxCache{
		Classify:      func(r *cachev3.Request) string { return r.GetTypeUrl() },
		ClassifyDelta: func(r *cachev3.DeltaRequest) string { return r.GetTypeUrl() },
		Caches:        map[string]cachev3.Cache{stageType: s.stages, edsType: s.eds},
	}
	cb := serverv3.CallbackFuncs{StreamDeltaRequestFunc: func(_ int64, req *discoveryv3.DeltaDiscoveryRequest) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests = append(s.requests, proto.Clone(req).(*discoveryv3.DeltaDiscoveryRequest))
		return nil
	}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = lis.Addr().String()
	serve(t, func(ctx context.Context) error {
		gs := grpc.NewServer()
		discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, serverv3.NewServer(ctx, mux, cb))
		go func() { <-ctx.Done(); gs.Stop() }()
		return gs.Serve(lis)
	})
	return s
}

// nacks are the error messages of the NACKs received for typeURL.
func (s *rawServer) nacks(typeURL string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		if r.GetTypeUrl() == typeURL && r.GetErrorDetail() != nil {
			out = append(out, r.GetErrorDetail().GetMessage())
		}
	}
	return out
}

// acks counts the ACKs received for typeURL.
func (s *rawServer) acks(typeURL string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.GetTypeUrl() == typeURL && r.GetResponseNonce() != "" && r.GetErrorDetail() == nil {
			n++
		}
	}
	return n
}

// An undecodable resource is NACKed with its name and the decoding error, in the format the
// control plane reads (package rejection), while the valid resource next to it is applied
// and serves (gRFC A46). Once fixed, it is applied too.
func TestUndecodableResourceIsNACKed(t *testing.T) {
	s := startRawServer(t)
	// A string field 1 with invalid UTF-8, read as StageSnapshot.key: proto3 refuses it.
	bad := wrapperspb.Bytes([]byte{0xff, 0xfe})
	good := xds.StageToProto(new(testStage("pets/prod", 1)))
	if err := s.stages.UpdateResources(map[string]types.Resource{"pets/bad": bad, "pets/prod": good}, nil); err != nil {
		t.Fatal(err)
	}
	c := startClient(t, s.addr, Options{})

	eventually(t, "the bad stage is NACKed", func() bool { return len(s.nacks(stageType)) > 0 })
	msg := s.nacks(stageType)[0]
	reasons, ok := rejection.Parse(msg)
	if !ok || len(reasons) != 1 || !strings.HasPrefix(reasons["pets/bad"], "decoding StageSnapshot") {
		t.Fatalf("NACK message: %q", msg)
	}
	eventually(t, "the endpoints are acknowledged", func() bool { return s.acks(edsType) > 0 })
	eventually(t, "ready with the good stage", c.Ready)
	if cfg := c.Current(); len(cfg.Stages) != 1 || cfg.Stages["pets/prod"] == nil {
		t.Fatalf("applied %v, want pets/prod alone", cfg.Stages)
	}

	fixed := xds.StageToProto(new(testStage("pets/bad", 1)))
	if err := s.stages.UpdateResource("pets/bad", fixed); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both stages are applied", func() bool {
		cfg := c.Current()
		return cfg.Stages["pets/bad"] != nil && cfg.Stages["pets/prod"] != nil
	})
}

// Every resource of a response rejected: the proxy is not ready on it, since it would
// serve nothing (the proxies already serving keep the traffic).
func TestAllStagesRejectedIsNotReady(t *testing.T) {
	s := startRawServer(t)
	bad := wrapperspb.Bytes([]byte{0xff, 0xfe})
	if err := s.stages.UpdateResources(map[string]types.Resource{"pets/bad": bad}, nil); err != nil {
		t.Fatal(err)
	}
	c := startClient(t, s.addr, Options{})
	eventually(t, "the stage is NACKed", func() bool { return len(s.nacks(stageType)) > 0 })
	eventually(t, "the endpoints are acknowledged", func() bool { return s.acks(edsType) > 0 })
	if c.Ready() {
		t.Fatal("ready although every stage was rejected")
	}
}
