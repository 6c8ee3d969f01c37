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

package fleet_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/controllers/fleet"
	"github.com/portico-dev/portico/controllers/manifest"
	"github.com/portico-dev/portico/controllers/xds/xdstest"
	"github.com/portico-dev/portico/internal/testkit"
)

type replica struct {
	*controllers.Controller
	addr string
	stop func()
}

// startReplica runs one controller replica with leader election, as the chart does, with a
// fast heartbeat.
func startReplica(t *testing.T, controllerNamespace, identity string) *replica {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := logr.Discard()
	if os.Getenv("PORTICO_TEST_LOG") != "" {
		log = zap.New(zap.UseDevMode(true)).WithName(identity)
	}
	ctrl.SetLogger(log)
	c, err := controllers.New(controllers.Config{
		RestConfig: env.Config, XDSListener: lis, MetricsAddr: "0", HealthAddr: "0",
		LeaderElect: true, LeaderElectionNamespace: controllerNamespace,
		GatewayURL: "http://gateway.test", Log: log, Registerer: prometheus.NewRegistry(),
		SkipNameValidation: true,
		Fleet:              controllers.FleetConfig{Identity: identity, Heartbeat: 200 * time.Millisecond, Debounce: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx); err != nil {
			t.Errorf("%s: %v", identity, err)
		}
	}()
	r := &replica{Controller: c, addr: lis.Addr().String()}
	stopped := false
	r.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(r.stop)
	return r
}

func elected(c *controllers.Controller) bool {
	select {
	case <-c.Manager.Elected():
		return true
	default:
		return false
	}
}

// programmed polls the Stage until its Programmed condition, for its current generation, has
// status and reason and a message containing want; it returns the message.
func programmed(t *testing.T, ns, name string, status metav1.ConditionStatus, reason, want string) string {
	t.Helper()
	var last string
	deadline := time.Now().Add(testkit.WaitTimeout)
	for {
		s := &apiv1.Stage{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err == nil {
			if c := meta.FindStatusCondition(s.Status.Conditions, apiv1.ConditionProgrammed); c != nil {
				last = fmt.Sprintf("%s %s (generation %d of %d): %s", c.Status, c.Reason, c.ObservedGeneration, s.Generation, c.Message)
				if c.Status == status && c.Reason == reason && c.ObservedGeneration == s.Generation &&
					strings.Contains(c.Message, strings.ReplaceAll(want, "$GEN", fmt.Sprint(s.Generation))) {
					return c.Message
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Stage %s/%s: want Programmed %s %s with %q; last seen %s", ns, name, status, reason, want, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func setVariable(t *testing.T, ns, name, value string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s := &apiv1.Stage{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
			return err
		}
		s.Spec.Variables = apiv1.StageVariables{"v": apiv1.StageVariableValue(value)}
		return env.Client.Update(context.Background(), s)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two replicas with a proxy each: the leader's Stage status counts both proxies, and a
// rejection by the proxy on the follower shows on the Stage. When the follower stops, its
// report goes with it and its proxy no longer counts.
func TestProgrammedCountsEveryReplica(t *testing.T) {
	needEnv(t)
	// controllerNamespace holds the Lease and the reports, as the release namespace does.
	controllerNamespace := newNamespace(t, "portico-system")
	ns := newNamespace(t, "replicas")

	a := startReplica(t, controllerNamespace, "replica-a")
	xdstest.Eventually(t, "replica-a elected", func() bool { return elected(a.Controller) })
	b := startReplica(t, controllerNamespace, "replica-b")

	stageKey := ns + "/prod"
	types := []string{xdsv1alpha1.StageSnapshotTypeURL, resource.EndpointType}
	pa := xdstest.StartProxy(t, a.addr, "proxy-a", nil, types...)
	t.Cleanup(pa.Close)
	pb := xdstest.StartProxy(t, b.addr, "proxy-b", nil, types...)
	t.Cleanup(pb.Close)

	// Stage paths are claimed cluster-wide: each run serves its own.
	docs, err := manifest.Decode([]byte(strings.ReplaceAll(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: list}
spec: {restApiRef: {name: pets}, path: /pets, integration: {type: MOCK, mock: {}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec: {restApiRef: {name: pets}, stageName: STAGE, variables: {v: "1"}}
`, "STAGE", ns)), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		obj := d.Object.(client.Object)
		obj.SetNamespace(ns)
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}

	msg := programmed(t, ns, "prod", metav1.ConditionTrue, apiv1.ReasonProgrammed, "all 2 connected proxies applied generation $GEN")
	t.Logf("Programmed: %s", msg)
	if elected(b.Controller) {
		t.Fatal("both replicas lead")
	}
	for _, p := range []*xdstest.Proxy{pa, pb} {
		if p.Resource(xdsv1alpha1.StageSnapshotTypeURL, stageKey) == nil {
			t.Errorf("a proxy lacks %s", stageKey)
		}
	}
	var reports corev1.ConfigMapList
	if err := env.Client.List(context.Background(), &reports, client.InNamespace(controllerNamespace), client.MatchingLabelsSelector{Selector: fleet.Selector()}); err != nil {
		t.Fatal(err)
	}
	if len(reports.Items) != 2 {
		t.Errorf("%d reports in %s, want one per replica", len(reports.Items), controllerNamespace)
	}

	// The proxy on the follower rejects the next version.
	pb.SetReject(func(r *discoveryv3.DeltaDiscoveryResponse) string {
		for _, res := range r.GetResources() {
			if res.GetName() == stageKey {
				return "route tree: duplicate route GET /pets"
			}
		}
		return ""
	})
	setVariable(t, ns, "prod", "2")
	msg = programmed(t, ns, "prod", metav1.ConditionFalse, apiv1.ReasonRejected, "proxy proxy-b rejected generation $GEN: route tree: duplicate route GET /pets")
	t.Logf("Programmed: %s", msg)

	pb.SetReject(nil)
	setVariable(t, ns, "prod", "3")
	programmed(t, ns, "prod", metav1.ConditionTrue, apiv1.ReasonProgrammed, "all 2 connected proxies applied generation $GEN")

	// The follower stops: it deletes its report, and its proxy (disconnected) stops counting.
	b.stop()
	msg = programmed(t, ns, "prod", metav1.ConditionTrue, apiv1.ReasonProgrammed, "all 1 connected proxies applied generation $GEN")
	t.Logf("Programmed after the follower stopped: %s", msg)
	if _, ok := report(t, controllerNamespace, "replica-b"); ok {
		t.Error("the stopped replica's report is still there")
	}
}
