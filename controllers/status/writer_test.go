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

package status

import (
	"context"
	"strings"
	"testing"

	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

// specs are minimal valid specs per kind.
var specs = map[string]string{
	compile.KindRestApi:    `{}`,
	compile.KindRoute:      `{restApiRef: {name: pets}, path: /pets, integration: {type: MOCK, mock: {statusCode: 200}}}`,
	compile.KindAuthorizer: `{type: JWT, jwt: {issuer: "https://idp.example.com/", audiences: [pets]}}`,
	compile.KindUsagePlan:  `{apiStages: [{restApiRef: {name: pets}, stage: prod}], apiKeys: [{name: customer-a}]}`,
	compile.KindStage:      `{restApiRef: {name: pets}}`,
}

// fixture is a test's namespace with a Writer on a fixed clock.
type fixture struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	ns  string
	w   *Writer
	now metav1.Time
}

func newFixture(t *testing.T, ns string) *fixture {
	t.Helper()
	if env == nil {
		t.Skip("needs a kube-apiserver; runs without -short")
	}
	f := &fixture{t: t, ctx: t.Context(), c: env.Client, ns: ns, now: t0}
	if err := f.c.Create(f.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	f.w = &Writer{Client: f.c, Log: testr.New(t), Now: func() metav1.Time { return f.now }}
	return f
}

// create creates an object of kind with its minimal spec.
func (f *fixture) create(kind, name string) client.Object {
	f.t.Helper()
	obj, err := newObject(kind)
	if err != nil {
		f.t.Fatal(err)
	}
	doc := "{apiVersion: apigateway.portico.dev/v1alpha1, kind: " + kind + ", spec: " + specs[kind] + "}"
	if err := yaml.Unmarshal([]byte(doc), obj); err != nil {
		f.t.Fatal(err)
	}
	obj.SetNamespace(f.ns)
	obj.SetName(name)
	if err := f.c.Create(f.ctx, obj); err != nil {
		f.t.Fatal(err)
	}
	return obj
}

// get reads obj again from the API server.
func (f *fixture) get(obj client.Object) client.Object {
	f.t.Helper()
	fresh, _ := newObject(kindOf(obj))
	if err := f.c.Get(f.ctx, client.ObjectKeyFromObject(obj), fresh); err != nil {
		f.t.Fatal(err)
	}
	return fresh
}

func (f *fixture) write(statuses []compile.ObjectStatus, programmed ProgrammedFunc) Result {
	f.t.Helper()
	res, err := f.w.Write(f.ctx, statuses, programmed)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *apiv1.RestApi:
		return compile.KindRestApi
	case *apiv1.Route:
		return compile.KindRoute
	case *apiv1.Authorizer:
		return compile.KindAuthorizer
	case *apiv1.UsagePlan:
		return compile.KindUsagePlan
	case *apiv1.Stage:
		return compile.KindStage
	}
	return ""
}

func conditionsOf(obj client.Object) []metav1.Condition {
	switch o := obj.(type) {
	case *apiv1.RestApi:
		return o.Status.Conditions
	case *apiv1.Route:
		return o.Status.Conditions
	case *apiv1.Authorizer:
		return o.Status.Conditions
	case *apiv1.UsagePlan:
		return o.Status.Conditions
	case *apiv1.Stage:
		return o.Status.Conditions
	}
	return nil
}

// statusFor is a compiler status for obj at its current generation.
func statusFor(obj client.Object, conds ...metav1.Condition) compile.ObjectStatus {
	return compile.ObjectStatus{
		Kind: kindOf(obj), Namespace: obj.GetNamespace(), Name: obj.GetName(),
		Generation: obj.GetGeneration(), Conditions: conds,
	}
}

var (
	accepted = cond(apiv1.ConditionAccepted, metav1.ConditionTrue, apiv1.ReasonAccepted)
	ready    = cond(apiv1.ConditionReady, metav1.ConditionTrue, apiv1.ReasonReady)
	notReady = cond(apiv1.ConditionReady, metav1.ConditionFalse, apiv1.ReasonBackendNotFound)
)

// checkCondition checks that obj's condition typ has status and a transition at time at.
func checkCondition(t *testing.T, obj client.Object, typ string, status metav1.ConditionStatus, gen int64, at metav1.Time) {
	t.Helper()
	c := meta.FindStatusCondition(conditionsOf(obj), typ)
	switch {
	case c == nil:
		t.Errorf("%s %s: no %s condition", kindOf(obj), obj.GetName(), typ)
	case c.Status != status || c.ObservedGeneration != gen || !c.LastTransitionTime.Equal(&at):
		t.Errorf("%s %s: %s = %s (generation %d, at %s), want %s (generation %d, at %s)", kindOf(obj), obj.GetName(),
			typ, c.Status, c.ObservedGeneration, c.LastTransitionTime.UTC(), status, gen, at.UTC())
	}
}

func TestWriteEveryKind(t *testing.T) {
	f := newFixture(t, "status-kinds")
	objs := map[string]client.Object{}
	var statuses []compile.ObjectStatus
	for _, kind := range []string{compile.KindAuthorizer, compile.KindRestApi, compile.KindRoute, compile.KindStage, compile.KindUsagePlan} {
		obj := f.create(kind, "pets")
		objs[kind] = obj
		st := statusFor(obj, accepted, ready)
		switch kind {
		case compile.KindRestApi:
			st.Revision, st.Routes = 7, ptr.To[int32](12)
		case compile.KindStage:
			st.URL, st.DeployedRevision, st.CanaryRevision, st.StageKey = "http://gw.example.com/prod/", 7, 8, f.ns+"/pets"
		case compile.KindUsagePlan:
			st.APIKeys = ptr.To[int32](2)
		}
		statuses = append(statuses, st)
	}

	var asked []string
	programmed := func(key string, gen int64) *metav1.Condition {
		asked = append(asked, key)
		c := cond(apiv1.ConditionProgrammed, metav1.ConditionUnknown, apiv1.ReasonPending)
		return &c
	}
	if res := f.write(statuses, programmed); res != (Result{Updated: 5}) {
		t.Errorf("first write: %+v, want 5 updated", res)
	}
	if len(asked) != 1 || asked[0] != f.ns+"/pets" {
		t.Errorf("programmed asked for %v, want the stage's key only", asked)
	}
	versions := map[string]string{}
	for kind, obj := range objs {
		got := f.get(obj)
		versions[kind] = got.GetResourceVersion()
		checkCondition(t, got, apiv1.ConditionAccepted, metav1.ConditionTrue, 1, t0)
		checkCondition(t, got, apiv1.ConditionReady, metav1.ConditionTrue, 1, t0)
	}
	api := f.get(objs[compile.KindRestApi]).(*apiv1.RestApi)
	if api.Status.ObservedGeneration != 1 || api.Status.Revision != 7 || api.Status.Routes != 12 {
		t.Errorf("RestApi status = %+v", api.Status)
	}
	stage := f.get(objs[compile.KindStage]).(*apiv1.Stage)
	if stage.Status.URL != "http://gw.example.com/prod/" || stage.Status.DeployedRevision != 7 || stage.Status.CanaryRevision != 8 {
		t.Errorf("Stage status = %+v", stage.Status)
	}
	checkCondition(t, stage, apiv1.ConditionProgrammed, metav1.ConditionUnknown, 1, t0)
	if plan := f.get(objs[compile.KindUsagePlan]).(*apiv1.UsagePlan); plan.Status.APIKeys != 2 {
		t.Errorf("UsagePlan status = %+v", plan.Status)
	}

	// The same statuses again, later: nothing to write, not even a transition time.
	f.now = t1
	if res := f.write(statuses, programmed); res != (Result{Unchanged: 5}) {
		t.Errorf("second write: %+v, want 5 unchanged", res)
	}
	for kind, obj := range objs {
		if rv := f.get(obj).GetResourceVersion(); rv != versions[kind] {
			t.Errorf("%s written again: resourceVersion %s -> %s", kind, versions[kind], rv)
		}
	}
}

func TestWriteChangedCondition(t *testing.T) {
	f := newFixture(t, "status-changed")
	route := f.create(compile.KindRoute, "get-pets")
	f.write([]compile.ObjectStatus{statusFor(route, accepted, ready, cond("Extra", metav1.ConditionTrue, "Extra"))}, nil)

	f.now = t1
	if res := f.write([]compile.ObjectStatus{statusFor(route, accepted, notReady)}, nil); res != (Result{Updated: 1}) {
		t.Errorf("write: %+v, want 1 updated", res)
	}
	got := f.get(route)
	checkCondition(t, got, apiv1.ConditionAccepted, metav1.ConditionTrue, 1, t0)
	checkCondition(t, got, apiv1.ConditionReady, metav1.ConditionFalse, 1, t1)
	if c := meta.FindStatusCondition(conditionsOf(got), apiv1.ConditionReady); c.Reason != apiv1.ReasonBackendNotFound {
		t.Errorf("Ready reason = %s", c.Reason)
	}
	if meta.FindStatusCondition(conditionsOf(got), "Extra") != nil {
		t.Error("a condition the compiler no longer reports is still there")
	}
}

func TestWriteProgrammed(t *testing.T) {
	f := newFixture(t, "status-programmed")
	stage := f.create(compile.KindStage, "prod")
	st := statusFor(stage, accepted, ready)
	st.StageKey = f.ns + "/prod"
	programmedTrue := func(key string, gen int64) *metav1.Condition {
		c := cond(apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
		c.ObservedGeneration = gen
		return &c
	}
	f.write([]compile.ObjectStatus{st}, programmedTrue)
	checkCondition(t, f.get(stage), apiv1.ConditionProgrammed, metav1.ConditionTrue, 1, t0)

	// No news from the proxies (nil), nor a callback at all: Programmed stays.
	f.now = t1
	st.Conditions = []metav1.Condition{accepted, notReady}
	f.write([]compile.ObjectStatus{st}, func(string, int64) *metav1.Condition { return nil })
	checkCondition(t, f.get(stage), apiv1.ConditionProgrammed, metav1.ConditionTrue, 1, t0)
	st.Conditions = []metav1.Condition{accepted}
	f.write([]compile.ObjectStatus{st}, nil)
	got := f.get(stage)
	checkCondition(t, got, apiv1.ConditionProgrammed, metav1.ConditionTrue, 1, t0)
	if len(conditionsOf(got)) != 2 {
		t.Errorf("conditions = %+v, want Accepted and Programmed", conditionsOf(got))
	}
}

func TestWriteSkips(t *testing.T) {
	f := newFixture(t, "status-skips")
	api := f.create(compile.KindRestApi, "pets").(*apiv1.RestApi)
	compiled := statusFor(api, accepted)

	// The spec changes after the compile read it: generation 2 > 1.
	api.Spec.Description = "changed"
	if err := f.c.Update(f.ctx, api); err != nil {
		t.Fatal(err)
	}
	if api.Generation != 2 {
		t.Fatalf("generation = %d after a spec change, want 2", api.Generation)
	}
	deleted := compile.ObjectStatus{Kind: compile.KindRoute, Namespace: f.ns, Name: "deleted", Generation: 1,
		Conditions: []metav1.Condition{accepted}}
	if res := f.write([]compile.ObjectStatus{compiled, deleted}, nil); res != (Result{Skipped: 2}) {
		t.Errorf("write: %+v, want 2 skipped", res)
	}
	if got := f.get(api).(*apiv1.RestApi); got.ResourceVersion != api.ResourceVersion || len(got.Status.Conditions) != 0 {
		t.Errorf("a status of an older generation was written: %+v", got.Status)
	}
}

// The object changes between the writer's get and its update: the update conflicts, and the
// writer gets the object again and writes on top of that change.
func TestWriteRetriesConflict(t *testing.T) {
	f := newFixture(t, "status-conflict")
	api := f.create(compile.KindRestApi, "pets")
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	updates := 0
	c := interceptor.NewClient(base, interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			updates++
			if updates == 1 {
				other := f.get(obj)
				other.SetLabels(map[string]string{"touched": "yes"})
				if err := c.Update(ctx, other); err != nil {
					t.Fatal(err)
				}
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	})
	f.w.Client = c
	if res := f.write([]compile.ObjectStatus{statusFor(api, accepted)}, nil); res != (Result{Updated: 1}) {
		t.Errorf("write: %+v, want 1 updated", res)
	}
	if updates != 2 {
		t.Errorf("%d status updates, want 2 (one conflict, one retry)", updates)
	}
	got := f.get(api)
	if got.GetLabels()["touched"] != "yes" {
		t.Error("the concurrent change was lost")
	}
	checkCondition(t, got, apiv1.ConditionAccepted, metav1.ConditionTrue, 1, t0)
}

// One object's failure is reported and does not stop the others.
func TestWriteCollectsErrors(t *testing.T) {
	f := newFixture(t, "status-errors")
	a := f.create(compile.KindAuthorizer, "jwt")
	b := f.create(compile.KindAuthorizer, "token")
	invalid := cond(apiv1.ConditionAccepted, metav1.ConditionTrue, "not a valid reason!")
	statuses := []compile.ObjectStatus{
		statusFor(a, invalid),
		{Kind: "Gateway", Namespace: f.ns, Name: "x", Generation: 1},
		statusFor(b, accepted),
	}
	res, err := f.w.Write(f.ctx, statuses, nil)
	if res != (Result{Updated: 1, Failed: 2}) {
		t.Errorf("write: %+v, want 1 updated, 2 failed", res)
	}
	if err == nil || !strings.Contains(err.Error(), "Authorizer "+f.ns+"/jwt") || !strings.Contains(err.Error(), `unknown kind "Gateway"`) {
		t.Errorf("error = %v, want one naming each failed object", err)
	}
	checkCondition(t, f.get(b), apiv1.ConditionAccepted, metav1.ConditionTrue, 1, t0)
}
