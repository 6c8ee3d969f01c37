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
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

// WriteProgrammed changes the Programmed condition alone, skips what is unchanged, gone or at
// another generation, and keeps the transition time while the status stays.
func TestWriteProgrammedAlone(t *testing.T) {
	f := newFixture(t, "status-programmed-alone")
	stage := f.create(compile.KindStage, "prod").(*apiv1.Stage)
	key := client.ObjectKeyFromObject(stage)
	gen := stage.Generation
	pending := cond(apiv1.ConditionProgrammed, metav1.ConditionUnknown, apiv1.ReasonPending)
	st := statusFor(stage, accepted, ready)
	st.StageKey = key.String()
	f.write([]compile.ObjectStatus{st}, func(string, int64) *metav1.Condition { return &pending })

	writeProgrammed := func(c *metav1.Condition, generation int64) bool {
		t.Helper()
		calls := 0
		wrote, err := f.w.WriteProgrammed(f.ctx, key, generation, func() *metav1.Condition { calls++; return c })
		if err != nil {
			t.Fatal(err)
		}
		if wrote && calls == 0 {
			t.Error("wrote without asking for the condition")
		}
		return wrote
	}

	programmed := cond(apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	programmed.Message = "all 2 connected proxies applied generation 1"
	f.now = metav1.NewTime(t0.Add(time.Minute))
	if !writeProgrammed(&programmed, gen) {
		t.Fatal("a changed condition was not written")
	}
	got := f.get(stage).(*apiv1.Stage)
	checkCondition(t, got, apiv1.ConditionProgrammed, metav1.ConditionTrue, gen, f.now)
	checkCondition(t, got, apiv1.ConditionReady, metav1.ConditionTrue, gen, t0)
	checkCondition(t, got, apiv1.ConditionAccepted, metav1.ConditionTrue, gen, t0)
	if c := meta.FindStatusCondition(got.Status.Conditions, apiv1.ConditionProgrammed); c.Message != programmed.Message {
		t.Errorf("message %q", c.Message)
	}

	rv := got.ResourceVersion
	f.now = metav1.NewTime(t0.Add(2 * time.Minute))
	if writeProgrammed(&programmed, gen) {
		t.Error("an unchanged condition was written")
	}
	if writeProgrammed(nil, gen) {
		t.Error("a nil condition was written")
	}
	if writeProgrammed(&pending, gen+1) {
		t.Error("a condition for another generation was written")
	}
	if got := f.get(stage); got.GetResourceVersion() != rv {
		t.Errorf("resourceVersion %s, want %s: something was written", got.GetResourceVersion(), rv)
	}

	// Same status, new message: written, transition time kept.
	programmed.Message = "all 3 connected proxies applied generation 1"
	if !writeProgrammed(&programmed, gen) {
		t.Error("a new message was not written")
	}
	checkCondition(t, f.get(stage), apiv1.ConditionProgrammed, metav1.ConditionTrue, gen, metav1.NewTime(t0.Add(time.Minute)))

	if _, err := f.w.WriteProgrammed(f.ctx, types.NamespacedName{Namespace: f.ns, Name: "gone"}, 1, func() *metav1.Condition { return &pending }); err != nil {
		t.Errorf("a missing Stage: %v", err)
	}
}

// A conflict makes WriteProgrammed get the Stage again and ask for the condition again: the
// write that lands carries the proxies' state as of the retry.
func TestWriteProgrammedConflictAsksAgain(t *testing.T) {
	f := newFixture(t, "status-programmed-conflict")
	stage := f.create(compile.KindStage, "prod")
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	updates := 0
	f.w.Client = interceptor.NewClient(base, interceptor.Funcs{
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
	states := []metav1.Condition{
		cond(apiv1.ConditionProgrammed, metav1.ConditionFalse, apiv1.ReasonPending),
		cond(apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed),
	}
	asked := 0
	wrote, err := f.w.WriteProgrammed(f.ctx, client.ObjectKeyFromObject(stage), stage.GetGeneration(), func() *metav1.Condition {
		c := states[min(asked, 1)]
		asked++
		return &c
	})
	if err != nil || !wrote {
		t.Fatalf("wrote %v, err %v", wrote, err)
	}
	if asked != 2 || updates != 2 {
		t.Errorf("asked %d times, updated %d times; want 2 and 2", asked, updates)
	}
	checkCondition(t, f.get(stage), apiv1.ConditionProgrammed, metav1.ConditionTrue, stage.GetGeneration(), t0)
}

// WriteProgrammed compares the condition with the object Reader reads, not Client's (the
// informers' cache, which may lag the last writes): a condition the cache already shows as
// it should be, while the API server holds an older one, is written. Without a Reader the
// lagging copy hides the write, which nothing would try again (the Programmed refresher is
// signalled by the proxies, not by the object).
func TestWriteProgrammedReadsThroughReader(t *testing.T) {
	f := newFixture(t, "status-programmed-reader")
	stage := f.create(compile.KindStage, "prod")
	key := client.ObjectKeyFromObject(stage)
	gen := stage.GetGeneration()
	want := cond(apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	want.Message = "all 1 connected proxies applied generation 1"
	// What a lagging cache holds: the Stage as it was once, with want on it; the server has none.
	stale := f.get(stage).(*apiv1.Stage)
	setProgrammed(&stale.Status.Conditions, want, gen, f.now)
	direct, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	f.w.Client = interceptor.NewClient(direct, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, k client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if s, ok := obj.(*apiv1.Stage); ok {
				stale.DeepCopyInto(s)
				return nil
			}
			return c.Get(ctx, k, obj, opts...)
		},
	})
	programmed := func() *metav1.Condition { c := want; return &c }
	if wrote, err := f.w.WriteProgrammed(f.ctx, key, gen, programmed); err != nil || wrote {
		t.Fatalf("through the lagging copy: wrote %v, err %v; want the write skipped (the defect Reader mends)", wrote, err)
	}
	f.w.Reader = direct
	if wrote, err := f.w.WriteProgrammed(f.ctx, key, gen, programmed); err != nil || !wrote {
		t.Fatalf("through Reader: wrote %v, err %v; want the condition written", wrote, err)
	}
	got := meta.FindStatusCondition(f.get(stage).(*apiv1.Stage).Status.Conditions, apiv1.ConditionProgrammed)
	if got == nil || got.Message != want.Message {
		t.Errorf("the server's Programmed condition: %v", got)
	}
}
