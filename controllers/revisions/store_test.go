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

package revisions

import (
	"context"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

// setup skips without an API server, and creates a namespace of the test's own.
func setup(t *testing.T, ns string) (context.Context, client.Client) {
	t.Helper()
	if env == nil {
		t.Skip("needs a kube-apiserver; runs without -short")
	}
	ctx := t.Context()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	return ctx, env.Client
}

func createRestApi(ctx context.Context, t *testing.T, c client.Client, ns, name string) *apiv1.RestApi {
	t.Helper()
	r := &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := c.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// stored lists the ControllerRevisions of ns by name.
func stored(ctx context.Context, t *testing.T, c client.Client, ns string) map[string]appsv1.ControllerRevision {
	t.Helper()
	var list appsv1.ControllerRevisionList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]appsv1.ControllerRevision{}
	for _, cr := range list.Items {
		out[cr.Name] = cr
	}
	return out
}

// listIn is List restricted to one namespace, since other tests share the API server.
func listIn(ctx context.Context, t *testing.T, c client.Client, ns string) []compile.Revision {
	t.Helper()
	all, err := List(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var out []compile.Revision
	for _, r := range all {
		if r.Namespace == ns {
			out = append(out, r)
		}
	}
	return out
}

func TestApplyCreates(t *testing.T) {
	const ns = "rev-create"
	ctx, c := setup(t, ns)
	pets := createRestApi(ctx, t, c, ns, "pets")
	rev := testRevision(t, ns, "pets", 1, testAPI("a"))

	if err := Apply(ctx, c, compile.Output{NewRevisions: []compile.Revision{rev}}); err != nil {
		t.Fatal(err)
	}
	got := stored(ctx, t, c, ns)
	cr, ok := got["pets-"+rev.Hash[:10]]
	if !ok || len(got) != 1 {
		t.Fatalf("stored = %v, want one named pets-%s", got, rev.Hash[:10])
	}
	if cr.Revision != 1 || cr.Labels[LabelRestApi] != "pets" || cr.Labels[LabelRevision] != "1" ||
		cr.Annotations[AnnotationHash] != rev.Hash {
		t.Errorf("stored revision metadata: revision %d, labels %v, annotations %v", cr.Revision, cr.Labels, cr.Annotations)
	}
	refs := cr.OwnerReferences
	if len(refs) != 1 || refs[0].UID != pets.UID || refs[0].Kind != "RestApi" ||
		refs[0].APIVersion != apiv1.GroupVersion.String() || refs[0].BlockOwnerDeletion == nil || !*refs[0].BlockOwnerDeletion {
		t.Errorf("owner references = %+v, want the RestApi %s", refs, pets.UID)
	}
	// The data survives the API server unchanged.
	back, err := FromObject(&cr)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rev) {
		t.Errorf("round trip through the API server:\n got %+v\nwant %+v", back, rev)
	}
}

func TestApplyIdempotent(t *testing.T) {
	const ns = "rev-idempotent"
	ctx, c := setup(t, ns)
	createRestApi(ctx, t, c, ns, "pets")
	out := compile.Output{NewRevisions: []compile.Revision{
		testRevision(t, ns, "pets", 1, testAPI("a")),
		testRevision(t, ns, "pets", 2, testAPI("b")),
	}}
	if err := Apply(ctx, c, out); err != nil {
		t.Fatal(err)
	}
	first := stored(ctx, t, c, ns)
	if err := Apply(ctx, c, out); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	second := stored(ctx, t, c, ns)
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("stored %d then %d revisions, want 2 and 2", len(first), len(second))
	}
	for name, cr := range first {
		if second[name].UID != cr.UID || second[name].ResourceVersion != cr.ResourceVersion {
			t.Errorf("%s was replaced or modified by the second Apply", name)
		}
	}
}

func TestApplyPrunes(t *testing.T) {
	const ns = "rev-prune"
	ctx, c := setup(t, ns)
	createRestApi(ctx, t, c, ns, "pets")
	r1 := testRevision(t, ns, "pets", 1, testAPI("a"))
	r2 := testRevision(t, ns, "pets", 2, testAPI("b"))
	r3 := testRevision(t, ns, "pets", 3, testAPI("c"))
	if err := Apply(ctx, c, compile.Output{NewRevisions: []compile.Revision{r1, r2}}); err != nil {
		t.Fatal(err)
	}
	// As the compiler reports it: prunes without the API.
	p1 := r1
	p1.API = nil
	gone := testRevision(t, ns, "pets", 9, testAPI("never stored"))
	gone.API = nil
	out := compile.Output{NewRevisions: []compile.Revision{r3}, PrunedRevisions: []compile.Revision{p1, gone}}
	if err := Apply(ctx, c, out); err != nil {
		t.Fatal(err)
	}
	if got := listIn(ctx, t, c, ns); !reflect.DeepEqual(got, []compile.Revision{r2, r3}) {
		t.Errorf("after pruning: %v, want revisions 2 and 3", names(got))
	}
	// Pruning again (already gone) is fine.
	if err := Apply(ctx, c, out); err != nil {
		t.Fatal(err)
	}
}

func TestApplySkipsDeletedRestApi(t *testing.T) {
	const ns = "rev-no-owner"
	ctx, c := setup(t, ns)
	createRestApi(ctx, t, c, ns, "pets")
	out := compile.Output{NewRevisions: []compile.Revision{
		testRevision(t, ns, "gone", 1, testAPI("a")),
		testRevision(t, ns, "pets", 1, testAPI("b")),
	}}
	if err := Apply(ctx, c, out); err != nil {
		t.Fatal(err)
	}
	got := listIn(ctx, t, c, ns)
	if len(got) != 1 || got[0].RestApi != "pets" {
		t.Errorf("stored %v, want only the revision of pets", names(got))
	}
}

func TestApplyHashCollision(t *testing.T) {
	const ns = "rev-collision"
	ctx, c := setup(t, ns)
	createRestApi(ctx, t, c, ns, "pets")
	r1 := testRevision(t, ns, "pets", 1, testAPI("a"))
	if err := Apply(ctx, c, compile.Output{NewRevisions: []compile.Revision{r1}}); err != nil {
		t.Fatal(err)
	}
	// Same 10-character prefix, different hash.
	other := testRevision(t, ns, "pets", 2, testAPI("b"))
	other.Hash = r1.Hash[:10] + strings.Repeat("0", 54)
	err := Apply(ctx, c, compile.Output{NewRevisions: []compile.Revision{other}})
	if err == nil || !strings.Contains(err.Error(), "is taken by content") {
		t.Errorf("Apply of a colliding revision: %v, want a collision error", err)
	}
	if got := listIn(ctx, t, c, ns); !reflect.DeepEqual(got, []compile.Revision{r1}) {
		t.Errorf("the collision changed the store: %v", names(got))
	}
}

// A RestApi deleted and created again under the same name: its old revisions wait for the
// garbage collector (which envtest does not run). Apply replaces a leftover revision with one
// the new RestApi owns, instead of counting on an object about to be deleted.
func TestApplyReplacesLeftover(t *testing.T) {
	const ns = "rev-leftover"
	ctx, c := setup(t, ns)
	old := createRestApi(ctx, t, c, ns, "pets")
	rev := testRevision(t, ns, "pets", 1, testAPI("a"))
	if err := Apply(ctx, c, compile.Output{NewRevisions: []compile.Revision{rev}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, old); err != nil {
		t.Fatal(err)
	}
	recreated := createRestApi(ctx, t, c, ns, "pets")
	if err := Apply(ctx, c, compile.Output{NewRevisions: []compile.Revision{rev}}); err != nil {
		t.Fatal(err)
	}
	cr := stored(ctx, t, c, ns)["pets-"+rev.Hash[:10]]
	if refs := cr.OwnerReferences; len(refs) != 1 || refs[0].UID != recreated.UID {
		t.Errorf("owner references = %+v, want the recreated RestApi %s", refs, recreated.UID)
	}
}

func TestListDecodesAndSorts(t *testing.T) {
	const ns = "rev-list"
	ctx, c := setup(t, ns)
	createRestApi(ctx, t, c, ns, "pets")
	createRestApi(ctx, t, c, ns, "cats")
	p1 := testRevision(t, ns, "pets", 1, testAPI("p1"))
	p2 := testRevision(t, ns, "pets", 2, testAPI("p2"))
	p10 := testRevision(t, ns, "pets", 10, testAPI("p10"))
	c1 := testRevision(t, ns, "cats", 1, testAPI("c1"))
	out := compile.Output{NewRevisions: []compile.Revision{p10, p1, c1, p2}}
	if err := Apply(ctx, c, out); err != nil {
		t.Fatal(err)
	}
	// Objects List must leave alone: a StatefulSet's revision (no label), and a damaged one.
	foreign := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-12345", Labels: map[string]string{"app": "web"}},
		Data:       runtime.RawExtension{Raw: []byte(`{"spec":{}}`)}, Revision: 1,
	}
	damaged := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: "pets-damaged",
			Labels:      map[string]string{LabelRestApi: "pets", LabelRevision: "3"},
			Annotations: map[string]string{AnnotationHash: strings.Repeat("a", 64)},
		},
		Data: runtime.RawExtension{Raw: []byte(`{"routes":"not a list"}`)}, Revision: 3,
	}
	for _, o := range []client.Object{foreign, damaged} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	got := listIn(ctx, t, c, ns)
	if want := []compile.Revision{c1, p1, p2, p10}; !reflect.DeepEqual(got, want) {
		t.Errorf("List:\n got %v\nwant %v", names(got), names(want))
	}
}

// Revisions are immutable: the API server refuses a change of data, so Apply never tries.
func TestRevisionDataImmutable(t *testing.T) {
	const ns = "rev-immutable"
	ctx, c := setup(t, ns)
	createRestApi(ctx, t, c, ns, "pets")
	rev := testRevision(t, ns, "pets", 1, testAPI("a"))
	if err := Apply(ctx, c, compile.Output{NewRevisions: []compile.Revision{rev}}); err != nil {
		t.Fatal(err)
	}
	cr := &appsv1.ControllerRevision{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: Name("pets", rev.Hash)}, cr); err != nil {
		t.Fatal(err)
	}
	cr.Data.Raw = []byte(`{"protocol":"WEBSOCKET"}`)
	if err := c.Update(ctx, cr); !apierrors.IsInvalid(err) {
		t.Errorf("changing a revision's data: %v, want Invalid", err)
	}
}
