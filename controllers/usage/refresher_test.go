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

package usage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/quota"
	"github.com/portico-dev/portico/internal/scheme"
)

// store answers fixed counts for the November 2026 window, or err.
type store struct {
	counts map[string]int64
	err    error
	reads  int
}

func (s *store) Used(_ context.Context, key string, w quota.Window) (int64, error) {
	s.reads++
	if s.err != nil {
		return 0, s.err
	}
	if !w.Start.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		return 0, errors.New("wrong window " + w.Start.String())
	}
	return s.counts[key], nil
}

// writes records WriteUsage calls.
type writes map[types.NamespacedName]*apiv1.UsageSummary

func (w writes) WriteUsage(_ context.Context, plan types.NamespacedName, u *apiv1.UsageSummary, refreshAfter time.Duration) (bool, error) {
	if refreshAfter != 10*time.Minute {
		return false, errors.New("refresh age " + refreshAfter.String())
	}
	w[plan] = u
	return true, nil
}

func apiKey(name string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
		Type:       apiv1.APIKeySecretType,
		Data:       map[string][]byte{apiv1.APIKeySecretKey: []byte(strings.Repeat(name[:1], 40))},
	}
}

func TestRefresh(t *testing.T) {
	stage := func(name, api, stageName string) *apiv1.Stage {
		return &apiv1.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
			Spec: apiv1.StageSpec{RestApiRef: apiv1.LocalObjectReference{Name: api}, StageName: stageName}}
	}
	gold := &apiv1.UsagePlan{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "gold"},
		Spec: apiv1.UsagePlanSpec{
			// Two stages, one counter per key: the quota is the key's across the plan.
			APIStages: []apiv1.UsagePlanAPIStage{{RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, Stage: "prod"}, {RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, Stage: "test"}},
			Quota:     &apiv1.Quota{Limit: 10, Period: apiv1.QuotaMonth},
			APIKeys:   []apiv1.LocalObjectReference{{Name: "alice"}, {Name: "bob"}},
		},
	}
	// free lost its quota: its old summary goes.
	free := &apiv1.UsagePlan{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "free"},
		Spec: apiv1.UsagePlanSpec{
			APIStages: []apiv1.UsagePlanAPIStage{{RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, Stage: "test"}},
			APIKeys:   []apiv1.LocalObjectReference{{Name: "carol"}},
		},
		Status: apiv1.UsagePlanStatus{Usage: &apiv1.UsageSummary{Used: 3}},
	}
	// silver never had one: nothing to write.
	silver := free.DeepCopy()
	silver.Name, silver.Status.Usage = "silver", nil
	c := fake.NewClientBuilder().WithScheme(scheme.New()).
		WithIndex(&corev1.Secret{}, "type", func(o client.Object) []string { return []string{string(o.(*corev1.Secret).Type)} }).
		WithObjects(gold, free, silver, stage("live", "pets", "prod"), stage("test", "pets", "test"), apiKey("alice"), apiKey("bob"), apiKey("carol")).
		Build()

	var logs []string
	s := &store{counts: map[string]int64{
		quota.Key("shop", "gold", "alice"): 10,
		quota.Key("shop", "gold", "bob"):   4,
	}}
	w := writes{}
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	r := &Refresher{Client: c, Store: s, Status: w, Interval: time.Minute, Now: func() time.Time { return now },
		Log: funcr.New(func(_, args string) { logs = append(logs, args) }, funcr.Options{})}
	ctx := context.Background()

	// Redis down: nothing written, logged once however many passes fail.
	s.err = errors.New("connection refused")
	for range 3 {
		if err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(w) != 0 || len(logs) != 1 || !strings.Contains(logs[0], "connection refused") {
		t.Fatalf("with the store down: writes %v, logs %q", w, logs)
	}
	if s.reads != 3 {
		t.Errorf("%d reads in three failing passes; a pass stops at its first error", s.reads)
	}

	s.err = nil
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if len(logs) != 2 || !strings.Contains(logs[1], "again") {
		t.Errorf("recovery not logged: %q", logs)
	}
	got := w[types.NamespacedName{Namespace: "shop", Name: "gold"}]
	if got == nil || got.Used != 14 || got.KeysAtLimit != 1 || len(got.Keys) != 2 ||
		got.Keys[0] != (apiv1.KeyUsage{Name: "alice", Used: 10, Remaining: 0}) ||
		got.Keys[1] != (apiv1.KeyUsage{Name: "bob", Used: 4, Remaining: 6}) {
		t.Errorf("gold's usage = %+v", got)
	}
	if u, ok := w[types.NamespacedName{Namespace: "shop", Name: "free"}]; !ok || u != nil {
		t.Errorf("free's stale usage not cleared: %v, %v", u, ok)
	}
	if _, ok := w[types.NamespacedName{Namespace: "shop", Name: "silver"}]; ok || len(w) != 2 {
		t.Errorf("writes %v: only gold and free need one", w)
	}
}

func TestStartStopsWithContext(t *testing.T) {
	r := &Refresher{Interval: time.Hour}
	if !r.NeedLeaderElection() {
		t.Error("the refresher writes statuses: it must run on the leader only")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Start(ctx); err != nil {
		t.Errorf("Start: %v", err)
	}
}
