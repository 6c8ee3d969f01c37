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
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/xds"
)

// DomainServer serves compiled domains and their secrets: the xDS server.
type DomainServer interface {
	UpdateDomains(domains []ir.Domain, secrets []ir.Secret) (changed int)
}

// Field indexes of DomainNames, from the Secrets and ConfigMaps they reference: a change to
// one of those recompiles the domains, a change to any other is ignored.
const (
	IndexDomainCertificate = "domainname.certificateRef.name"
	IndexDomainTruststore  = "domainname.truststoreRef.name"
)

// DomainResync bounds the time between two compiles of the domains when nothing changes: the
// CertificateExpiring condition follows the clock. A compile is also due at the next moment a
// certificate enters its expiring window or expires.
const DomainResync = time.Hour

// domainsKey is the one work item: domains are compiled together, since a domain name is
// unique across namespaces (SNI has no namespace).
var domainsKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "domains"}}

// DomainReconciler compiles every DomainName, publishes domains and secrets, and writes the
// DomainNames' statuses.
type DomainReconciler struct {
	Client client.Client
	// Reader reads the referenced Secrets and ConfigMaps, uncached.
	Reader client.Reader
	Server DomainServer
	Status StatusWriter
	// Programmed is what the proxies acknowledged of a key (xds.DomainProgrammedKey); nil
	// leaves the Programmed condition to the refresher.
	Programmed func(key string) xds.ProgrammedStatus
	// Refs, when set, is the cache of the metadata of kubernetes.io/tls Secrets and
	// ConfigMaps (NewDomainRefCache): their changes recompile the domains that reference them.
	Refs cache.Cache
	// Leader reports whether this replica may write statuses. Nil means always.
	Leader func() bool
	Log    logr.Logger
	// Now is the clock for certificate expiry; default time.Now.
	Now func() time.Time

	mu     sync.Mutex
	served map[string]ServedStage
}

// Reconcile compiles all DomainNames.
func (r *DomainReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	in, err := r.inputs(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	in.Options.Now = now()
	domains, secrets, statuses := compile.Domains(in)
	served := make(map[string]ServedStage, len(domains))
	for _, d := range domains {
		served[xds.DomainProgrammedKey(d.Key)] = servedStage(d.Key, d.Generation)
	}
	r.mu.Lock()
	r.served = served
	r.mu.Unlock()
	changed := r.Server.UpdateDomains(domains, secrets)
	if r.Leader == nil || r.Leader() {
		var programmed func(string, int64) *metav1.Condition
		if r.Programmed != nil {
			programmed = func(key string, generation int64) *metav1.Condition {
				return DomainProgrammedCondition(r.Programmed(xds.DomainProgrammedKey(key)), generation)
			}
		}
		if _, err := r.Status.Write(ctx, statuses, programmed); err != nil {
			return ctrl.Result{}, err
		}
	}
	r.Log.V(1).Info("compiled domains", "domains", len(domains), "secrets", len(secrets), "changedResources", changed)
	return ctrl.Result{RequeueAfter: nextExpiryChange(statuses, in.Options.Now)}, nil
}

// ServedDomains lists the domains served, by xds.DomainProgrammedKey, with the generation
// of the DomainName each was compiled from: what a ProgrammedRefresher refreshes.
func (r *DomainReconciler) ServedDomains() map[string]ServedStage {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]ServedStage, len(r.served))
	for k, v := range r.served {
		out[k] = v
	}
	return out
}

// nextExpiryChange is how long until a certificate enters its expiring window or expires,
// at most DomainResync.
func nextExpiryChange(statuses []compile.ObjectStatus, now time.Time) time.Duration {
	next := DomainResync
	for _, st := range statuses {
		if st.Certificate == nil || st.Certificate.NotAfter == nil {
			continue
		}
		end := st.Certificate.NotAfter.Time
		for _, at := range []time.Time{end.Add(-apiv1.CertificateExpiringWindow), end} {
			// A second late, so that the compile sees the change.
			if d := at.Sub(now) + time.Second; d > time.Second && d < next {
				next = d
			}
		}
	}
	return next
}

// inputs reads the DomainNames, the RestApis and Stages their mappings name, and only the
// Secrets and ConfigMaps they reference.
func (r *DomainReconciler) inputs(ctx context.Context) (compile.Inputs, error) {
	var (
		in     compile.Inputs
		dns    apiv1.DomainNameList
		apis   apiv1.RestApiList
		stages apiv1.StageList
	)
	if err := errors.Join(r.Client.List(ctx, &dns), r.Client.List(ctx, &apis), r.Client.List(ctx, &stages)); err != nil {
		return in, err
	}
	in.DomainNames, in.RestApis, in.Stages = dns.Items, apis.Items, stages.Items
	seen := map[types.NamespacedName]bool{}
	for _, d := range dns.Items {
		key := types.NamespacedName{Namespace: d.Namespace, Name: d.Spec.CertificateRef.Name}
		if !seen[key] {
			seen[key] = true
			var s corev1.Secret
			switch err := r.Reader.Get(ctx, key, &s); {
			case err == nil:
				in.Secrets = append(in.Secrets, s)
			case !apierrors.IsNotFound(err):
				return in, fmt.Errorf("reading Secret %s of DomainName %s/%s: %w", key, d.Namespace, d.Name, err)
			}
		}
		if m := d.Spec.MutualTLS; m != nil {
			key := types.NamespacedName{Namespace: d.Namespace, Name: m.TruststoreRef.Name}
			var c corev1.ConfigMap
			switch err := r.Reader.Get(ctx, key, &c); {
			case err == nil:
				in.ConfigMaps = append(in.ConfigMaps, c)
			case !apierrors.IsNotFound(err):
				return in, fmt.Errorf("reading ConfigMap %s of DomainName %s/%s: %w", key, d.Namespace, d.Name, err)
			}
		}
	}
	return in, nil
}

// NewDomainRefCache is the cache of what DomainNames may reference: the metadata of
// kubernetes.io/tls Secrets and of ConfigMaps. Metadata only, names and resource versions,
// so that the controller holds no key and no ConfigMap content of the cluster: the referenced
// ones are read when a change of theirs is seen. A cache of its own, since the manager's
// holds API key Secrets only (a field selector per kind). Add it to the manager with
// RefCacheRunnable.
func NewDomainRefCache(mgr ctrl.Manager) (cache.Cache, error) {
	return cache.New(mgr.GetConfig(), cache.Options{
		Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(), HTTPClient: mgr.GetHTTPClient(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:    {Field: fields.OneTermEqualSelector("type", string(corev1.SecretTypeTLS)), Transform: nameAndVersion},
			&corev1.ConfigMap{}: {Transform: nameAndVersion},
		},
	})
}

// nameAndVersion keeps of an object's metadata what tells it and its changes apart: not its
// annotations, where kubectl apply copies a Secret's data (last-applied-configuration).
func nameAndVersion(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return nil, fmt.Errorf("the domain reference cache holds object metadata only, not %T", obj)
	}
	return &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Namespace: m.Namespace, Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion,
	}}, nil
}

// RefCacheRunnable makes the manager start c with its own cache, before the controllers, and
// on every replica.
type RefCacheRunnable struct{ cache.Cache }

// GetCache puts the runnable in the manager's group of caches.
func (r RefCacheRunnable) GetCache() cache.Cache { return r.Cache }

// SetupWithManager compiles the domains again whenever a DomainName, RestApi or Stage
// changes, a Secret or ConfigMap a DomainName references changes (with Refs), and at the
// next certificate expiry change.
func (r *DomainReconciler) SetupWithManager(mgr ctrl.Manager) error {
	ctx := context.Background()
	idx := mgr.GetFieldIndexer()
	if err := errors.Join(
		idx.IndexField(ctx, &apiv1.DomainName{}, IndexDomainCertificate, func(o client.Object) []string {
			return []string{o.(*apiv1.DomainName).Spec.CertificateRef.Name}
		}),
		idx.IndexField(ctx, &apiv1.DomainName{}, IndexDomainTruststore, func(o client.Object) []string {
			if m := o.(*apiv1.DomainName).Spec.MutualTLS; m != nil {
				return []string{m.TruststoreRef.Name}
			}
			return nil
		}),
	); err != nil {
		return err
	}
	all := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{domainsKey}
	})
	b := ctrl.NewControllerManagedBy(mgr).
		Named("domainname").
		// Every replica serves xDS, so every replica compiles the domains for its own
		// proxies; only the leader writes statuses (Leader).
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false)}).
		Watches(&apiv1.DomainName{}, all).
		Watches(&apiv1.Stage{}, all).
		Watches(&apiv1.RestApi{}, all)
	if r.Refs != nil {
		for kind, index := range map[string]string{"Secret": IndexDomainCertificate, "ConfigMap": IndexDomainTruststore} {
			meta := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: kind}}
			b = b.WatchesRawSource(source.Kind(r.Refs, meta, handler.TypedEnqueueRequestsFromMapFunc(r.referenced(index))))
		}
	}
	return b.Complete(r)
}

// referenced enqueues the compile of the domains when a DomainName references the object by
// index.
func (r *DomainReconciler) referenced(index string) handler.TypedMapFunc[*metav1.PartialObjectMetadata, reconcile.Request] {
	return func(ctx context.Context, o *metav1.PartialObjectMetadata) []reconcile.Request {
		var dns apiv1.DomainNameList
		if err := r.Client.List(ctx, &dns, client.InNamespace(o.Namespace), client.MatchingFields{index: o.Name}); err != nil {
			r.Log.Error(err, "looking up the DomainNames that reference an object", "object", o.Namespace+"/"+o.Name)
			return []reconcile.Request{domainsKey}
		}
		if len(dns.Items) == 0 {
			return nil
		}
		return []reconcile.Request{domainsKey}
	}
}
