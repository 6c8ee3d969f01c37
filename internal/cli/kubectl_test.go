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
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/revisions"
	"github.com/portico-dev/portico/internal/scheme"
)

func TestKubectlDispatchByName(t *testing.T) {
	if NewCommand("/usr/local/bin/kubectl-portico").DisplayName() != "kubectl portico" || NewCommand("portico").Use != "portico" {
		t.Fatal("the command does not follow the binary's name")
	}
}

// petsRevision is revision n of RestApi shop/pets, as the controller stores it.
func petsRevision(t *testing.T, n int64) *appsv1.ControllerRevision {
	t.Helper()
	obj, err := revisions.ToObject(compile.Revision{Namespace: "shop", RestApi: "pets", Number: n, Hash: fmt.Sprintf("%d%063d", n, 0), API: &ir.API{}},
		&apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "pets", UID: "u"}})
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestPromoteAndRollback(t *testing.T) {
	pct := 10.0
	st := &apiv1.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "prod"},
		Spec: apiv1.StageSpec{
			RestApiRef: apiv1.LocalObjectReference{Name: "pets"},
			Deployment: &apiv1.StageDeployment{Revision: 3},
			Canary:     &apiv1.Canary{PercentTraffic: &pct, Deployment: &apiv1.StageDeployment{Revision: 4}},
		},
	}
	objs := []client.Object{st}
	for n := int64(2); n <= 4; n++ {
		objs = append(objs, petsRevision(t, n))
	}
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).Build()
	ctx := context.Background()
	var out bytes.Buffer
	if err := promoteStage(ctx, c, "shop", "prod", &out); err != nil {
		t.Fatal(err)
	}
	var got apiv1.Stage
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "prod"}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Canary != nil || got.Spec.Deployment == nil || got.Spec.Deployment.Revision != 4 {
		t.Fatalf("after promote: %+v", got.Spec)
	}
	if err := promoteStage(ctx, c, "shop", "prod", &out); err == nil {
		t.Error("promoted a stage without a canary")
	}
	if err := rollbackStage(ctx, c, "shop", "prod", 2, false, &out); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "prod"}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Deployment.Revision != 2 {
		t.Fatalf("after rollback: %+v", got.Spec.Deployment)
	}
	if out.String() != "stage shop/prod promoted: serves revision 4\nstage shop/prod rolled back: serves revision 2\n" {
		t.Errorf("output %q", out.String())
	}

	// A rollback takes all the traffic: a canary goes, unless --keep-canary.
	for _, keep := range []bool{false, true} {
		got.Spec.Canary = &apiv1.Canary{PercentTraffic: &pct, Deployment: &apiv1.StageDeployment{Revision: 4}}
		if err := c.Update(ctx, &got); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := rollbackStage(ctx, c, "shop", "prod", 3, keep, &out); err != nil {
			t.Fatal(err)
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "prod"}, &got); err != nil {
			t.Fatal(err)
		}
		want := "stage shop/prod rolled back: serves revision 3; its canary (10% of the traffic, on revision 4) removed\n"
		if keep {
			want = "stage shop/prod rolled back: serves revision 3; its canary still takes 10% of the traffic, on revision 4 (--keep-canary)\n"
		}
		if (got.Spec.Canary != nil) != keep || out.String() != want {
			t.Errorf("keep %v: canary %+v, output %q", keep, got.Spec.Canary, out.String())
		}
	}
}

// Rolling back to a revision the RestApi does not keep would have the compiler refuse the
// stage, and stop serving it: the plugin refuses instead, and leaves the stage as it is.
func TestRollbackToRevisionNotKept(t *testing.T) {
	st := &apiv1.Stage{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "prod"},
		Spec:       apiv1.StageSpec{RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, Deployment: &apiv1.StageDeployment{Revision: 3}},
	}
	other := petsRevision(t, 9)
	other.Name, other.Labels[revisions.LabelRestApi] = "cats-9", "cats"
	// A revision of another RestApi does not count.
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(st, petsRevision(t, 2), petsRevision(t, 3), other).Build()
	ctx := context.Background()
	var out bytes.Buffer
	for _, n := range []int64{1, 9} {
		err := rollbackStage(ctx, c, "shop", "prod", n, false, &out)
		want := fmt.Sprintf("stage shop/prod left as it is: RestApi shop/pets keeps no revision %d; it keeps 3, 2 (kubectl portico revisions pets lists them)", n)
		if err == nil || err.Error() != want {
			t.Errorf("rollback --to %d: %v, want %q", n, err, want)
		}
	}
	var got apiv1.Stage
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "prod"}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Deployment == nil || got.Spec.Deployment.Revision != 3 || out.Len() != 0 {
		t.Errorf("after refused rollbacks: %+v, output %q", got.Spec.Deployment, out.String())
	}

	// A RestApi without revisions (none compiled yet, or another name) has none to pin.
	st.Spec.RestApiRef.Name = "dogs"
	c = fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(st).Build()
	if err := rollbackStage(ctx, c, "shop", "prod", 1, false, &out); err == nil || !strings.Contains(err.Error(), "keeps no revision 1; it keeps none") {
		t.Errorf("rollback with no revisions: %v", err)
	}
}

func TestListRevisions(t *testing.T) {
	st := &apiv1.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "prod"}, Spec: apiv1.StageSpec{RestApiRef: apiv1.LocalObjectReference{Name: "pets"}}}
	st.Status.DeployedRevision, st.Status.CanaryRevision = 1, 2
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(petsRevision(t, 1), petsRevision(t, 2), st).WithStatusSubresource(st).Build()
	var out bytes.Buffer
	if err := listRevisions(context.Background(), c, "shop", "pets", outputFlag{}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "2 ") || !strings.HasSuffix(lines[1], "prod (canary)") || !strings.HasSuffix(lines[2], "  prod") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestLineDiff(t *testing.T) {
	got := string(appendLineDiff(nil, []string{"a", "b", "c", "d"}, []string{"a", "x", "c", "d", "e"}))
	want := "    a\n  - b\n  + x\n    c\n    d\n  + e\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// The plugin has portico's own test-invoke, import and export (whichever portico has), and
// cobra's completion command.
func TestKubectlPluginCommands(t *testing.T) {
	plugin := NewKubectlCommand()
	has := func(c *cobra.Command, name string) bool {
		for _, sub := range c.Commands() {
			if sub.Name() == name {
				return true
			}
		}
		return false
	}
	for _, name := range []string{"promote", "rollback", "revisions", "usage", "test-invoke"} {
		if !has(plugin, name) {
			t.Errorf("kubectl portico has no %s", name)
		}
	}
	for _, name := range []string{"import", "export"} {
		if has(NewRootCommand(), name) != has(plugin, name) {
			t.Errorf("portico and kubectl portico disagree on %s", name)
		}
	}
	cmd := NewCommand("kubectl-portico")
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"completion", "bash"})
	// For kubectl-portico itself: a script for "kubectl" would replace kubectl's own.
	if err := cmd.Execute(); err != nil || !strings.Contains(out.String(), "complete -o default -F __start_kubectl-portico kubectl-portico") {
		t.Errorf("completion bash (%v):\n%.300s", err, out.String())
	}
}
