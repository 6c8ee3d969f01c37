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
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/revisions"
)

func newRevisionsCommand(k *kubeFlags) *cobra.Command {
	var (
		o    outputFlag
		diff bool
	)
	cmd := &cobra.Command{
		Use:   "revisions API [--diff A B]",
		Short: "List the revisions a RestApi keeps and the stages serving them, or diff two",
		Long: `Lists the revisions a RestApi keeps (its ControllerRevisions), newest first, with the
stages serving each as deployment or canary. With --diff A B, shows how revision B's
compiled routes differ from revision A's: routes removed (-), added (+) and changed.`,
		Example: `  kubectl portico revisions pets
  kubectl portico revisions pets -o yaml
  kubectl portico revisions pets --diff 3 4`,
		Args: func(cmd *cobra.Command, args []string) error {
			if diff {
				return cobra.ExactArgs(3)(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		ValidArgsFunction: k.complete(&apiv1.RestApiList{}),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(); err != nil {
				return err
			}
			c, ns, err := k.client()
			if err != nil {
				return err
			}
			if diff {
				a, errA := strconv.ParseInt(args[1], 10, 64)
				b, errB := strconv.ParseInt(args[2], 10, 64)
				if errA != nil || errB != nil {
					return fmt.Errorf("--diff takes two revision numbers, not %q and %q", args[1], args[2])
				}
				return diffRevisions(cmd.Context(), c, ns, args[0], a, b, cmd.OutOrStdout())
			}
			return listRevisions(cmd.Context(), c, ns, args[0], o, cmd.OutOrStdout())
		},
	}
	o.bind(cmd)
	cmd.Flags().BoolVar(&diff, "diff", false, "diff the compiled routes of two revisions: revisions API --diff A B")
	return cmd
}

// revisionRow is one revision in `kubectl portico revisions`.
type revisionRow struct {
	Revision int64     `json:"revision"`
	Routes   int       `json:"routes"`
	Created  time.Time `json:"created"`
	Stages   []string  `json:"stages,omitempty"`
}

// keptRevisions lists the revisions a RestApi keeps (its ControllerRevisions), newest first.
func keptRevisions(ctx context.Context, c client.Client, ns, api string) ([]appsv1.ControllerRevision, error) {
	var objs appsv1.ControllerRevisionList
	if err := c.List(ctx, &objs, client.InNamespace(ns), client.MatchingLabels{revisions.LabelRestApi: api}); err != nil {
		return nil, err
	}
	items := objs.Items
	slices.SortFunc(items, func(a, b appsv1.ControllerRevision) int { return cmp.Compare(b.Revision, a.Revision) })
	return items, nil
}

// checkKeptRevision says whether a stage of api can serve revision n: the compiler refuses
// a revision the RestApi does not keep, or one that does not decode.
func checkKeptRevision(ctx context.Context, c client.Client, ns, api string, n int64) error {
	items, err := keptRevisions(ctx, c, ns, api)
	if err != nil {
		return err
	}
	kept := make([]string, 0, len(items))
	for i := range items {
		if items[i].Revision == n {
			rev, err := revisions.FromObject(&items[i])
			if err == nil && rev.API == nil {
				err = errors.New("it holds no API")
			}
			if err != nil {
				return fmt.Errorf("revision %d of RestApi %s/%s does not decode: %w", n, ns, api, err)
			}
			return nil
		}
		kept = append(kept, strconv.FormatInt(items[i].Revision, 10))
	}
	if len(kept) == 0 {
		return fmt.Errorf("RestApi %s/%s keeps no revision %d; it keeps none", ns, api, n)
	}
	return fmt.Errorf("RestApi %s/%s keeps no revision %d; it keeps %s (kubectl portico revisions %s lists them)", ns, api, n, strings.Join(kept, ", "), api)
}

// listRevisions prints the revisions a RestApi keeps, newest first, with the stages that
// serve each (as deployment or canary) from their status.
func listRevisions(ctx context.Context, c client.Client, ns, api string, o outputFlag, out io.Writer) error {
	items, err := keptRevisions(ctx, c, ns, api)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		// No revision at all: say whether the RestApi exists, not print an empty table.
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: api}, &apiv1.RestApi{}); err != nil {
			return fmt.Errorf("RestApi %s/%s: %w", ns, api, err)
		}
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
	rows := make([]revisionRow, 0, len(items))
	for i := range items {
		row := revisionRow{Revision: items[i].Revision, Routes: -1, Created: items[i].CreationTimestamp.UTC(), Stages: servedBy[items[i].Revision]}
		if rev, err := revisions.FromObject(&items[i]); err == nil && rev.API != nil {
			row.Routes = len(rev.API.Routes)
		}
		rows = append(rows, row)
	}
	return o.print(out, rows, func(w io.Writer) {
		_, _ = fmt.Fprintln(w, "REVISION\tROUTES\tCREATED\tSTAGES")
		for _, r := range rows {
			routes, stagesText := strconv.Itoa(r.Routes), strings.Join(r.Stages, ",")
			if r.Routes < 0 {
				routes = "?" // a revision that does not decode
			}
			if stagesText == "" {
				stagesText = "-"
			}
			_, _ = fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", r.Revision, routes, r.Created.Format(time.RFC3339), stagesText)
		}
	})
}

// diffRevisions prints how revision b's compiled routes differ from revision a's.
func diffRevisions(ctx context.Context, c client.Client, ns, api string, a, b int64, out io.Writer) error {
	var objs appsv1.ControllerRevisionList
	if err := c.List(ctx, &objs, client.InNamespace(ns), client.MatchingLabels{revisions.LabelRestApi: api}); err != nil {
		return err
	}
	find := func(n int64) (map[string]string, error) {
		for i := range objs.Items {
			if objs.Items[i].Revision != n {
				continue
			}
			rev, err := revisions.FromObject(&objs.Items[i])
			if err != nil {
				return nil, fmt.Errorf("revision %d: %w", n, err)
			}
			return routesByName(rev)
		}
		return nil, fmt.Errorf("RestApi %s/%s keeps no revision %d (kubectl portico revisions %s lists them)", ns, api, n, api)
	}
	ra, err := find(a)
	if err != nil {
		return err
	}
	rb, err := find(b)
	if err != nil {
		return err
	}
	var buf []byte
	for _, name := range slices.Sorted(maps.Keys(mergeKeys(ra, rb))) {
		ya, inA := ra[name]
		yb, inB := rb[name]
		switch {
		case !inB:
			buf = fmt.Appendf(buf, "route %s removed:\n", name)
			buf = appendLines(buf, "- ", ya)
		case !inA:
			buf = fmt.Appendf(buf, "route %s added:\n", name)
			buf = appendLines(buf, "+ ", yb)
		case ya != yb:
			buf = fmt.Appendf(buf, "route %s changed:\n", name)
			buf = appendLineDiff(buf, strings.Split(strings.TrimSuffix(ya, "\n"), "\n"), strings.Split(strings.TrimSuffix(yb, "\n"), "\n"))
		}
	}
	if len(buf) == 0 {
		_, err = fmt.Fprintf(out, "revisions %d and %d of RestApi %s/%s compile to the same routes\n", a, b, ns, api)
		return err
	}
	_, err = fmt.Fprintf(out, "compiled routes of RestApi %s/%s, revision %d (-) to revision %d (+):\n%s", ns, api, a, b, buf)
	return err
}

func mergeKeys(a, b map[string]string) map[string]bool {
	keys := make(map[string]bool, len(a)+len(b))
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

func appendLines(buf []byte, prefix, text string) []byte {
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		buf = append(append(append(buf, "  "...), prefix...), l...)
		buf = append(buf, '\n')
	}
	return buf
}

// appendLineDiff appends the lines of a and b, those only in a marked "-", those only in b
// "+", after their longest common subsequence. A route's YAML is tens of lines, so the
// quadratic table is small; the module has no maintained diff library to do it.
func appendLineDiff(buf []byte, a, b []string) []byte {
	// lcs[i][j] is the length of the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	line := func(prefix, l string) { buf = append(append(append(append(buf, "  "...), prefix...), l...), '\n') }
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			line("  ", a[i])
			i, j = i+1, j+1
		case j == len(b) || (i < len(a) && lcs[i+1][j] >= lcs[i][j+1]):
			line("- ", a[i])
			i++
		default:
			line("+ ", b[j])
			j++
		}
	}
	return buf
}

// routesByName returns a revision's compiled routes by name, as YAML, with fields named as
// the revision stores them.
func routesByName(rev compile.Revision) (map[string]string, error) {
	routes := map[string]string{}
	if rev.API == nil {
		return routes, nil
	}
	for _, r := range rev.API.Routes {
		y, err := yaml.Marshal(r)
		if err != nil {
			return nil, err
		}
		routes[r.Name] = string(y)
	}
	return routes, nil
}
