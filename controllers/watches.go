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
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/revisions"
)

// Field indexes the reconciler and its watches look objects up by.
const (
	IndexRouteRestApi      = "spec.restApiRef.name"
	IndexRouteAuthorizer   = "route.authorizer"
	IndexRouteService      = "route.service"
	IndexRestApiAuthorizer = "restapi.defaultAuthorizer"
	IndexAuthorizerService = "authorizer.service"
	IndexStageRestApi      = "stage.restApiRef.name"
	IndexStageName         = "stage.stageName"
	IndexSecretType        = "type"
)

// SetupIndexes registers the field indexes.
func SetupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	for _, i := range []struct {
		obj   client.Object
		field string
		fn    client.IndexerFunc
	}{
		{&apiv1.Route{}, IndexRouteRestApi, func(o client.Object) []string { return []string{o.(*apiv1.Route).Spec.RestApiRef.Name} }},
		{&apiv1.Route{}, IndexRouteAuthorizer, func(o client.Object) []string {
			if a := o.(*apiv1.Route).Spec.Authorization; a != nil && a.AuthorizerRef != nil {
				return []string{a.AuthorizerRef.Name}
			}
			return nil
		}},
		{&apiv1.Route{}, IndexRouteService, func(o client.Object) []string {
			if b := o.(*apiv1.Route).Spec.Integration.BackendRef; b != nil {
				return []string{b.Name}
			}
			return nil
		}},
		{&apiv1.RestApi{}, IndexRestApiAuthorizer, func(o client.Object) []string {
			if d := o.(*apiv1.RestApi).Spec.DefaultAuthorization; d != nil && d.AuthorizerRef != nil {
				return []string{d.AuthorizerRef.Name}
			}
			return nil
		}},
		{&apiv1.Authorizer{}, IndexAuthorizerService, func(o client.Object) []string {
			if f := o.(*apiv1.Authorizer).Spec.Function; f != nil && f.BackendRef != nil {
				return []string{f.BackendRef.Name}
			}
			return nil
		}},
		{&apiv1.Stage{}, IndexStageRestApi, func(o client.Object) []string { return []string{o.(*apiv1.Stage).Spec.RestApiRef.Name} }},
		{&apiv1.Stage{}, IndexStageName, func(o client.Object) []string {
			s := o.(*apiv1.Stage)
			if s.Spec.StageName != "" {
				return []string{s.Spec.StageName}
			}
			return []string{s.Name}
		}},
		{&corev1.Secret{}, IndexSecretType, func(o client.Object) []string { return []string{string(o.(*corev1.Secret).Type)} }},
	} {
		if err := idx.IndexField(ctx, i.obj, i.field, i.fn); err != nil {
			return err
		}
	}
	return nil
}

// SetupWithManager registers the reconciler: keyed by RestApi, fed by every kind the compile
// reads. What the proxies acknowledge or reject is not among them: ProgrammedRefresher
// writes the Programmed conditions it changes, without a compile.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Client = mgr.GetClient()
	// A replica that becomes leader recompiles everything, to write what followers do not.
	elected := make(chan event.GenericEvent, 256)
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		var apis apiv1.RestApiList
		var stages apiv1.StageList
		if err := errors.Join(r.Client.List(ctx, &apis), r.Client.List(ctx, &stages)); err != nil {
			return err
		}
		for _, a := range apis.Items {
			elected <- event.GenericEvent{Object: a.DeepCopy()}
		}
		for _, s := range stages.Items {
			elected <- event.GenericEvent{Object: &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Spec.RestApiRef.Name}}}
		}
		<-ctx.Done()
		return nil
	})); err != nil {
		return err
	}
	// The compiler reads the spec of Portico's objects, never their status nor their labels:
	// an update that leaves the generation alone (a status write, the controller's own
	// included) changes nothing to compile. Without this, every Programmed or usage write
	// would recompile the API it belongs to.
	specOnly := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		Named("restapi").
		// Every replica compiles and serves xDS; Reconcile checks leadership before writing.
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false), MaxConcurrentReconciles: 2}).
		For(&apiv1.RestApi{}, specOnly).
		Watches(&apiv1.Route{}, handler.EnqueueRequestsFromMapFunc(r.routeToAPI), specOnly).
		Watches(&apiv1.Stage{}, handler.EnqueueRequestsFromMapFunc(r.stageToAPIs), specOnly).
		Watches(&apiv1.Authorizer{}, handler.EnqueueRequestsFromMapFunc(r.authorizerToAPIs), specOnly).
		Watches(&apiv1.UsagePlan{}, handler.EnqueueRequestsFromMapFunc(r.planToAPIs), specOnly).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.secretToAPIs)).
		Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(r.serviceToAPIs)).
		Watches(&discoveryv1.EndpointSlice{}, handler.EnqueueRequestsFromMapFunc(r.sliceToAPIs)).
		// A follower numbers revisions from those the leader stored: one that compiled before
		// the leader's revision reached its cache would serve another revision number (another
		// snapshot) than the leader's until the next change.
		Watches(&appsv1.ControllerRevision{}, handler.EnqueueRequestsFromMapFunc(r.revisionToAPI)).
		WatchesRawSource(source.Channel(elected, &handler.EnqueueRequestForObject{})).
		Complete(r)
}

func request(namespace, name string) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: namespace, Name: name}}
}

// revisionToAPI enqueues, on a follower, the RestApi a stored revision belongs to. The
// leader stored it while compiling: compiling again would find what it published.
func (r *Reconciler) revisionToAPI(_ context.Context, o client.Object) []reconcile.Request {
	api := o.GetLabels()[revisions.LabelRestApi]
	if api == "" || r.Leader == nil || r.Leader() {
		return nil
	}
	return []reconcile.Request{request(o.GetNamespace(), api)}
}

// A map function sees both the old and the new object of an update, so moving a Route from
// one API to another recompiles both.
func (r *Reconciler) routeToAPI(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{request(o.GetNamespace(), o.(*apiv1.Route).Spec.RestApiRef.Name)}
}

// stageToAPIs enqueues the stage's API, and the APIs of every stage with the same stage
// name: a stage path is claimed once, so one stage's change can free or take another's.
func (r *Reconciler) stageToAPIs(ctx context.Context, o client.Object) []reconcile.Request {
	s := o.(*apiv1.Stage)
	reqs := []reconcile.Request{request(s.Namespace, s.Spec.RestApiRef.Name)}
	name := s.Spec.StageName
	if name == "" {
		name = s.Name
	}
	var same apiv1.StageList
	if err := r.Client.List(ctx, &same, client.MatchingFields{IndexStageName: name}); err == nil {
		for _, other := range same.Items {
			reqs = append(reqs, request(other.Namespace, other.Spec.RestApiRef.Name))
		}
	}
	return reqs
}

func (r *Reconciler) authorizerToAPIs(ctx context.Context, o client.Object) []reconcile.Request {
	return r.apisUsingAuthorizer(ctx, o.GetNamespace(), o.GetName())
}

func (r *Reconciler) apisUsingAuthorizer(ctx context.Context, namespace, name string) []reconcile.Request {
	var reqs []reconcile.Request
	var routes apiv1.RouteList
	if err := r.Client.List(ctx, &routes, client.InNamespace(namespace), client.MatchingFields{IndexRouteAuthorizer: name}); err == nil {
		for _, rt := range routes.Items {
			reqs = append(reqs, request(namespace, rt.Spec.RestApiRef.Name))
		}
	}
	var apis apiv1.RestApiList
	if err := r.Client.List(ctx, &apis, client.InNamespace(namespace), client.MatchingFields{IndexRestApiAuthorizer: name}); err == nil {
		for _, a := range apis.Items {
			reqs = append(reqs, request(namespace, a.Name))
		}
	}
	return reqs
}

func (r *Reconciler) planToAPIs(_ context.Context, o client.Object) []reconcile.Request {
	p := o.(*apiv1.UsagePlan)
	reqs := make([]reconcile.Request, 0, len(p.Spec.APIStages))
	for _, as := range p.Spec.APIStages {
		reqs = append(reqs, request(p.Namespace, as.RestApiRef.Name))
	}
	return reqs
}

// secretToAPIs maps an API key Secret to the APIs of the plans that name or select it.
func (r *Reconciler) secretToAPIs(ctx context.Context, o client.Object) []reconcile.Request {
	s := o.(*corev1.Secret)
	if s.Type != apiv1.APIKeySecretType {
		return nil
	}
	var plans apiv1.UsagePlanList
	if err := r.Client.List(ctx, &plans, client.InNamespace(s.Namespace)); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for i := range plans.Items {
		p := &plans.Items[i]
		if planUsesSecret(p, s) {
			reqs = append(reqs, r.planToAPIs(ctx, p)...)
		}
	}
	// WEBSOCKET APIs whose @connections the key may call.
	var apis apiv1.RestApiList
	if err := r.Client.List(ctx, &apis, client.InNamespace(s.Namespace)); err == nil {
		for i := range apis.Items {
			if ws := apis.Items[i].Spec.WebSocket; ws != nil && slices.ContainsFunc(ws.ManagementAPIKeys, func(k apiv1.LocalObjectReference) bool { return k.Name == s.Name }) {
				reqs = append(reqs, request(s.Namespace, apis.Items[i].Name))
			}
		}
	}
	return reqs
}

func planUsesSecret(p *apiv1.UsagePlan, s *corev1.Secret) bool {
	for _, k := range p.Spec.APIKeys {
		if k.Name == s.Name {
			return true
		}
	}
	if p.Spec.APIKeySelector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.APIKeySelector)
	return err == nil && sel.Matches(labels.Set(s.Labels))
}

// serviceToAPIs maps a Service to the APIs whose routes, or whose authorizers, use it.
func (r *Reconciler) serviceToAPIs(ctx context.Context, o client.Object) []reconcile.Request {
	return r.apisUsingService(ctx, o.GetNamespace(), o.GetName())
}

func (r *Reconciler) sliceToAPIs(ctx context.Context, o client.Object) []reconcile.Request {
	svc := o.GetLabels()[discoveryv1.LabelServiceName]
	if svc == "" {
		return nil
	}
	return r.apisUsingService(ctx, o.GetNamespace(), svc)
}

func (r *Reconciler) apisUsingService(ctx context.Context, namespace, service string) []reconcile.Request {
	var reqs []reconcile.Request
	var routes apiv1.RouteList
	if err := r.Client.List(ctx, &routes, client.InNamespace(namespace), client.MatchingFields{IndexRouteService: service}); err == nil {
		for _, rt := range routes.Items {
			reqs = append(reqs, request(namespace, rt.Spec.RestApiRef.Name))
		}
	}
	var authzs apiv1.AuthorizerList
	if err := r.Client.List(ctx, &authzs, client.InNamespace(namespace), client.MatchingFields{IndexAuthorizerService: service}); err == nil {
		for _, a := range authzs.Items {
			reqs = append(reqs, r.apisUsingAuthorizer(ctx, namespace, a.Name)...)
		}
	}
	return reqs
}
