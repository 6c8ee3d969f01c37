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
	"strconv"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/go-logr/logr"
)

// The tracker on its own, driven through the callbacks the way go-control-plane calls them,
// for the cases a well-behaved client does not produce.

func newTestTracker(t *testing.T) *tracker {
	t.Helper()
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	return newTracker(logr.Discard(), m)
}

func deltaResponse(nonce string, versions map[string]string) *discoveryv3.DeltaDiscoveryResponse {
	r := &discoveryv3.DeltaDiscoveryResponse{TypeUrl: stageType, Nonce: nonce}
	for name, v := range versions {
		r.Resources = append(r.Resources, &discoveryv3.Resource{Name: name, Version: v})
	}
	return r
}

func TestTrackerSkippedNonce(t *testing.T) {
	tr := newTestTracker(t)
	ctx := context.Background()
	_ = tr.OnDeltaStreamOpen(ctx, 1, "")
	_ = tr.OnStreamDeltaRequest(1, &discoveryv3.DeltaDiscoveryRequest{Node: &corev3.Node{Id: "p"}, TypeUrl: stageType})
	tr.OnStreamDeltaResponse(1, nil, deltaResponse("1", map[string]string{"a": "v1"}))
	tr.OnStreamDeltaResponse(1, nil, deltaResponse("2", map[string]string{"a": "v2"}))
	// The client answers only the latest response.
	_ = tr.OnStreamDeltaRequest(1, &discoveryv3.DeltaDiscoveryRequest{TypeUrl: stageType, ResponseNonce: "2"})
	if st := tr.status(stageType, "a", "v2"); !st.Programmed {
		t.Fatalf("status = %+v", st)
	}
	if n := len(tr.streams[streamKey{delta: true, id: 1}].sent); n != 0 {
		t.Fatalf("%d superseded responses still remembered", n)
	}
	// An answer to a forgotten or unknown nonce changes nothing.
	_ = tr.OnStreamDeltaRequest(1, &discoveryv3.DeltaDiscoveryRequest{TypeUrl: stageType, ResponseNonce: "1"})
	if st := tr.status(stageType, "a", "v2"); !st.Programmed {
		t.Fatalf("status after a stale answer = %+v", st)
	}
}

func TestTrackerUnansweredBound(t *testing.T) {
	tr := newTestTracker(t)
	_ = tr.OnDeltaStreamOpen(context.Background(), 1, "")
	_ = tr.OnStreamDeltaRequest(1, &discoveryv3.DeltaDiscoveryRequest{Node: &corev3.Node{Id: "p"}, TypeUrl: stageType})
	for i := range 3 * maxUnanswered {
		tr.OnStreamDeltaResponse(1, nil, deltaResponse(strconv.Itoa(i+1), map[string]string{"a": strconv.Itoa(i)}))
	}
	sent := tr.streams[streamKey{delta: true, id: 1}].sent
	if len(sent) != maxUnanswered {
		t.Fatalf("%d responses remembered, want %d", len(sent), maxUnanswered)
	}
	if _, ok := sent[strconv.Itoa(3*maxUnanswered)]; !ok {
		t.Fatal("the latest response was dropped")
	}
}

func TestTrackerNodes(t *testing.T) {
	tr := newTestTracker(t)
	ctx := context.Background()
	// The same node on a SotW and a delta stream with the same ID: one proxy, two streams.
	_ = tr.OnStreamOpen(ctx, 1, "")
	_ = tr.OnDeltaStreamOpen(ctx, 1, "")
	_ = tr.OnStreamRequest(1, &discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: "p"}, TypeUrl: stageType})
	_ = tr.OnStreamDeltaRequest(1, &discoveryv3.DeltaDiscoveryRequest{Node: &corev3.Node{Id: "p"}, TypeUrl: stageType})
	// A node without an ID.
	_ = tr.OnDeltaStreamOpen(ctx, 2, "")
	_ = tr.OnStreamDeltaRequest(2, &discoveryv3.DeltaDiscoveryRequest{TypeUrl: stageType})
	if n := tr.connected(); n != 2 {
		t.Fatalf("connected = %d, want 2", n)
	}
	var anonymous bool
	for id := range tr.nodes {
		anonymous = anonymous || strings.HasPrefix(id, "anonymous-")
	}
	if !anonymous {
		t.Fatalf("nodes = %v", tr.nodes)
	}
	tr.OnStreamClosed(1, nil)
	if n := tr.connected(); n != 2 {
		t.Fatalf("closing one of p's streams: connected = %d", n)
	}
	tr.OnDeltaStreamClosed(1, nil)
	tr.OnDeltaStreamClosed(2, nil)
	if n := tr.connected(); n != 0 {
		t.Fatalf("connected = %d after every stream closed", n)
	}
	// A stream that closes before its first request was never a proxy.
	_ = tr.OnDeltaStreamOpen(ctx, 3, "")
	tr.OnDeltaStreamClosed(3, nil)
	if n := tr.connected(); n != 0 || len(tr.streams) != 0 {
		t.Fatalf("connected = %d, streams = %d", n, len(tr.streams))
	}
}
