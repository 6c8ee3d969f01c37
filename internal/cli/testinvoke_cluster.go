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

package cli

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/revisions"
)

// clusterInputs reads from a cluster what compiling one RestApi needs, as the controller
// reads it from its cache: the API's own objects, the revisions it keeps, and every RestApi
// and Stage for the checks that span APIs.
func clusterInputs(ctx context.Context, c client.Client, ns, api string) (compile.Inputs, error) {
	in := compile.Inputs{Scope: []compile.NamespacedName{{Namespace: ns, Name: api}}}
	inNS := client.InNamespace(ns)
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
		c.List(ctx, &routes, inNS),
		c.List(ctx, &authzs, inNS),
		c.List(ctx, &plans, inNS),
		c.List(ctx, &secrets, inNS, client.MatchingFields{"type": apiv1.APIKeySecretType}),
		c.List(ctx, &svcs, inNS),
		c.List(ctx, &slices, inNS),
		c.List(ctx, &revs, inNS, client.MatchingLabels{revisions.LabelRestApi: api}),
	)
	if err != nil {
		return in, fmt.Errorf("reading the cluster: %w", err)
	}
	decoded, problems := revisions.Decode(revs.Items)
	if err := errors.Join(problems...); err != nil {
		return in, fmt.Errorf("the revisions of RestApi %s/%s: %w", ns, api, err)
	}
	in.RestApis, in.Stages, in.Authorizers, in.UsagePlans = apis.Items, stages.Items, authzs.Items, plans.Items
	for _, r := range routes.Items {
		if r.Spec.RestApiRef.Name == api {
			in.Routes = append(in.Routes, r)
		}
	}
	in.Secrets, in.Services, in.EndpointSlices, in.Revisions = secrets.Items, svcs.Items, slices.Items, decoded
	return in, nil
}

// pinRevision makes the stage the options name serve o.revision, with no canary: what the
// stage would answer once rolled back or forward to it.
func pinRevision(in *compile.Inputs, o testInvokeOptions) error {
	if o.revision < 1 {
		return errors.New("--revision is a revision number, 1 or more")
	}
	for i := range in.Stages {
		st := &in.Stages[i]
		if st.Namespace != o.namespace || st.Spec.RestApiRef.Name != o.api || (st.Name != o.stage && st.Spec.StageName != o.stage) {
			continue
		}
		st.Spec.Deployment = &apiv1.StageDeployment{Revision: o.revision}
		st.Spec.Canary = nil
		return nil
	}
	return fmt.Errorf("no stage %q of RestApi %s/%s", o.stage, o.namespace, o.api)
}
