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
	"fmt"
	"maps"
	"slices"
	"strings"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
)

// subscribedTypes are the types the client subscribes to, in the order it subscribes: stages
// first, so that the first configuration applied has routes, and endpoints right after.
var subscribedTypes = []string{xdsv1alpha1.StageSnapshotTypeURL, resource.EndpointType}

// update is one delta response, decoded and validated in full.
type update struct {
	typeURL string
	// set holds the resources the response carried, by name.
	set map[string]decoded
	// removed names the resources the response removed.
	removed []string
}

type decoded struct {
	version string
	// msg is nil for a heartbeat: a resource sent without a body to say the held version is
	// still current.
	msg proto.Message
}

// decodeResponse decodes and validates every resource of resp against cur, the state the
// response applies to. A resource that fails is left out of the update and returned in
// rejected, by name, with why: the others still apply (gRFC A46). err is for what cannot be
// pinned on one resource (a type not subscribed to, a resource without a name): the whole
// response is then refused; it lists every problem found, so that one NACK tells the
// operator about all of them.
func decodeResponse(cur *config.Config, resp *discoveryv3.DeltaDiscoveryResponse) (u *update, rejected map[string]error, err error) {
	u = &update{typeURL: resp.GetTypeUrl(), set: make(map[string]decoded, len(resp.GetResources()))}
	if !subscribed(u.typeURL) {
		return nil, nil, fmt.Errorf("response for type %q, which was not subscribed to", u.typeURL)
	}
	var errs []error
	reject := func(name string, err error) {
		if rejected == nil {
			rejected = map[string]error{}
		}
		if _, ok := rejected[name]; !ok {
			rejected[name] = err
		}
	}
	seen := make(map[string]bool, len(resp.GetResources()))
	for i, r := range resp.GetResources() {
		name := r.GetName()
		if name == "" {
			errs = append(errs, fmt.Errorf("resource %d: empty name", i))
			continue
		}
		if seen[name] {
			// Which of the two was meant is anybody's guess: neither applies.
			delete(u.set, name)
			reject(name, errors.New("sent twice in one response"))
			continue
		}
		seen[name] = true
		msg, err := decodeResource(u.typeURL, name, r.GetResource())
		if err == nil && msg == nil && (r.GetVersion() == "" || cur.Versions[u.typeURL][name] != r.GetVersion()) {
			err = errors.New("no resource body, and not a heartbeat for the version held")
		}
		if err != nil {
			reject(name, err)
			continue
		}
		u.set[name] = decoded{version: r.GetVersion(), msg: msg}
	}
	for _, name := range resp.GetRemovedResources() {
		switch {
		case name == "":
			errs = append(errs, errors.New("removed resource with an empty name"))
		case seen[name]:
			delete(u.set, name)
			reject(name, errors.New("both sent and removed in one response"))
		default:
			u.removed = append(u.removed, name)
		}
	}
	if len(errs) > 0 {
		for _, name := range slices.Sorted(maps.Keys(rejected)) {
			errs = append(errs, fmt.Errorf("%s: %w", name, rejected[name]))
		}
		return nil, nil, joinErrors(errs)
	}
	for name := range rejected {
		delete(u.set, name)
	}
	return u, rejected, nil
}

func subscribed(typeURL string) bool {
	for _, t := range knownTypes {
		if t == typeURL {
			return true
		}
	}
	return false
}

// decodeResource unpacks and validates one resource. A nil body yields a nil message and no
// error: the caller decides whether that is a heartbeat.
func decodeResource(typeURL, name string, body *anypb.Any) (proto.Message, error) {
	if body == nil {
		return nil, nil
	}
	if body.GetTypeUrl() != typeURL {
		return nil, fmt.Errorf("resource of type %q in a %q response", body.GetTypeUrl(), typeURL)
	}
	switch typeURL {
	case xdsv1alpha1.StageSnapshotTypeURL:
		s := &xdsv1alpha1.StageSnapshot{}
		if err := proto.Unmarshal(body.GetValue(), s); err != nil {
			return nil, fmt.Errorf("decoding StageSnapshot: %w", err)
		}
		return s, validateStage(name, s)
	case resource.EndpointType:
		cla := &endpointv3.ClusterLoadAssignment{}
		if err := proto.Unmarshal(body.GetValue(), cla); err != nil {
			return nil, fmt.Errorf("decoding ClusterLoadAssignment: %w", err)
		}
		return cla, validateEndpoints(name, cla)
	}
	return decodeDomainResource(typeURL, name, body)
}

// validateStage checks what the wire must guarantee for the snapshot to be usable at all.
// Whether the routes, templates and schemas make sense is the Applier's to judge when it
// builds them; a backend cluster without endpoints yet is not an error (EDS may come later).
func validateStage(name string, s *xdsv1alpha1.StageSnapshot) error {
	var errs []error
	if s.GetKey() != name {
		errs = append(errs, fmt.Errorf("key %q does not match the resource name", s.GetKey()))
	}
	if s.GetApi() == nil {
		errs = append(errs, errors.New("no api"))
	}
	if c := s.GetCanary(); c != nil && !(c.GetPercentTraffic() >= 0 && c.GetPercentTraffic() <= 100) {
		errs = append(errs, fmt.Errorf("canary percentTraffic %v is not within 0..100", c.GetPercentTraffic()))
	}
	errs = append(errs, validateBackends("api", s.GetApi())...)
	errs = append(errs, validateBackends("canary.api", s.GetCanary().GetApi())...)
	for _, p := range s.GetUsagePlans() {
		for _, k := range p.GetKeys() {
			// A key must only ever travel hashed: anything but a hex SHA-256 may be a key in
			// clear text, and must not be loaded, logged or shown.
			if k.GetId() == "" || !isHexSHA256(k.GetSha256()) {
				errs = append(errs, fmt.Errorf("usage plan %q: key %q without a hex SHA-256 hash", p.GetName(), k.GetId()))
			}
		}
	}
	return joinErrors(errs)
}

func validateBackends(where string, a *xdsv1alpha1.Api) []error {
	var errs []error
	for _, r := range a.GetRoutes() {
		if b := r.GetIntegration().GetBackend(); b != nil && b.GetCluster() == "" {
			errs = append(errs, fmt.Errorf("%s: route %q: backend without a cluster", where, r.GetName()))
		}
	}
	for _, au := range a.GetAuthorizers() {
		if b := au.GetFunction().GetBackend(); b != nil && b.GetCluster() == "" {
			errs = append(errs, fmt.Errorf("%s: authorizer %q: backend without a cluster", where, au.GetName()))
		}
	}
	return errs
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// validateEndpoints checks the assignment's name and Envoy's own constraints on it (addresses
// and ports present, weights in range).
func validateEndpoints(name string, cla *endpointv3.ClusterLoadAssignment) error {
	if cla.GetClusterName() != name {
		return fmt.Errorf("cluster_name %q does not match the resource name", cla.GetClusterName())
	}
	if err := cla.ValidateAll(); err != nil {
		return err
	}
	return nil
}

// joinErrors is errors.Join on one line: the message goes into a NACK's error_detail and from
// there into a Stage's Programmed condition.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return &joined{msg: strings.Join(msgs, "; "), errs: errs}
}

type joined struct {
	msg  string
	errs []error
}

func (j *joined) Error() string   { return j.msg }
func (j *joined) Unwrap() []error { return j.errs }

// emptyConfig is the state before anything was received.
func emptyConfig() *config.Config {
	versions := make(map[string]map[string]string, len(knownTypes))
	for _, t := range knownTypes {
		versions[t] = map[string]string{}
	}
	return &config.Config{
		Stages:    map[string]*xdsv1alpha1.StageSnapshot{},
		Endpoints: map[string]*endpointv3.ClusterLoadAssignment{},
		Domains:   map[string]*xdsv1alpha1.DomainSnapshot{},
		Secrets:   map[string]*xdsv1alpha1.TlsSecret{},
		Versions:  versions,
	}
}

// applyTo returns cur with u applied, and whether anything changed. cur is not modified: the
// maps of the updated type are copied, the others shared, since a Config never changes.
func (u *update) applyTo(cur *config.Config) (*config.Config, bool) {
	next := &config.Config{Stages: cur.Stages, Endpoints: cur.Endpoints, Domains: cur.Domains, Secrets: cur.Secrets, Versions: maps.Clone(cur.Versions)}
	curVersions := cur.Versions[u.typeURL]
	changed := false
	for name, d := range u.set {
		if d.msg != nil && (d.version == "" || curVersions[name] != d.version) {
			changed = true
			break
		}
	}
	for _, name := range u.removed {
		if _, ok := curVersions[name]; ok {
			changed = true
			break
		}
	}
	if !changed {
		return cur, false
	}
	versions := maps.Clone(curVersions)
	if versions == nil {
		versions = map[string]string{}
	}
	switch u.typeURL {
	case xdsv1alpha1.StageSnapshotTypeURL:
		next.Stages = merge(cur.Stages, u, versions)
	case resource.EndpointType:
		next.Endpoints = merge(cur.Endpoints, u, versions)
	case xdsv1alpha1.DomainSnapshotTypeURL:
		next.Domains = merge(cur.Domains, u, versions)
	case xdsv1alpha1.TLSSecretTypeURL:
		next.Secrets = merge(cur.Secrets, u, versions)
	}
	next.Versions[u.typeURL] = versions
	return next, true
}

// merge applies u to a copy of cur, and records the versions.
func merge[M proto.Message](cur map[string]M, u *update, versions map[string]string) map[string]M {
	out := maps.Clone(cur)
	if out == nil {
		out = map[string]M{}
	}
	for _, name := range u.removed {
		delete(out, name)
		delete(versions, name)
	}
	for name, d := range u.set {
		if d.msg == nil {
			continue // a heartbeat: the held version stays
		}
		out[name] = d.msg.(M)
		versions[name] = d.version
	}
	return out
}
