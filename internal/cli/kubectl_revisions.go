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
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/revisions"
)

// listRevisions prints the revisions a RestApi keeps, newest first, with the stages that
// serve each (as deployment or canary) from their status.
func listRevisions(ctx context.Context, c client.Client, ns, api string, out io.Writer) error {
	var objs appsv1.ControllerRevisionList
	if err := c.List(ctx, &objs, client.InNamespace(ns), client.MatchingLabels{revisions.LabelRestApi: api}); err != nil {
		return err
	}
	var stages apiv1.StageList
	if err := c.List(ctx, &stages, client.InNamespace(ns)); err != nil {
		return err
	}
	servedBy := map[int64][]string{}
	for _, st := range stages.Items {
		if st.Spec.RestApiRef.Name != api {
			continue
		}
		if r := st.Status.DeployedRevision; r != 0 {
			servedBy[r] = append(servedBy[r], st.Name)
		}
		if r := st.Status.CanaryRevision; r != 0 {
			servedBy[r] = append(servedBy[r], st.Name+" (canary)")
		}
	}
	items := objs.Items
	slices.SortFunc(items, func(a, b appsv1.ControllerRevision) int { return int(b.Revision - a.Revision) })
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "REVISION\tROUTES\tCREATED\tSTAGES")
	for i := range items {
		routes := "?"
		if rev, err := revisions.FromObject(&items[i]); err == nil && rev.API != nil {
			routes = fmt.Sprint(len(rev.API.Routes))
		}
		stagesText := strings.Join(servedBy[items[i].Revision], ",")
		if stagesText == "" {
			stagesText = "-"
		}
		_, _ = fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", items[i].Revision, routes, items[i].CreationTimestamp.UTC().Format("2006-01-02T15:04:05Z"), stagesText)
	}
	return tw.Flush()
}
