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
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// DomainToProto translates one domain to its xDS resource.
func DomainToProto(d *ir.Domain) *xdsv1alpha1.DomainSnapshot {
	out := &xdsv1alpha1.DomainSnapshot{
		Key:            d.Key,
		Generation:     d.Generation,
		DomainName:     d.DomainName,
		SecurityPolicy: d.SecurityPolicy,
		Certificate:    d.Certificate,
		Truststore:     d.Truststore,
		HttpRedirect:   d.HTTPRedirect,
	}
	for _, m := range d.Mappings {
		out.Mappings = append(out.Mappings, &xdsv1alpha1.BasePathMapping{BasePath: m.BasePath, Stage: m.Stage})
	}
	return out
}

// SecretToProto translates one secret to its xDS resource.
func SecretToProto(s *ir.Secret) *xdsv1alpha1.TlsSecret {
	return &xdsv1alpha1.TlsSecret{
		Name:             s.Name,
		CertificateChain: slices.Clone(s.Certificate),
		PrivateKey:       slices.Clone(s.PrivateKey),
		TrustedCa:        slices.Clone(s.TrustedCA),
	}
}

// UpdateDomains makes domains and secrets the served ones. As with stages, only resources
// whose content changed are pushed: a renewed certificate re-sends its TlsSecret alone.
func (s *Server) UpdateDomains(domains []ir.Domain, secrets []ir.Secret) (changed int) {
	dres := make(map[string]proto.Message, len(domains))
	for i := range domains {
		dres[domains[i].Key] = DomainToProto(&domains[i])
	}
	sres := make(map[string]proto.Message, len(secrets))
	for i := range secrets {
		sres[secrets[i].Name] = SecretToProto(&secrets[i])
	}
	refs := make(map[string][]string, len(domains))
	for _, d := range domains {
		refs[d.Key] = append([]string{d.Certificate}, nonEmpty(d.Truststore)...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.domainSecrets = refs
	// Secrets first: a proxy that gets a domain before its certificate serves it a moment late,
	// never with a missing key.
	return s.apply(xdsv1alpha1.TLSSecretTypeURL, sres) + s.apply(xdsv1alpha1.DomainSnapshotTypeURL, dres)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// domainProgrammedPrefix starts the Programmed key of a DomainName. A stage key is
// "<namespace>/<name>" with a lower-case namespace, so no stage key starts with it.
const domainProgrammedPrefix = "DomainName/"

// DomainProgrammedKey is the key Programmed and ProgrammedStages report the DomainName of
// domainKey ("<namespace>/<name>") under, next to the stages: the fleet's reports carry both
// alike.
func DomainProgrammedKey(domainKey string) string { return domainProgrammedPrefix + domainKey }

// domainRefsLocked lists the resources a domain is served from, at their current versions:
// its DomainSnapshot and the TlsSecrets it names. A proxy serves the domain as compiled once
// it applied all of them. It returns nil when the domain, or one of its secrets, is not served.
// s.mu must be held.
func (s *Server) domainRefsLocked(domainKey string) []resourceRef {
	v := s.versions[xdsv1alpha1.DomainSnapshotTypeURL][domainKey]
	if v == "" {
		return nil
	}
	refs := []resourceRef{{typeURL: xdsv1alpha1.DomainSnapshotTypeURL, name: domainKey, version: v}}
	for _, name := range s.domainSecrets[domainKey] {
		sv := s.versions[xdsv1alpha1.TLSSecretTypeURL][name]
		if sv == "" {
			return nil
		}
		refs = append(refs, resourceRef{typeURL: xdsv1alpha1.TLSSecretTypeURL, name: name, version: sv})
	}
	return refs
}

// programmedDomain is Programmed for a DomainProgrammedKey.
func (s *Server) programmedDomain(key string) ProgrammedStatus {
	domainKey, _ := strings.CutPrefix(key, domainProgrammedPrefix)
	s.mu.Lock()
	refs := s.domainRefsLocked(domainKey)
	s.mu.Unlock()
	return s.tracker.statusOfRefs(refs)
}

// secretGate refuses to stream TlsSecrets over a channel that is neither TLS nor loopback,
// so that private keys never cross a network in clear. The rest goes to the tracker.
type secretGate struct {
	*tracker
	mu     sync.Mutex
	secure map[streamKey]bool
}

func newSecretGate(t *tracker) *secretGate {
	return &secretGate{tracker: t, secure: map[streamKey]bool{}}
}

// secureChannel reports whether the stream's peer came over TLS or from loopback.
func secureChannel(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false
	}
	if p.AuthInfo != nil && p.AuthInfo.AuthType() == "tls" {
		return true
	}
	if a, ok := p.Addr.(*net.TCPAddr); ok {
		return a.IP.IsLoopback()
	}
	// A unix socket or an in-process pipe does not leave the machine.
	return p.Addr != nil && p.Addr.Network() != "tcp"
}

func (g *secretGate) opened(k streamKey, ctx context.Context) {
	g.mu.Lock()
	g.secure[k] = secureChannel(ctx)
	g.mu.Unlock()
}

func (g *secretGate) check(k streamKey, typeURL string) error {
	if typeURL != xdsv1alpha1.TLSSecretTypeURL {
		return nil
	}
	g.mu.Lock()
	ok := g.secure[k]
	g.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s is served only over TLS (portico controller --xds-tls-cert) or loopback", xdsv1alpha1.TLSSecretTypeURL)
	}
	return nil
}

// OnStreamOpen implements the SotW callbacks.
func (g *secretGate) OnStreamOpen(ctx context.Context, id int64, typeURL string) error {
	g.opened(streamKey{id: id}, ctx)
	return g.tracker.OnStreamOpen(ctx, id, typeURL)
}

// OnDeltaStreamOpen implements the delta callbacks.
func (g *secretGate) OnDeltaStreamOpen(ctx context.Context, id int64, typeURL string) error {
	g.opened(streamKey{delta: true, id: id}, ctx)
	return g.tracker.OnDeltaStreamOpen(ctx, id, typeURL)
}

// OnStreamRequest implements the SotW callbacks.
func (g *secretGate) OnStreamRequest(id int64, req *discoveryv3.DiscoveryRequest) error {
	if err := g.check(streamKey{id: id}, req.GetTypeUrl()); err != nil {
		return err
	}
	return g.tracker.OnStreamRequest(id, req)
}

// OnStreamDeltaRequest implements the delta callbacks.
func (g *secretGate) OnStreamDeltaRequest(id int64, req *discoveryv3.DeltaDiscoveryRequest) error {
	if err := g.check(streamKey{delta: true, id: id}, req.GetTypeUrl()); err != nil {
		return err
	}
	return g.tracker.OnStreamDeltaRequest(id, req)
}

// OnStreamClosed implements the SotW callbacks.
func (g *secretGate) OnStreamClosed(id int64, node *corev3.Node) {
	g.forget(streamKey{id: id})
	g.tracker.OnStreamClosed(id, node)
}

// OnDeltaStreamClosed implements the delta callbacks.
func (g *secretGate) OnDeltaStreamClosed(id int64, node *corev3.Node) {
	g.forget(streamKey{delta: true, id: id})
	g.tracker.OnDeltaStreamClosed(id, node)
}

func (g *secretGate) forget(k streamKey) {
	g.mu.Lock()
	delete(g.secure, k)
	g.mu.Unlock()
}
