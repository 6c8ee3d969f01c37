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
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"strings"
	"sync"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

const (
	// keepaliveTime is how long a connection may be silent before the server pings it, so
	// that a proxy that vanished without closing (node lost, partition) stops counting as
	// connected within a minute rather than after the kernel's TCP timeout.
	keepaliveTime    = 30 * time.Second
	keepaliveTimeout = 10 * time.Second
	// keepaliveMinTime is the most frequent client ping tolerated. ADS streams are long-lived
	// and mostly idle, so clients ping; anything faster than this is abuse and gets the
	// connection closed with ENHANCE_YOUR_CALM.
	keepaliveMinTime = 10 * time.Second
	// stopGrace bounds the graceful stop: the xDS handlers return as soon as the context is
	// cancelled, so this only waits for responses being written.
	stopGrace = 5 * time.Second
)

// Options configure a Server.
type Options struct {
	// Logger receives the server's logs, and go-control-plane's at higher verbosity.
	Logger logr.Logger
	// Registerer gets the portico_xds_* metrics; nil skips registration.
	Registerer prometheus.Registerer
	// TLS, when set, serves TLS (and mutual TLS when TLS.CAFile is set) instead of plaintext.
	TLS *TLSConfig
}

// Server serves stage snapshots and endpoints to Portico's proxies over ADS, SotW and delta.
// Update is called after each compile; Programmed reports what the proxies acknowledged.
type Server struct {
	log     logr.Logger
	tls     *tls.Config
	metrics *metrics
	tracker *tracker
	caches  map[string]*cachev3.LinearCache
	mux     *cachev3.MuxCache

	// mu serializes Update and guards versions: by type URL, resource name to version.
	mu       sync.Mutex
	versions map[string]map[string]string
	// domainSecrets are the TlsSecrets each served domain names, by domain key.
	domainSecrets map[string][]string
}

// New creates a Server. It serves nothing until Start, but Update may be called before.
func New(opts Options) (*Server, error) {
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{
		log:      log,
		metrics:  m,
		tracker:  newTracker(log, m),
		caches:   map[string]*cachev3.LinearCache{},
		versions: map[string]map[string]string{},
	}
	if opts.TLS != nil {
		if s.tls, err = opts.TLS.serverConfig(log); err != nil {
			return nil, err
		}
	}
	// One LinearCache per type: snapshots (cachev3.NewSnapshot) only accept Envoy's type
	// URLs, and a LinearCache only recomputes what changed, per resource.
	caches := map[string]cachev3.Cache{}
	for _, typeURL := range servedTypes {
		c := cachev3.NewLinearCache(typeURL, cachev3.WithLogger(cpLogger{log.WithName("cache")}))
		s.caches[typeURL] = c
		caches[typeURL] = c
	}
	s.mux = &cachev3.MuxCache{
		Classify:      func(r *cachev3.Request) string { return r.GetTypeUrl() },
		ClassifyDelta: func(r *cachev3.DeltaRequest) string { return r.GetTypeUrl() },
		Caches:        caches,
	}
	return s, nil
}

// Update makes stages and endpoints the served state and returns how many resources it
// added, changed or removed. A resource's version is the hex SHA-256 of its deterministic
// protobuf marshaling; only resources whose version changed go to the cache, so an
// unchanged compile pushes nothing and a change to one stage re-pushes only that stage.
// Resources absent from the arguments are removed (delta clients see removed_resources).
func (s *Server) Update(stages []ir.Stage, endpoints []ir.Endpoints) (changed int) {
	stageRes := make(map[string]proto.Message, len(stages))
	for i := range stages {
		stageRes[stages[i].Key] = StageToProto(&stages[i])
	}
	claRes := make(map[string]proto.Message, len(endpoints))
	for _, e := range endpoints {
		claRes[e.Cluster] = EndpointsToCLA(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apply(xdsv1alpha1.StageSnapshotTypeURL, stageRes) + s.apply(resource.EndpointType, claRes)
}

// UpdateStages sets the given stages and removes the named ones, leaving every other stage
// as it is: the incremental form of Update, for a controller that recompiles one API at a
// time and must not translate and hash every other API's stages on each change.
func (s *Server) UpdateStages(set []ir.Stage, remove []string) (changed int) {
	res := make(map[string]proto.Message, len(set))
	for i := range set {
		res[set[i].Key] = StageToProto(&set[i])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applyPartial(xdsv1alpha1.StageSnapshotTypeURL, res, remove)
}

// UpdateEndpoints sets the given endpoint sets and removes the named clusters, leaving the
// others as they are.
func (s *Server) UpdateEndpoints(set []ir.Endpoints, remove []string) (changed int) {
	res := make(map[string]proto.Message, len(set))
	for _, e := range set {
		res[e.Cluster] = EndpointsToCLA(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applyPartial(resource.EndpointType, res, remove)
}

// applyPartial is apply over the named resources only.
func (s *Server) applyPartial(typeURL string, set map[string]proto.Message, remove []string) int {
	want := make(map[string]proto.Message, len(s.versions[typeURL])+len(set))
	for name := range s.versions[typeURL] {
		want[name] = nil // unchanged: keep the current version
	}
	for _, name := range remove {
		delete(want, name)
	}
	for name, msg := range set {
		want[name] = msg
	}
	return s.apply(typeURL, want)
}

// apply makes want the served resources of typeURL. A nil message keeps the current version of
// that resource without translating it again.
func (s *Server) apply(typeURL string, want map[string]proto.Message) int {
	cur := s.versions[typeURL]
	next := make(map[string]string, len(want))
	update := map[string]types.Resource{}
	for name, msg := range want {
		if msg == nil {
			if v, ok := cur[name]; ok {
				next[name] = v
			}
			continue
		}
		v, err := versionOf(msg)
		if err != nil {
			// Cannot happen with well-formed messages; keep serving what was there.
			s.log.Error(err, "not serving an xDS resource", "type", typeLabel(typeURL), "name", name)
			if old, ok := cur[name]; ok {
				next[name] = old
			}
			continue
		}
		next[name] = v
		if cur[name] != v {
			update[name] = msg
		}
	}
	var remove []string
	for name := range cur {
		if _, ok := next[name]; !ok {
			remove = append(remove, name)
		}
	}
	s.versions[typeURL] = next
	s.metrics.resources.WithLabelValues(typeLabel(typeURL)).Set(float64(len(next)))
	if len(update) == 0 && len(remove) == 0 {
		return 0
	}
	// The only error is a resource that fails to marshal, which versionOf already ruled out.
	if err := s.caches[typeURL].UpdateResources(update, remove); err != nil {
		s.log.Error(err, "updating the xDS cache", "type", typeLabel(typeURL))
	}
	s.log.V(1).Info("xDS resources updated", "type", typeLabel(typeURL), "changed", len(update), "removed", len(remove))
	if typeURL != resource.EndpointType {
		// A stage's, domain's or secret's version is part of what Programmed reports.
		s.tracker.notifySubscribers()
	}
	return len(update) + len(remove)
}

// versionOf is the version of an xDS resource: the hex SHA-256 of its deterministic
// marshaling, the same as go-control-plane puts in delta responses.
func versionOf(m proto.Message) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("marshaling %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return hashBytes(b), nil
}

// Version is the current version of a stage's snapshot, empty when the stage is not served.
func (s *Server) Version(stageKey string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versions[xdsv1alpha1.StageSnapshotTypeURL][stageKey]
}

// Programmed reports whether the connected proxies applied the stage's current version, or,
// for a DomainProgrammedKey, the domain's snapshot and secrets.
func (s *Server) Programmed(stageKey string) ProgrammedStatus {
	if strings.HasPrefix(stageKey, domainProgrammedPrefix) {
		return s.programmedDomain(stageKey)
	}
	return s.tracker.status(xdsv1alpha1.StageSnapshotTypeURL, stageKey, s.Version(stageKey))
}

// ProgrammedStages is Programmed for every served stage, by stage key, and every served
// domain, by DomainProgrammedKey, read at one instant, and the number of connected proxies
// (which every entry also carries).
func (s *Server) ProgrammedStages() (proxies int, stages map[string]ProgrammedStatus) {
	s.mu.Lock()
	versions := maps.Clone(s.versions[xdsv1alpha1.StageSnapshotTypeURL])
	domains := map[string][]resourceRef{}
	for key := range s.versions[xdsv1alpha1.DomainSnapshotTypeURL] {
		if refs := s.domainRefsLocked(key); refs != nil {
			domains[DomainProgrammedKey(key)] = refs
		}
	}
	s.mu.Unlock()
	proxies, stages = s.tracker.statusAll(xdsv1alpha1.StageSnapshotTypeURL, versions)
	for key, refs := range domains {
		stages[key] = s.tracker.statusOfRefs(refs)
	}
	return proxies, stages
}

// ConnectedProxies is the number of proxies (distinct node IDs) with an open stream.
func (s *Server) ConnectedProxies() int {
	return s.tracker.connected()
}

// Changed receives a value after a proxy connects or disconnects, or acknowledges or rejects
// a resource: the moments Programmed may change. Signals coalesce (the channel holds one),
// so a receiver re-reads Programmed for every stage it cares about.
func (s *Server) Changed() <-chan struct{} {
	return s.tracker.changed
}

// Subscribe returns a new channel that receives a value whenever ProgrammedStages may have
// changed: what Changed signals, and besides a change of the served stages' versions (which
// Changed leaves out: the reconciler that makes those changes knows of them). Signals
// coalesce as Changed's do. A subscription lasts as long as the Server.
func (s *Server) Subscribe() <-chan struct{} {
	return s.tracker.subscribe()
}

// Start serves ADS (SotW and delta) on lis until ctx is cancelled, then stops gracefully:
// open streams end, so proxies reconnect to another replica. It returns nil after a stop
// caused by ctx, or the error that ended serving.
func (s *Server) Start(ctx context.Context, lis net.Listener) error {
	opts := []grpc.ServerOption{
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: keepaliveTime, Timeout: keepaliveTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
	}
	if s.tls != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(s.tls)))
	}
	gs := grpc.NewServer(opts...)
	// The xDS handlers return when this context ends; without that, GracefulStop would wait
	// forever for streams that never finish on their own.
	xds := serverv3.NewServer(ctx, s.mux, newSecretGate(s.tracker), sotw.WithLogger(cpLogger{s.log.WithName("server")}))
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, xds)

	serveErr := make(chan error, 1)
	go func() { serveErr <- gs.Serve(lis) }()
	s.log.Info("serving xDS", "address", lis.Addr().String(), "tls", s.tls != nil, "mtls", s.tls != nil && s.tls.ClientCAs != nil)

	select {
	case err := <-serveErr:
		if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return fmt.Errorf("serving xDS: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() {
		gs.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(stopGrace):
		gs.Stop()
		<-stopped
	}
	s.log.Info("stopped serving xDS")
	return nil
}

// cpLogger adapts go-control-plane's logger to logr. Its Info level logs every watch, so it
// goes to V(2), and Debug to V(4).
type cpLogger struct{ l logr.Logger }

func (c cpLogger) Debugf(format string, args ...any) {
	if v := c.l.V(4); v.Enabled() {
		v.Info(fmt.Sprintf(format, args...))
	}
}

func (c cpLogger) Infof(format string, args ...any) {
	if v := c.l.V(2); v.Enabled() {
		v.Info(fmt.Sprintf(format, args...))
	}
}

func (c cpLogger) Warnf(format string, args ...any) {
	c.l.Info(fmt.Sprintf(format, args...))
}

func (c cpLogger) Errorf(format string, args ...any) {
	c.l.Error(nil, fmt.Sprintf(format, args...))
}
