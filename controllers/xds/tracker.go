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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/go-logr/logr"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/portico-dev/portico/internal/rejection"
)

// ProgrammedStatus is what the connected proxies report about one stage's current version.
type ProgrammedStatus struct {
	// Version is the stage's current version (see Server.Version); empty when the stage is not
	// served.
	Version string
	// Proxies is the number of connected proxies. Every one counts, whatever it subscribed
	// to: Portico's proxies subscribe to every stage (wildcard).
	Proxies int
	// Acked is the number of connected proxies that acknowledged Version.
	Acked int
	// Programmed is true when at least one proxy is connected and every connected proxy
	// acknowledged Version. With no proxy connected nothing serves the stage, so it is false.
	Programmed bool
	// Error is the error_detail message of a proxy that rejected Version, and ErrorNode that
	// proxy's node ID; both empty when none did. With several, the first node ID in sort
	// order is reported, so that the Stage's condition does not flap between them.
	Error     string
	ErrorNode string
	// PeersPending is set, on a leader of several replicas, while the other replicas' reports
	// of their proxies are not loaded yet: Proxies and Acked then count this replica's only.
	PeersPending bool
}

// tracker follows every xDS stream through the server callbacks: which node it belongs to,
// what each response carried, and which of those the node acknowledged or rejected.
//
// Resource versions are the hex SHA-256 of the resource's deterministic marshaling, which is
// what go-control-plane's LinearCache puts in delta responses and what Server.Update
// computes, so the three agree. Delta responses carry that version per resource; SotW
// responses only carry a cache-wide version_info, so for SotW the tracker hashes each
// resource's bytes itself.
type tracker struct {
	log     logr.Logger
	metrics *metrics
	changed chan struct{}

	// subs are the channels of Server.Subscribe, signalled with changed and, besides, when
	// the served versions change.
	subMu sync.Mutex
	subs  []chan struct{}

	mu      sync.Mutex
	streams map[streamKey]*streamState
	nodes   map[string]*nodeState
}

var _ serverv3.Callbacks = (*tracker)(nil)

// streamKey tells SotW and delta streams apart: go-control-plane numbers each kind from 1.
type streamKey struct {
	delta bool
	id    int64
}

func (k streamKey) String() string {
	if k.delta {
		return fmt.Sprintf("delta-%d", k.id)
	}
	return fmt.Sprintf("sotw-%d", k.id)
}

// maxUnanswered bounds the responses remembered per stream while waiting for their ACK or
// NACK. Clients answer each response in turn, so only a stuck client gets near it.
const maxUnanswered = 64

type streamState struct {
	// node is the node ID, set by the first request: later requests may omit the node.
	node string
	// sent holds the responses not yet acknowledged or rejected, by nonce.
	sent map[string]*sentResponse
	seq  uint64
}

// sentResponse is what one response told a proxy.
type sentResponse struct {
	typeURL  string
	seq      uint64
	versions map[string]string // resource name -> version
	removed  []string
}

type nodeState struct {
	streams int
	// acked and nacked are by type URL, then resource name.
	acked  map[string]map[string]string
	nacked map[string]map[string]nack
}

type nack struct {
	version string
	message string
}

func newTracker(log logr.Logger, m *metrics) *tracker {
	return &tracker{
		log:     log,
		metrics: m,
		changed: make(chan struct{}, 1),
		streams: map[streamKey]*streamState{},
		nodes:   map[string]*nodeState{},
	}
}

// notify signals a change without ever blocking the xDS server: one pending signal stands
// for any number of changes, since the receiver re-reads the state it cares about.
func (t *tracker) notify() {
	signal(t.changed)
	t.notifySubscribers()
}

// notifySubscribers signals the channels of Server.Subscribe only.
func (t *tracker) notifySubscribers() {
	t.subMu.Lock()
	defer t.subMu.Unlock()
	for _, ch := range t.subs {
		signal(ch)
	}
}

func (t *tracker) subscribe() <-chan struct{} {
	ch := make(chan struct{}, 1)
	t.subMu.Lock()
	defer t.subMu.Unlock()
	t.subs = append(t.subs, ch)
	return ch
}

// signal sends on a channel of capacity one unless a signal is already pending.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// OnStreamOpen implements the SotW callbacks.
func (t *tracker) OnStreamOpen(_ context.Context, id int64, _ string) error {
	t.open(streamKey{id: id})
	return nil
}

// OnStreamClosed implements the SotW callbacks.
func (t *tracker) OnStreamClosed(id int64, _ *corev3.Node) {
	t.closeStream(streamKey{id: id})
}

// OnDeltaStreamOpen implements the delta callbacks.
func (t *tracker) OnDeltaStreamOpen(_ context.Context, id int64, _ string) error {
	t.open(streamKey{delta: true, id: id})
	return nil
}

// OnDeltaStreamClosed implements the delta callbacks.
func (t *tracker) OnDeltaStreamClosed(id int64, _ *corev3.Node) {
	t.closeStream(streamKey{delta: true, id: id})
}

// OnStreamRequest implements the SotW callbacks. A request with a response_nonce answers
// that response: an ACK without error_detail, a NACK with one. version_info is not needed:
// the nonce names the response, and the response names its resources.
func (t *tracker) OnStreamRequest(id int64, req *discoveryv3.DiscoveryRequest) error {
	t.request(streamKey{id: id}, req.GetNode(), req.GetTypeUrl(), req.GetResponseNonce(), req.GetErrorDetail().GetMessage(), req.GetErrorDetail() != nil, nil)
	return nil
}

// OnStreamResponse implements the SotW callbacks.
func (t *tracker) OnStreamResponse(_ context.Context, id int64, _ *discoveryv3.DiscoveryRequest, resp *discoveryv3.DiscoveryResponse) {
	versions := make(map[string]string, len(resp.GetResources()))
	for _, r := range resp.GetResources() {
		if name := resourceName(r.GetValue()); name != "" {
			versions[name] = hashBytes(r.GetValue())
		}
	}
	t.response(streamKey{id: id}, resp.GetTypeUrl(), resp.GetNonce(), versions, nil)
}

// OnStreamDeltaRequest implements the delta callbacks. Besides ACKs and NACKs, the first
// request of a reconnecting proxy lists the versions it already has in
// initial_resource_versions; the cache sends nothing for those that are current, so they
// count as acknowledged or the stage would never be Programmed again.
func (t *tracker) OnStreamDeltaRequest(id int64, req *discoveryv3.DeltaDiscoveryRequest) error {
	t.request(streamKey{delta: true, id: id}, req.GetNode(), req.GetTypeUrl(), req.GetResponseNonce(), req.GetErrorDetail().GetMessage(), req.GetErrorDetail() != nil, req.GetInitialResourceVersions())
	return nil
}

// OnStreamDeltaResponse implements the delta callbacks.
func (t *tracker) OnStreamDeltaResponse(id int64, _ *discoveryv3.DeltaDiscoveryRequest, resp *discoveryv3.DeltaDiscoveryResponse) {
	versions := make(map[string]string, len(resp.GetResources()))
	for _, r := range resp.GetResources() {
		versions[r.GetName()] = r.GetVersion()
	}
	t.response(streamKey{delta: true, id: id}, resp.GetTypeUrl(), resp.GetNonce(), versions, resp.GetRemovedResources())
}

// OnFetchRequest implements the REST callbacks; REST is not served.
func (t *tracker) OnFetchRequest(context.Context, *discoveryv3.DiscoveryRequest) error { return nil }

// OnFetchResponse implements the REST callbacks; REST is not served.
func (t *tracker) OnFetchResponse(*discoveryv3.DiscoveryRequest, *discoveryv3.DiscoveryResponse) {
}

func (t *tracker) open(k streamKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.streams[k] = &streamState{sent: map[string]*sentResponse{}}
}

func (t *tracker) closeStream(k streamKey) {
	t.mu.Lock()
	st := t.streams[k]
	delete(t.streams, k)
	gone := ""
	if st != nil && st.node != "" {
		if n := t.nodes[st.node]; n != nil {
			n.streams--
			if n.streams <= 0 {
				delete(t.nodes, st.node)
				gone = st.node
			}
		}
	}
	t.metrics.proxies.Set(float64(len(t.nodes)))
	t.mu.Unlock()
	if gone != "" {
		t.log.Info("proxy disconnected", "node", gone)
		t.notify()
	}
}

func (t *tracker) response(k streamKey, typeURL, nonce string, versions map[string]string, removed []string) {
	t.metrics.pushes.WithLabelValues(typeLabel(typeURL)).Inc()
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.streams[k]
	if st == nil {
		return
	}
	if len(st.sent) >= maxUnanswered {
		// A client that never answers must not grow the tracker without bound; it is not
		// acknowledging anything anyway.
		oldest := ""
		for n, s := range st.sent {
			if oldest == "" || s.seq < st.sent[oldest].seq {
				oldest = n
			}
		}
		delete(st.sent, oldest)
	}
	st.seq++
	st.sent[nonce] = &sentResponse{typeURL: typeURL, seq: st.seq, versions: versions, removed: removed}
}

func (t *tracker) request(k streamKey, node *corev3.Node, typeURL, nonce, errMsg string, isNack bool, initial map[string]string) {
	changed := false
	t.mu.Lock()
	st := t.streams[k]
	if st == nil {
		// Callbacks arrive in order on a stream, so this is a request racing its stream's
		// close; there is nothing left to track.
		t.mu.Unlock()
		return
	}
	if st.node == "" {
		st.node = node.GetId()
		if st.node == "" {
			// A proxy without an ID is still a proxy: give it one of its own.
			st.node = "anonymous-" + k.String()
		}
		n := t.nodes[st.node]
		if n == nil {
			n = &nodeState{acked: map[string]map[string]string{}, nacked: map[string]map[string]nack{}}
			t.nodes[st.node] = n
			t.metrics.proxies.Set(float64(len(t.nodes)))
			t.log.Info("proxy connected", "node", st.node, "stream", k.String())
			changed = true
		}
		n.streams++
	}
	n := t.nodes[st.node]
	for name, version := range initial {
		changed = n.ack(typeURL, name, version) || changed
	}
	if sent := st.sent[nonce]; nonce != "" && sent != nil {
		// A proxy may skip answering a response it has already superseded; drop those too.
		for other, s := range st.sent {
			if s.typeURL == sent.typeURL && s.seq <= sent.seq {
				delete(st.sent, other)
			}
		}
		if isNack {
			// A proxy that applies resources one by one names the ones it rejected
			// (package rejection): the others of the response are applied. A message in
			// another form rejects the whole response.
			reasons, partial := rejection.Parse(errMsg)
			var rejected []string
			for name, version := range sent.versions {
				reason, bad := reasons[name]
				switch {
				case !partial:
					n.nack(sent.typeURL, name, version, capMessage(errMsg))
				case bad:
					n.nack(sent.typeURL, name, version, reason)
				default:
					n.ack(sent.typeURL, name, version)
					continue
				}
				rejected = append(rejected, name)
			}
			if partial {
				for _, name := range sent.removed {
					n.forget(sent.typeURL, name)
				}
			}
			sort.Strings(rejected)
			changed = true
			t.metrics.nacks.WithLabelValues(typeLabel(sent.typeURL)).Inc()
			t.log.Info("proxy rejected xDS resources", "node", st.node, "type", typeLabel(sent.typeURL),
				"rejected", rejected, "applied", len(sent.versions)-len(rejected), "error", errMsg)
		} else {
			for name, version := range sent.versions {
				changed = n.ack(sent.typeURL, name, version) || changed
			}
			for _, name := range sent.removed {
				changed = n.forget(sent.typeURL, name) || changed
			}
		}
	}
	t.mu.Unlock()
	if changed {
		t.notify()
	}
}

// maxMessage bounds the rejection message kept per resource and node, for a NACK that names
// no resource: a proxy may send tens of KiB, and a tracker holds one per resource.
const maxMessage = 4096

func capMessage(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && msg[cut]&0xC0 == 0x80 {
		cut--
	}
	return msg[:cut] + "..."
}

// ack records that the node applied version of a resource, which supersedes any rejection.
func (n *nodeState) ack(typeURL, name, version string) bool {
	byName := n.acked[typeURL]
	if byName == nil {
		byName = map[string]string{}
		n.acked[typeURL] = byName
	}
	_, hadNack := n.nacked[typeURL][name]
	delete(n.nacked[typeURL], name)
	if byName[name] == version && !hadNack {
		return false
	}
	byName[name] = version
	return true
}

// nack records a rejection. The node keeps serving what it acknowledged before, so acked
// stays as it is.
func (n *nodeState) nack(typeURL, name, version, message string) {
	byName := n.nacked[typeURL]
	if byName == nil {
		byName = map[string]nack{}
		n.nacked[typeURL] = byName
	}
	byName[name] = nack{version: version, message: message}
}

// forget records that the node dropped a resource the server removed.
func (n *nodeState) forget(typeURL, name string) bool {
	_, hadAck := n.acked[typeURL][name]
	_, hadNack := n.nacked[typeURL][name]
	delete(n.acked[typeURL], name)
	delete(n.nacked[typeURL], name)
	return hadAck || hadNack
}

// status reports the connected proxies' view of version of one resource.
func (t *tracker) status(typeURL, name, version string) ProgrammedStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.statusLocked(typeURL, name, version)
}

// statusAll is status for every resource of versions (name to version), read at one instant:
// the proxy count is the same in every entry, and is returned for a server with no resource.
func (t *tracker) statusAll(typeURL string, versions map[string]string) (int, map[string]ProgrammedStatus) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]ProgrammedStatus, len(versions))
	for name, version := range versions {
		out[name] = t.statusLocked(typeURL, name, version)
	}
	return len(t.nodes), out
}

func (t *tracker) statusLocked(typeURL, name, version string) ProgrammedStatus {
	s := ProgrammedStatus{Version: version, Proxies: len(t.nodes)}
	var nackNodes []string
	for id, n := range t.nodes {
		if version == "" {
			continue
		}
		if n.acked[typeURL][name] == version {
			s.Acked++
		}
		if nk, ok := n.nacked[typeURL][name]; ok && nk.version == version {
			nackNodes = append(nackNodes, id)
		}
	}
	s.Programmed = version != "" && s.Proxies > 0 && s.Acked == s.Proxies
	if len(nackNodes) > 0 {
		sort.Strings(nackNodes)
		s.ErrorNode = nackNodes[0]
		s.Error = t.nodes[s.ErrorNode].nacked[typeURL][name].message
	}
	return s
}

// resourceRef is one resource at one version.
type resourceRef struct{ typeURL, name, version string }

// statusOfRefs is status for a thing served from several resources (a domain: its snapshot
// and secrets): a proxy counts as having applied it when it acknowledged every one at its
// version, and a rejection of any is the thing's rejection. Version combines theirs; with no
// resource the thing is not served.
func (t *tracker) statusOfRefs(refs []resourceRef) ProgrammedStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(refs) == 0 {
		return ProgrammedStatus{Proxies: len(t.nodes)}
	}
	h := sha256.New()
	for _, r := range refs {
		h.Write([]byte(r.typeURL + "\x00" + r.name + "\x00" + r.version + "\x00"))
	}
	s := ProgrammedStatus{Version: hex.EncodeToString(h.Sum(nil)), Proxies: len(t.nodes)}
	var nackNodes []string
	msg := map[string]string{}
	for id, n := range t.nodes {
		all := true
		for _, r := range refs {
			if n.acked[r.typeURL][r.name] != r.version {
				all = false
			}
			if nk, ok := n.nacked[r.typeURL][r.name]; ok && nk.version == r.version {
				if _, had := msg[id]; !had {
					nackNodes = append(nackNodes, id)
					msg[id] = nk.message
				}
			}
		}
		if all {
			s.Acked++
		}
	}
	s.Programmed = s.Proxies > 0 && s.Acked == s.Proxies
	if len(nackNodes) > 0 {
		sort.Strings(nackNodes)
		s.ErrorNode, s.Error = nackNodes[0], msg[nackNodes[0]]
	}
	return s
}

func (t *tracker) connected() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.nodes)
}

// resourceName reads a SotW resource's name from its bytes without decoding the rest (a
// stage snapshot can be large, and is sent to every proxy). Both served types keep their
// name in field 1: StageSnapshot.key and ClusterLoadAssignment.cluster_name; a test pins it.
func resourceName(b []byte) string {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return ""
			}
			return string(v)
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return ""
		}
		b = b[n:]
	}
	return ""
}

// hashBytes is the version of a marshaled resource, the same as go-control-plane's
// cache.HashResource.
func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
