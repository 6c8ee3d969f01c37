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

package controllers_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/controllers/manifest"
	"github.com/portico-dev/portico/controllers/revisions"
	"github.com/portico-dev/portico/controllers/xds/xdstest"
	"github.com/portico-dev/portico/internal/testenv"
)

var (
	env     *testenv.Env
	xdsAddr string
)

// TestMain starts one API server and one controller for the package; tests use their own
// namespaces, and their own proxies, which they disconnect when done.
func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) {
		env = e
		if e == nil {
			return
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		xdsAddr = lis.Addr().String()
		log := logr.Discard()
		if os.Getenv("PORTICO_TEST_LOG") != "" {
			log = zap.New(zap.UseDevMode(true))
		}
		ctrl.SetLogger(log)
		log = logr.New(&compileCounter{inner: log.GetSink(), counts: compiles})
		c, err := controllers.New(controllers.Config{
			RestConfig: e.Config, XDSListener: lis, MetricsAddr: "0", HealthAddr: "0",
			GatewayURL: "http://gateway.test", Log: log, Registerer: prometheus.NewRegistry(),
			// The usage refresher runs as in production; TestUsageInStatus plugs its Redis in.
			UsageStore: usageCounts, UsageInterval: 50 * time.Millisecond, Now: usageClock,
		})
		if err != nil {
			panic(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := c.Run(ctx); err != nil {
				panic(err)
			}
		}()
		e.Defer(func() { cancel(); <-done })
	})
}

func needEnv(t *testing.T) {
	t.Helper()
	if env == nil {
		t.Skip("needs a kube-apiserver; runs without -short")
	}
}

func newNamespace(t *testing.T, name string) {
	t.Helper()
	if err := env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
}

// apply creates the manifests in ns, in order.
func apply(t *testing.T, ns string, docs []manifest.Document) {
	t.Helper()
	for _, d := range docs {
		obj := d.Object.(client.Object)
		obj.SetNamespace(ns)
		if err := env.Client.Create(context.Background(), obj); err != nil {
			t.Fatalf("%s: %v", d.Source, err)
		}
	}
}

// update gets obj, applies mutate and updates it, retrying on conflicts: the controller
// writes status concurrently.
func update[T client.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate(obj)
		return env.Client.Update(context.Background(), obj)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func decode(t *testing.T, yaml string) []manifest.Document {
	t.Helper()
	docs, err := manifest.Decode([]byte(yaml), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// condition polls obj until its condition condType has status and reason, and returns it.
func condition(t *testing.T, obj client.Object, conds func() []metav1.Condition, condType string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	var got *metav1.Condition
	xdstest.Eventually(t, obj.GetName()+" "+condType+"="+string(status)+" "+reason, func() bool {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return false
		}
		got = meta.FindStatusCondition(conds(), condType)
		return got != nil && got.Status == status && got.Reason == reason && got.ObservedGeneration == obj.GetGeneration()
	})
	return *got
}

func stageCond(t *testing.T, ns, name, condType string, status metav1.ConditionStatus, reason string) (apiv1.Stage, metav1.Condition) {
	t.Helper()
	s := &apiv1.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	c := condition(t, s, func() []metav1.Condition { return s.Status.Conditions }, condType, status, reason)
	return *s, c
}

func routeCond(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	r := &apiv1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	return condition(t, r, func() []metav1.Condition { return r.Status.Conditions }, apiv1.ConditionAccepted, status, reason)
}

// snapshot returns the stage snapshot a proxy applied, once pred holds for it.
func snapshot(t *testing.T, p *xdstest.Proxy, key string, pred func(*xdsv1alpha1.StageSnapshot) bool) *xdsv1alpha1.StageSnapshot {
	t.Helper()
	var snap *xdsv1alpha1.StageSnapshot
	xdstest.Eventually(t, "the proxy applied "+key, func() bool {
		res := p.Resource(xdsv1alpha1.StageSnapshotTypeURL, key)
		if res == nil {
			return false
		}
		s := &xdsv1alpha1.StageSnapshot{}
		if err := res.GetResource().UnmarshalTo(s); err != nil {
			t.Fatalf("decoding %s: %v", key, err)
		}
		snap = s
		return pred(s)
	})
	return snap
}

func routePaths(s *xdsv1alpha1.StageSnapshot) []string {
	var out []string
	for _, r := range s.GetApi().GetRoutes() {
		out = append(out, r.GetPath())
	}
	return out
}

func startProxy(t *testing.T, node string, reject func(*discoveryv3.DeltaDiscoveryResponse) string) *xdstest.Proxy {
	t.Helper()
	p := xdstest.StartProxy(t, xdsAddr, node, reject, xdsv1alpha1.StageSnapshotTypeURL, resource.EndpointType)
	t.Cleanup(p.Close)
	return p
}

func TestSamplesBecomeReady(t *testing.T) {
	needEnv(t)
	ns := "samples"
	newNamespace(t, ns)
	proxy := startProxy(t, "proxy-samples", nil)
	files, err := filepath.Glob(filepath.Join(env.ModuleRoot, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := manifest.Decode(data, f)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, ns, docs)
	}

	stage, programmed := stageCond(t, ns, "prod", apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	if !strings.Contains(programmed.Message, "all 1 connected proxies") {
		t.Errorf("Programmed message %q", programmed.Message)
	}
	stageCond(t, ns, "prod", apiv1.ConditionReady, metav1.ConditionTrue, apiv1.ReasonReady)
	// Objects arrive one by one, and each distinct compiled API is a revision: the API may
	// have compiled before all its routes existed. The latest revision has them all.
	api := &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pets"}}
	xdstest.Eventually(t, "the RestApi counts 7 routes", func() bool {
		return env.Client.Get(context.Background(), client.ObjectKeyFromObject(api), api) == nil && api.Status.Routes == 7
	})
	condition(t, api, func() []metav1.Condition { return api.Status.Conditions }, apiv1.ConditionReady, metav1.ConditionTrue, apiv1.ReasonReady)
	stage, _ = stageCond(t, ns, "prod", apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	latest := api.Status.Revision
	if stage.Status.URL != "http://gateway.test/prod/" || stage.Status.DeployedRevision != latest || stage.Status.CanaryRevision != latest {
		t.Errorf("stage status url %q revision %d canary %d, want revision %d", stage.Status.URL, stage.Status.DeployedRevision, stage.Status.CanaryRevision, latest)
	}
	var revs appsv1.ControllerRevisionList
	if err := env.Client.List(context.Background(), &revs, client.InNamespace(ns), client.MatchingLabels{revisions.LabelRestApi: "pets"}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range revs.Items {
		found = found || r.Revision == latest
		if len(r.OwnerReferences) != 1 || r.OwnerReferences[0].Name != "pets" {
			t.Errorf("revision %s owners %v, want the RestApi", r.Name, r.OwnerReferences)
		}
	}
	if !found || latest < 1 {
		t.Fatalf("no ControllerRevision %d among %d", latest, len(revs.Items))
	}
	for _, name := range []string{"list-pets", "get-pet", "create-pet", "store", "health", "list-toys"} {
		routeCond(t, ns, name, metav1.ConditionTrue, apiv1.ReasonAccepted)
	}

	// customer-b was created without a key: the controller generates one, and the plan
	// then counts both keys.
	plan := &apiv1.UsagePlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gold"}}
	xdstest.Eventually(t, "the plan counts 2 keys", func() bool {
		return env.Client.Get(context.Background(), client.ObjectKeyFromObject(plan), plan) == nil && plan.Status.APIKeys == 2
	})
	var secret corev1.Secret
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "customer-b"}, &secret); err != nil {
		t.Fatal(err)
	}
	if key := string(secret.Data[apiv1.APIKeySecretKey]); len(key) != controllers.GeneratedKeyLength {
		t.Errorf("generated key %q has %d characters, want %d", key, len(key), controllers.GeneratedKeyLength)
	}

	snap := snapshot(t, proxy, ns+"/prod", func(s *xdsv1alpha1.StageSnapshot) bool {
		for _, p := range s.GetUsagePlans() {
			if len(p.GetKeys()) == 2 {
				return true
			}
		}
		return false
	})
	for _, p := range snap.GetUsagePlans() {
		for _, k := range p.GetKeys() {
			if len(k.GetSha256()) != 64 || strings.Contains(string(secret.Data["key"]), k.GetSha256()) {
				t.Errorf("key %s travels as %q, want a SHA-256 hash", k.GetId(), k.GetSha256())
			}
		}
	}
	if got := len(snap.GetApi().GetRoutes()); got != 7 {
		t.Errorf("the proxy has %d routes, want 7", got)
	}
	if cla := proxy.Resource(resource.EndpointType, ns+"/pets-svc:8080"); cla == nil {
		t.Error("the proxy did not get the endpoints of pets-svc")
	}
}

const authzCase = `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: shop}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: jwt}
spec: {type: JWT, jwt: {issuer: "https://idp.example/", audiences: [shop]}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: orders}
spec: {restApiRef: {name: shop}, path: /orders, authorization: {authorizerRef: {name: jwt}}, integration: {type: MOCK, mock: {}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: catalog}
spec: {restApiRef: {name: shop}, path: /catalog, integration: {type: MOCK, mock: {}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: shop}
spec: {restApiRef: {name: shop}, stageName: shop}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: blog}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: posts}
spec: {restApiRef: {name: blog}, path: /posts, integration: {type: MOCK, mock: {}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: blog}
spec: {restApiRef: {name: blog}, stageName: blog}
`

// Deleting an Authorizer refuses the Route using it and marks its Stage, while the other
// stage's snapshot is not touched.
func TestDeletingAuthorizerFlipsConditions(t *testing.T) {
	needEnv(t)
	ns := "authz"
	newNamespace(t, ns)
	proxy := startProxy(t, "proxy-authz", nil)
	apply(t, ns, decode(t, authzCase))
	stageCond(t, ns, "shop", apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	stageCond(t, ns, "blog", apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	blogVersion := proxy.Resource(xdsv1alpha1.StageSnapshotTypeURL, ns+"/blog").GetVersion()

	if err := env.Client.Delete(context.Background(), &apiv1.Authorizer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "jwt"}}); err != nil {
		t.Fatal(err)
	}
	c := routeCond(t, ns, "orders", metav1.ConditionFalse, apiv1.ReasonAuthorizerNotFound)
	if !strings.Contains(c.Message, `the Authorizer "jwt" does not exist`) {
		t.Errorf("route message %q", c.Message)
	}
	_, ready := stageCond(t, ns, "shop", apiv1.ConditionReady, metav1.ConditionFalse, apiv1.ReasonAuthorizerNotFound)
	if !strings.Contains(ready.Message, "Route orders is not served") {
		t.Errorf("stage message %q", ready.Message)
	}
	snap := snapshot(t, proxy, ns+"/shop", func(s *xdsv1alpha1.StageSnapshot) bool { return len(s.GetApi().GetRoutes()) == 1 })
	if got := routePaths(snap); len(got) != 1 || got[0] != "/catalog" {
		t.Errorf("shop serves %v, want only /catalog", got)
	}
	routeCond(t, ns, "catalog", metav1.ConditionTrue, apiv1.ReasonAccepted)
	if v := proxy.Resource(xdsv1alpha1.StageSnapshotTypeURL, ns+"/blog").GetVersion(); v != blogVersion {
		t.Errorf("the blog stage was re-pushed (version %s -> %s) though nothing of it changed", blogVersion, v)
	}
}

// Editing a route makes revision 2, which the stage follows; pinning revision 1 serves the
// old route again.
func TestPinningAnOldRevision(t *testing.T) {
	needEnv(t)
	ns := "pinning"
	newNamespace(t, ns)
	proxy := startProxy(t, "proxy-pinning", nil)
	apply(t, ns, decode(t, `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: r}
spec: {restApiRef: {name: pets}, path: /v1, integration: {type: MOCK, mock: {}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: pin}
spec: {restApiRef: {name: pets}}
`))
	// The API may compile before its route exists: find the revision serving /v1.
	first := snapshot(t, proxy, ns+"/pin", func(s *xdsv1alpha1.StageSnapshot) bool { return len(routePaths(s)) == 1 }).GetRevision()

	update(t, &apiv1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "r"}}, func(r *apiv1.Route) { r.Spec.Path = "/v2" })
	snap := snapshot(t, proxy, ns+"/pin", func(s *xdsv1alpha1.StageSnapshot) bool { return s.GetRevision() > first })
	if got := routePaths(snap); len(got) != 1 || got[0] != "/v2" {
		t.Fatalf("revision %d serves %v, want [/v2]", snap.GetRevision(), got)
	}

	update(t, &apiv1.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pin"}}, func(s *apiv1.Stage) {
		s.Spec.Deployment = &apiv1.StageDeployment{Revision: first}
	})
	snap = snapshot(t, proxy, ns+"/pin", func(s *xdsv1alpha1.StageSnapshot) bool { return s.GetRevision() == first })
	if got := routePaths(snap); len(got) != 1 || got[0] != "/v1" {
		t.Errorf("pinned revision %d serves %v, want [/v1]", first, got)
	}
	stage, _ := stageCond(t, ns, "pin", apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
	if stage.Status.DeployedRevision != first {
		t.Errorf("deployedRevision = %d, want %d", stage.Status.DeployedRevision, first)
	}
}

// A proxy that rejects a stage's snapshot shows on the Stage's Programmed condition, with
// its error; once it accepts a later version the condition recovers.
func TestNackShowsOnProgrammed(t *testing.T) {
	needEnv(t)
	ns := "nack"
	newNamespace(t, ns)
	stageKey := ns + "/flaky"
	rejectFlaky := func(r *discoveryv3.DeltaDiscoveryResponse) string {
		for _, res := range r.GetResources() {
			if res.GetName() == stageKey {
				return "route tree: duplicate route GET /x"
			}
		}
		return ""
	}
	proxy := startProxy(t, "proxy-nack", rejectFlaky)
	apply(t, ns, decode(t, `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: flaky}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: r}
spec: {restApiRef: {name: flaky}, path: /x, integration: {type: MOCK, mock: {}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: flaky}
spec: {restApiRef: {name: flaky}, variables: {v: "1"}}
`))
	_, c := stageCond(t, ns, "flaky", apiv1.ConditionProgrammed, metav1.ConditionFalse, apiv1.ReasonRejected)
	if !strings.Contains(c.Message, "proxy-nack") || !strings.Contains(c.Message, "duplicate route GET /x") {
		t.Errorf("Programmed message %q lacks the proxy and its error", c.Message)
	}

	proxy.SetReject(nil)
	update(t, &apiv1.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "flaky"}}, func(s *apiv1.Stage) {
		s.Spec.Variables = apiv1.StageVariables{"v": "2"}
	})
	stageCond(t, ns, "flaky", apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
}

// An unchanged compile pushes nothing: a metadata-only change to one API reaches no proxy,
// while a real change to another reaches it alone.
func TestOnlyChangesArePushed(t *testing.T) {
	needEnv(t)
	ns := "pushes"
	newNamespace(t, ns)
	// Stage paths are claimed cluster-wide: this namespace serves its own.
	apply(t, ns, decode(t, strings.NewReplacer("stageName: shop", "stageName: shop-2", "stageName: blog", "stageName: blog-2").Replace(authzCase)))
	stageCond(t, ns, "shop", apiv1.ConditionReady, metav1.ConditionTrue, apiv1.ReasonReady)
	stageCond(t, ns, "blog", apiv1.ConditionReady, metav1.ConditionTrue, apiv1.ReasonReady)

	c := xdstest.Dial(t, xdsAddr, "proxy-pushes", nil)
	c.Subscribe(xdsv1alpha1.StageSnapshotTypeURL)
	// The first response holds every stage served; later ones only what changed.
	first := c.RecvType(xdsv1alpha1.StageSnapshotTypeURL)
	c.Ack(first)

	update(t, &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}, func(a *apiv1.RestApi) {
		a.Annotations = map[string]string{"note": "metadata only"}
	})
	update(t, &apiv1.Stage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "blog"}}, func(s *apiv1.Stage) {
		s.Spec.Variables = apiv1.StageVariables{"theme": "dark"}
	})
	next := c.RecvType(xdsv1alpha1.StageSnapshotTypeURL)
	if len(next.GetResources()) != 1 || next.GetResources()[0].GetName() != ns+"/blog" {
		names := []string{}
		for _, r := range next.GetResources() {
			names = append(names, r.GetName())
		}
		t.Fatalf("pushed %v, want only %s/blog", names, ns)
	}
	c.Ack(next)
	c.ExpectNone()
}
