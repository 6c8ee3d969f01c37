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
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
)

// DomainServer serves compiled domains and their secrets: the xDS server.
type DomainServer interface {
	UpdateDomains(domains []ir.Domain, secrets []ir.Secret) (changed int)
}

// DomainRescan is how often the referenced Secrets and ConfigMaps are read again. They are
// read directly, not watched: the controller's cache holds API key Secrets only, and a
// watch of every TLS Secret of the cluster would hold keys the controller has no business
// with. A renewed certificate therefore reaches the proxies within this interval.
const DomainRescan = 15 * time.Second

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
	// Leader reports whether this replica may write statuses. Nil means always.
	Leader func() bool
	Log    logr.Logger
	// Now is the clock for certificate expiry; default time.Now.
	Now func() time.Time
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
	changed := r.Server.UpdateDomains(domains, secrets)
	if r.Leader == nil || r.Leader() {
		if _, err := r.Status.Write(ctx, statuses, nil); err != nil {
			return ctrl.Result{}, err
		}
	}
	r.Log.V(1).Info("compiled domains", "domains", len(domains), "secrets", len(secrets), "changedResources", changed)
	return ctrl.Result{RequeueAfter: DomainRescan}, nil
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

// SetupWithManager compiles the domains again whenever a DomainName, RestApi or Stage
// changes, and every DomainRescan.
func (r *DomainReconciler) SetupWithManager(mgr ctrl.Manager) error {
	all := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{domainsKey}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("domainname").
		Watches(&apiv1.DomainName{}, all).
		Watches(&apiv1.Stage{}, all).
		Watches(&apiv1.RestApi{}, all).
		Complete(r)
}
