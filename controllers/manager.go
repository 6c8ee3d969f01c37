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

package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/fleet"
	"github.com/portico-dev/portico/controllers/revisions"
	"github.com/portico-dev/portico/controllers/status"
	"github.com/portico-dev/portico/controllers/usage"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/internal/scheme"
)

// Config configures the controller process.
type Config struct {
	RestConfig *rest.Config
	// XDSListener serves the proxies; XDSAddr is used when it is nil.
	XDSListener             net.Listener
	XDSAddr                 string
	XDSTLS                  *xds.TLSConfig
	MetricsAddr, HealthAddr string
	LeaderElect             bool
	LeaderElectionNamespace string
	// GatewayURL is the base URL of the proxies, for Stage.status.url.
	GatewayURL string
	Log        logr.Logger
	// Registerer gets the xDS metrics; controller-runtime's registry when nil.
	Registerer prometheus.Registerer
	// UsageStore, when set, is the store the proxies count quotas in (their shared Redis):
	// the leader reads it every UsageInterval into UsagePlan.status.usage.
	UsageStore    usage.Counts
	UsageInterval time.Duration
	// Now is the clock of the usage summaries; time.Now when nil.
	Now func() time.Time
	// Fleet tunes the replicas' reports of their proxies, with LeaderElect only.
	Fleet FleetConfig
	// SkipNameValidation lets one process run several controllers (tests of replicas):
	// controller-runtime refuses two controllers of the same name otherwise.
	SkipNameValidation bool
}

// FleetConfig tunes how replicas report their proxies to the leader (package fleet). The
// zero value is production's.
type FleetConfig struct {
	// Identity names this replica; fleet.DefaultIdentity() when empty.
	Identity string
	// Heartbeat and Debounce default to fleet.DefaultHeartbeat and fleet.DefaultDebounce.
	Heartbeat, Debounce time.Duration
	// Now is the clock of the reports' times and ages; time.Now when nil.
	Now func() time.Time
}

// DefaultUsageInterval is how often the usage in UsagePlan.status is refreshed.
const DefaultUsageInterval = time.Minute

// Controller is a configured controller process.
type Controller struct {
	Manager    ctrl.Manager
	XDS        *xds.Server
	Reconciler *Reconciler
	// Fleet is the leader's view of every replica's proxies; nil without LeaderElect.
	Fleet *fleet.View
}

// New assembles the manager, the reconcilers and the xDS server.
func New(cfg Config) (*Controller, error) {
	byObject := map[client.Object]cache.ByObject{
		// Only API key Secrets and Portico's revisions: the rest of the cluster's
		// Secrets and ControllerRevisions are none of the controller's business.
		&corev1.Secret{}:             {Field: fields.OneTermEqualSelector("type", apiv1.APIKeySecretType)},
		&appsv1.ControllerRevision{}: {Label: revisions.Selector()},
	}
	// Several replicas: each reports its proxies in a ConfigMap of the leader election
	// namespace, where alone the controller may read and write ConfigMaps.
	withFleet := cfg.LeaderElect
	if withFleet {
		if cfg.LeaderElectionNamespace == "" {
			return nil, fmt.Errorf("leader election needs a namespace, for the Lease and the replicas' xDS reports")
		}
		byObject[&corev1.ConfigMap{}] = cache.ByObject{
			Label:      fleet.Selector(),
			Namespaces: map[string]cache.Config{cfg.LeaderElectionNamespace: {}},
		}
	}
	mgr, err := ctrl.NewManager(cfg.RestConfig, ctrl.Options{
		Scheme:                  scheme.New(),
		Logger:                  cfg.Log,
		Metrics:                 metricsserver.Options{BindAddress: cfg.MetricsAddr},
		HealthProbeBindAddress:  cfg.HealthAddr,
		LeaderElection:          cfg.LeaderElect,
		LeaderElectionID:        "portico-controller.apigateway.portico.dev",
		LeaderElectionNamespace: cfg.LeaderElectionNamespace,
		// Release the lease on shutdown so that a standby takes over at once.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cache.Options{ByObject: byObject},
		Controller:                    config.Controller{SkipNameValidation: ptr.To(cfg.SkipNameValidation)},
	})
	if err != nil {
		return nil, err
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = metrics.Registry
	}
	server, err := xds.New(xds.Options{Logger: cfg.Log.WithName("xds"), Registerer: reg, TLS: cfg.XDSTLS})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := SetupIndexes(ctx, mgr); err != nil {
		return nil, err
	}
	// One status writer for the reconciler, the Programmed refresher and the usage refresher:
	// each writes its own fields of a status and leaves the others'.
	statusWriter := &status.Writer{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Log: cfg.Log.WithName("status")}
	r := &Reconciler{
		Server:  server,
		Status:  statusWriter,
		Options: compile.Options{GatewayURL: cfg.GatewayURL},
		Leader:  func() bool { return isClosed(mgr.Elected()) },
		Log:     cfg.Log.WithName("restapi"),
	}
	// Programmed follows the proxies' acknowledgements (and, with several replicas, the
	// other replicas' reports) through its own leader-only runnable, not through compiles.
	signals := []<-chan struct{}{server.Subscribe()}
	var view *fleet.View
	if withFleet {
		if view, err = addFleet(mgr, cfg, server); err != nil {
			return nil, err
		}
		r.Server = fleetServer{Server: server, view: view}
		signals = append(signals, view.Changed())
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := mgr.Add(&ProgrammedRefresher{
		Served:     r.ServedStages,
		Programmed: r.Server.Programmed,
		Status:     statusWriter,
		Signals:    signals,
		Log:        cfg.Log.WithName("programmed"),
	}); err != nil {
		return nil, err
	}
	if err := (&KeyGenerator{}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	refs, err := NewDomainRefCache(mgr)
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(RefCacheRunnable{refs}); err != nil {
		return nil, err
	}
	dr := &DomainReconciler{
		Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Server: server, Status: statusWriter,
		Programmed: r.Server.Programmed, Refs: refs,
		Leader: func() bool { return isClosed(mgr.Elected()) }, Log: cfg.Log.WithName("domainname"),
	}
	if err := dr.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	// DomainNames' Programmed follows the proxies as Stages' does, through a refresher of its
	// own (the same signals: xds.Server.Subscribe covers domains and secrets).
	domainSignals := []<-chan struct{}{server.Subscribe()}
	if view != nil {
		domainSignals = append(domainSignals, view.Subscribe())
	}
	if err := mgr.Add(&ProgrammedRefresher{
		Served:     dr.ServedDomains,
		Programmed: r.Server.Programmed,
		Status:     status.DomainProgrammed{Writer: statusWriter},
		Condition:  DomainProgrammedCondition,
		Signals:    domainSignals,
		Log:        cfg.Log.WithName("programmed"),
	}); err != nil {
		return nil, err
	}
	if cfg.UsageStore != nil {
		interval := cfg.UsageInterval
		if interval <= 0 {
			interval = DefaultUsageInterval
		}
		if err := mgr.Add(&usage.Refresher{
			Client:   mgr.GetClient(),
			Store:    cfg.UsageStore,
			Status:   statusWriter,
			Interval: interval,
			Now:      cfg.Now,
			Log:      cfg.Log.WithName("usage"),
		}); err != nil {
			return nil, err
		}
	}
	lis := cfg.XDSListener
	if err := mgr.Add(nonLeader(func(ctx context.Context) error {
		if lis == nil {
			var err error
			if lis, err = net.Listen("tcp", cfg.XDSAddr); err != nil {
				return fmt.Errorf("xDS listener: %w", err)
			}
		}
		return server.Start(ctx, lis)
	})); err != nil {
		return nil, err
	}
	var synced atomic.Bool
	if err := mgr.Add(nonLeader(func(ctx context.Context) error {
		synced.Store(mgr.GetCache().WaitForCacheSync(ctx))
		<-ctx.Done()
		return nil
	})); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("informers", func(*http.Request) error {
		if !synced.Load() {
			return fmt.Errorf("informers not synced yet")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return &Controller{Manager: mgr, XDS: server, Reconciler: r, Fleet: view}, nil
}

// addFleet runs, on every replica, the publisher of its proxies' report, and on the leader the
// view that counts every replica's proxies.
func addFleet(mgr ctrl.Manager, cfg Config, server *xds.Server) (*fleet.View, error) {
	identity := cfg.Fleet.Identity
	if identity == "" {
		identity = fleet.DefaultIdentity()
	}
	log := cfg.Log.WithName("fleet")
	log.Info("reporting this replica's proxies", "identity", identity, "namespace", cfg.LeaderElectionNamespace,
		"configMap", fleet.ConfigMapName(identity))
	pub := &fleet.Publisher{
		Client: mgr.GetClient(), Namespace: cfg.LeaderElectionNamespace, Identity: identity, Source: server,
		Debounce: cfg.Fleet.Debounce, Heartbeat: cfg.Fleet.Heartbeat, Now: cfg.Fleet.Now, Log: log,
	}
	view := &fleet.View{
		Local: server, Self: identity, Namespace: cfg.LeaderElectionNamespace, Informers: mgr.GetCache(),
		Client: mgr.GetClient(), Heartbeat: cfg.Fleet.Heartbeat, Now: cfg.Fleet.Now, Log: log,
	}
	// The view is a leader-only runnable: only the leader writes status.
	if err := errors.Join(mgr.Add(pub), mgr.Add(view)); err != nil {
		return nil, err
	}
	return view, nil
}

// fleetServer is the xDS server whose Programmed counts every replica's proxies.
type fleetServer struct {
	*xds.Server
	view *fleet.View
}

func (s fleetServer) Programmed(stageKey string) xds.ProgrammedStatus {
	return s.view.Programmed(stageKey)
}

// Run runs the controller until ctx is cancelled.
func (c *Controller) Run(ctx context.Context) error { return c.Manager.Start(ctx) }

// nonLeader is a runnable every replica runs, leader or not.
type nonLeader func(context.Context) error

func (f nonLeader) Start(ctx context.Context) error { return f(ctx) }
func (nonLeader) NeedLeaderElection() bool          { return false }

var _ manager.LeaderElectionRunnable = nonLeader(nil)

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
