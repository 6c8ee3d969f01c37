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
	"sync"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/revisions"
	"github.com/portico-dev/portico/controllers/status"
	"github.com/portico-dev/portico/controllers/xds"
)

// SnapshotServer is what the reconciler needs of the xDS server.
type SnapshotServer interface {
	UpdateStages(set []ir.Stage, remove []string) (changed int)
	UpdateEndpoints(set []ir.Endpoints, remove []string) (changed int)
	// Programmed is what the proxies acknowledged of the stage. With several replicas it
	// counts every replica's proxies (package fleet), so that the leader's status does not
	// only reflect the proxies connected to itself.
	Programmed(stageKey string) xds.ProgrammedStatus
}

// StatusWriter persists the compiler's statuses.
type StatusWriter interface {
	Write(ctx context.Context, statuses []compile.ObjectStatus, programmed status.ProgrammedFunc) (status.Result, error)
}

// Reconciler compiles one RestApi at a time (its Routes, Authorizers, Stages and the usage
// plans and keys bound to them), stores new revisions, publishes the API's stages to the xDS
// server and writes statuses.
//
// Every replica compiles and serves xDS, so proxies may connect to any of them; only the
// elected leader writes revisions and statuses. Followers compute the same revision numbers
// from the same stored revisions, so what they serve matches the leader.
type Reconciler struct {
	Client  client.Client
	Server  SnapshotServer
	Status  StatusWriter
	Options compile.Options
	// Leader reports whether this replica may write. Nil means always.
	Leader func() bool
	Log    logr.Logger

	mu    sync.Mutex
	world map[types.NamespacedName]published
}

// published is what one RestApi contributes to the served state.
type published struct {
	stages    []ir.Stage
	endpoints []ir.Endpoints
}

// Reconcile compiles the RestApi named by req.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	start := time.Now()
	in, err := r.inputs(ctx, req.NamespacedName)
	if err != nil {
		return ctrl.Result{}, err
	}
	out := compile.Compile(in)
	compileSeconds.Observe(time.Since(start).Seconds())

	leader := r.Leader == nil || r.Leader()
	if leader {
		if err := revisions.Apply(ctx, r.Client, out); err != nil {
			return ctrl.Result{}, fmt.Errorf("storing revisions of %s: %w", req.NamespacedName, err)
		}
	}
	changed := r.publish(req.NamespacedName, out)
	if leader {
		if _, err := r.Status.Write(ctx, out.Statuses, r.programmed); err != nil {
			return ctrl.Result{}, err
		}
	}
	r.Log.V(1).Info("compiled", "restApi", req.NamespacedName, "stages", len(out.Stages),
		"newRevisions", len(out.NewRevisions), "changedResources", changed, "took", time.Since(start))
	return ctrl.Result{}, nil
}

// inputs reads, from the cache, what compiling one RestApi needs; a revision that does not
// decode is logged and left out.
func (r *Reconciler) inputs(ctx context.Context, api types.NamespacedName) (compile.Inputs, error) {
	in, problems, err := ReadInputs(ctx, r.Client, api, true)
	for _, p := range problems {
		r.Log.Error(p, "ignoring a revision that does not decode", "restApi", api)
	}
	in.Options = r.Options
	return in, err
}

// ReadInputs reads through c what compiling one RestApi needs: its own objects, the
// revisions it keeps, and the cluster's RestApis and Stages for the checks that span APIs (a
// stage path is claimed once). indexed lists the API's routes by the controller's field
// index (IndexRouteRestApi); a client without it (a plain API client, as kubectl portico's)
// lists the namespace's and keeps the API's. The revisions that do not decode are returned
// apart, and left out of the inputs.
func ReadInputs(ctx context.Context, c client.Reader, api types.NamespacedName, indexed bool) (compile.Inputs, []error, error) {
	in := compile.Inputs{Scope: []compile.NamespacedName{{Namespace: api.Namespace, Name: api.Name}}}
	ns := client.InNamespace(api.Namespace)
	routeOpts := []client.ListOption{ns}
	if indexed {
		routeOpts = append(routeOpts, client.MatchingFields{IndexRouteRestApi: api.Name})
	}
	var (
		apis    apiv1.RestApiList
		routes  apiv1.RouteList
		authzs  apiv1.AuthorizerList
		plans   apiv1.UsagePlanList
		stages  apiv1.StageList
		secrets corev1.SecretList
		svcs    corev1.ServiceList
		slices  discoveryv1.EndpointSliceList
		revs    appsv1.ControllerRevisionList
	)
	err := errors.Join(
		c.List(ctx, &apis),
		c.List(ctx, &stages),
		c.List(ctx, &routes, routeOpts...),
		c.List(ctx, &authzs, ns),
		c.List(ctx, &plans, ns),
		c.List(ctx, &secrets, ns, client.MatchingFields{IndexSecretType: apiv1.APIKeySecretType}),
		c.List(ctx, &svcs, ns),
		c.List(ctx, &slices, ns),
		c.List(ctx, &revs, ns, client.MatchingLabels{revisions.LabelRestApi: api.Name}),
	)
	if err != nil {
		return in, nil, err
	}
	decoded, problems := revisions.Decode(revs.Items)
	in.RestApis, in.Stages, in.Authorizers, in.UsagePlans = apis.Items, stages.Items, authzs.Items, plans.Items
	for _, rt := range routes.Items {
		if rt.Spec.RestApiRef.Name == api.Name {
			in.Routes = append(in.Routes, rt)
		}
	}
	in.Secrets, in.Services, in.EndpointSlices, in.Revisions = secrets.Items, svcs.Items, slices.Items, decoded
	return in, problems, nil
}

// publish hands the API's stages and endpoints to the xDS server, which pushes only what
// changed. Only this API's resources are passed: the cost of a change does not grow with the
// number of other APIs. An endpoint set is removed when no API uses it any more.
func (r *Reconciler) publish(api types.NamespacedName, out compile.Output) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.world == nil {
		r.world = map[types.NamespacedName]published{}
	}
	old := r.world[api]
	if len(out.Stages) == 0 && len(out.Endpoints) == 0 {
		delete(r.world, api)
	} else {
		r.world[api] = published{stages: out.Stages, endpoints: out.Endpoints}
	}

	keep := map[string]bool{}
	for _, s := range out.Stages {
		keep[s.Key] = true
	}
	var removeStages []string
	for _, s := range old.stages {
		if !keep[s.Key] {
			removeStages = append(removeStages, s.Key)
		}
	}
	inUse := map[string]bool{}
	for _, e := range out.Endpoints {
		inUse[e.Cluster] = true
	}
	var removeEndpoints []string
	for _, e := range old.endpoints {
		if !inUse[e.Cluster] && !r.clusterUsedLocked(e.Cluster) {
			removeEndpoints = append(removeEndpoints, e.Cluster)
		}
	}
	return r.Server.UpdateStages(out.Stages, removeStages) + r.Server.UpdateEndpoints(out.Endpoints, removeEndpoints)
}

// clusterUsedLocked reports whether any published API uses the endpoint set.
func (r *Reconciler) clusterUsedLocked(cluster string) bool {
	for _, p := range r.world {
		for _, e := range p.endpoints {
			if e.Cluster == cluster {
				return true
			}
		}
	}
	return false
}

// ServedStages lists the stages this replica serves, by stage key, with the generation of
// the Stage each was compiled from: what ProgrammedRefresher refreshes.
func (r *Reconciler) ServedStages() map[string]ServedStage {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]ServedStage{}
	for _, p := range r.world {
		for _, s := range p.stages {
			out[s.Key] = servedStage(s.Key, s.Generation)
		}
	}
	return out
}

// programmed is the Programmed condition the status writer gives a Stage it compiled.
func (r *Reconciler) programmed(stageKey string, generation int64) *metav1.Condition {
	return ProgrammedCondition(r.Server.Programmed(stageKey), generation)
}
