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
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/controllers/compile"
)

// clusterInputs reads from a cluster what compiling one RestApi needs, as the controller
// reads it from its cache (controllers.ReadInputs); a revision that does not decode is an
// error here, not a line in a log.
func clusterInputs(ctx context.Context, c client.Client, ns, api string) (compile.Inputs, error) {
	in, problems, err := controllers.ReadInputs(ctx, c, types.NamespacedName{Namespace: ns, Name: api}, false)
	if err != nil {
		return in, fmt.Errorf("reading the cluster: %w", err)
	}
	if err := errors.Join(problems...); err != nil {
		return in, fmt.Errorf("the revisions of RestApi %s/%s: %w", ns, api, err)
	}
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
		// The revision itself, not the one the stage served before (the compiler keeps a
		// stage on that when its pin names a revision that does not exist).
		var kept []string
		found := false
		for _, r := range in.Revisions {
			if r.Namespace == o.namespace && r.RestApi == o.api {
				kept = append(kept, strconv.FormatInt(r.Number, 10))
				found = found || r.Number == o.revision
			}
		}
		switch {
		case !found && len(kept) > 0:
			return fmt.Errorf("RestApi %s/%s keeps no revision %d (it keeps %s)", o.namespace, o.api, o.revision, strings.Join(kept, ", "))
		case !found:
			return fmt.Errorf("RestApi %s/%s keeps no revisions to test: files make only the revision they describe (drop --revision), a cluster keeps the others (--kubeconfig)", o.namespace, o.api)
		}
		st.Spec.Deployment = &apiv1.StageDeployment{Revision: o.revision}
		st.Spec.Canary = nil
		st.Status.DeployedRevision = 0
		return nil
	}
	return fmt.Errorf("no stage %q of RestApi %s/%s", o.stage, o.namespace, o.api)
}
