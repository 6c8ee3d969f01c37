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
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/revisions"
	"github.com/portico-dev/portico/internal/testenv"
)

// kube is the package's API server, started by the first test that needs one; TestMain
// stops it.
var kube struct {
	once       sync.Once
	env        *testenv.Env
	err        error
	kubeconfig string
}

// kubeEnv returns a real kube-apiserver with Portico's CRDs and a kubeconfig file for it,
// and a namespace of the test's own.
func kubeEnv(t *testing.T, ns string) (client.Client, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a kube-apiserver; runs without -short")
	}
	kube.once.Do(func() {
		if kube.env, kube.err = testenv.Start(); kube.err != nil {
			return
		}
		cfg := kube.env.Config
		kc := clientcmdapi.NewConfig()
		kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
		kc.AuthInfos["envtest"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
		kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "envtest"}
		kc.CurrentContext = "envtest"
		dir, err := os.MkdirTemp("", "portico-kubeconfig")
		if err != nil {
			kube.err = err
			return
		}
		kube.kubeconfig = filepath.Join(dir, "config")
		kube.err = clientcmd.WriteToFile(*kc, kube.kubeconfig)
	})
	if kube.err != nil {
		t.Fatal(kube.err)
	}
	if err := kube.env.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	return kube.env.Client, kube.kubeconfig
}

func stopKubeEnv() {
	if kube.env != nil {
		_ = kube.env.Stop()
		_ = os.RemoveAll(filepath.Dir(kube.kubeconfig))
	}
}

// applyYAML creates or updates the objects of a multi-document manifest in ns.
func applyYAML(ctx context.Context, t *testing.T, c client.Client, ns, manifest string) {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		var u unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		u.SetNamespace(ns)
		var cur unstructured.Unstructured
		cur.SetGroupVersionKind(u.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(&u), &cur); err == nil {
			u.SetResourceVersion(cur.GetResourceVersion())
			if err := c.Update(ctx, &u); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := c.Create(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
}

// storeRevisions compiles the API as it is in the cluster and stores its new revision, as
// the controller does.
func storeRevisions(ctx context.Context, t *testing.T, c client.Client, ns string) {
	t.Helper()
	in, err := clusterInputs(ctx, c, ns, "pets")
	if err != nil {
		t.Fatal(err)
	}
	if err := revisions.Apply(ctx, c, compile.Compile(in)); err != nil {
		t.Fatal(err)
	}
}

// plugin runs `kubectl portico args...` against the test's API server.
func plugin(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand("kubectl-portico")
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	// First, as the shell completion's __complete wants its arguments last.
	if args[0] == "__complete" {
		cmd.SetArgs(append([]string{"__complete", "--kubeconfig", kubeconfig}, args[1:]...))
	} else {
		cmd.SetArgs(append([]string{"--kubeconfig", kubeconfig}, args...))
	}
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func petsManifest(body string) string {
	return fmt.Sprintf(`apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: list-pets}
spec:
  restApiRef: {name: pets}
  path: /pets
  methods: [GET]
  integration: {type: MOCK, mock: {statusCode: 200, body: '%s'}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec:
  restApiRef: {name: pets}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: UsagePlan
metadata: {name: gold}
spec:
  apiStages: [{restApiRef: {name: pets}, stage: prod}]
  apiKeys: [{name: customer-a}]
  quota: {limit: 1000, period: MONTH}`, body)
}

// TestKubectlPluginOnAPIServer runs every plugin command against a real API server.
func TestKubectlPluginOnAPIServer(t *testing.T) {
	const ns = "plugin"
	c, kc := kubeEnv(t, ns)
	ctx := t.Context()
	applyYAML(ctx, t, c, ns, petsManifest("v1"))
	storeRevisions(ctx, t, c, ns)
	applyYAML(ctx, t, c, ns, petsManifest("v2"))
	storeRevisions(ctx, t, c, ns)

	out, err := plugin(t, kc, "revisions", "pets", "-n", ns)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); err != nil || len(lines) != 3 || !strings.HasPrefix(lines[1], "2 ") || !strings.HasPrefix(lines[2], "1 ") {
		t.Fatalf("revisions (%v):\n%s", err, out)
	}
	if out, err := plugin(t, kc, "revisions", "nosuch", "-n", ns); err == nil || !strings.Contains(err.Error()+out, "not found") {
		t.Errorf("revisions of a RestApi that does not exist (%v):\n%s", err, out)
	}
	out, err = plugin(t, kc, "revisions", "pets", "-n", ns, "-o", "json")
	var rows []revisionRow
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 || rows[0].Revision != 2 || rows[0].Routes != 1 {
		t.Fatalf("revisions -o json (%v):\n%s", err, out)
	}
	out, err = plugin(t, kc, "revisions", "pets", "-n", ns, "--diff", "1", "2")
	if err != nil || !strings.Contains(out, "route list-pets changed:") || !regexpLine(out, `  - \s+body: v1`) || !regexpLine(out, `  \+ \s+body: v2`) {
		t.Fatalf("revisions --diff (%v):\n%s", err, out)
	}
	if out, err = plugin(t, kc, "revisions", "pets", "-n", ns, "--diff", "1", "9"); err == nil {
		t.Errorf("diff with a revision that is not kept:\n%s", out)
	}

	// test-invoke reads the cluster: the stage follows the latest revision, and --revision
	// tries another.
	out, err = plugin(t, kc, "test-invoke", "-n", ns, "--api", "pets", "--stage", "prod", "--path", "/pets")
	if err != nil || !strings.HasPrefix(out, "Status: 200\n") || !strings.Contains(out, "Body:\nv2\n") {
		t.Fatalf("test-invoke (%v):\n%s", err, out)
	}
	out, err = run(t, "test-invoke", "--kubeconfig", kc, "-n", ns, "--api", "pets", "--stage", "prod", "--path", "/pets", "--revision", "1")
	if err != nil || !strings.Contains(out, "Body:\nv1\n") {
		t.Fatalf("test-invoke --revision 1 (%v):\n%s", err, out)
	}
	// A revision the RestApi does not keep is named as such, not run as the stage's own.
	if out, err := run(t, "test-invoke", "--kubeconfig", kc, "-n", ns, "--api", "pets", "--stage", "prod", "--path", "/pets", "--revision", "99"); err == nil || !strings.Contains(err.Error()+out, "keeps no revision 99") {
		t.Errorf("test-invoke --revision 99 (%v):\n%s", err, out)
	}
	if out, err = plugin(t, kc, "test-invoke", "-n", ns, "--api", "pets", "--stage", "nope"); err == nil {
		t.Errorf("test-invoke of a missing stage ran:\n%s", out)
	}

	// rollback and promote change the Stage; a rollback to a revision not kept does not.
	if out, err = plugin(t, kc, "rollback", "prod", "-n", ns, "--to", "9"); err == nil || !strings.Contains(err.Error(), "keeps no revision 9; it keeps 2, 1") {
		t.Fatalf("rollback to a revision not kept (%v): %s", err, out)
	}
	if out, err = plugin(t, kc, "rollback", "prod", "-n", ns, "--to", "1"); err != nil || out != "stage plugin/prod rolled back: serves revision 1\n" {
		t.Fatalf("rollback (%v): %s", err, out)
	}
	var st apiv1.Stage
	pct := 10.0
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "prod"}, &st); err != nil || st.Spec.Deployment == nil || st.Spec.Deployment.Revision != 1 {
		t.Fatalf("after rollback: %+v %v", st.Spec, err)
	}
	st.Spec.Canary = &apiv1.Canary{PercentTraffic: &pct, Deployment: &apiv1.StageDeployment{Revision: 2}}
	if err := c.Update(ctx, &st); err != nil {
		t.Fatal(err)
	}
	if out, err = plugin(t, kc, "promote", "prod", "-n", ns); err != nil {
		t.Fatalf("promote (%v): %s", err, out)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "prod"}, &st); err != nil || st.Spec.Canary != nil || st.Spec.Deployment.Revision != 2 {
		t.Fatalf("after promote: %+v %v", st.Spec, err)
	}

	// usage reads the plan's status.
	out, err = plugin(t, kc, "usage", "gold", "-n", ns)
	if err != nil || !strings.Contains(out, "reports no usage") {
		t.Fatalf("usage without a status (%v): %s", err, out)
	}
	var plan apiv1.UsagePlan
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "gold"}, &plan); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	plan.Status.Usage = &apiv1.UsageSummary{ObservedAt: now, PeriodStart: now, PeriodEnd: now, Used: 12,
		Keys: []apiv1.KeyUsage{{Name: "customer-a", Used: 12, Remaining: 988}}}
	if err := c.Status().Update(ctx, &plan); err != nil {
		t.Fatal(err)
	}
	out, err = plugin(t, kc, "usage", "gold", "-n", ns)
	if err != nil || !strings.Contains(out, "KEY") || !regexpLine(out, `customer-a\s+12\s+988`) {
		t.Fatalf("usage (%v):\n%s", err, out)
	}
	out, err = plugin(t, kc, "usage", "gold", "-n", ns, "-o", "yaml")
	if err != nil || !strings.Contains(out, "remaining: 988") || !strings.Contains(out, "limit: 1000") {
		t.Fatalf("usage -o yaml (%v):\n%s", err, out)
	}
	if _, err = plugin(t, kc, "usage", "gold", "-n", ns, "-o", "xml"); err == nil {
		t.Error("-o xml accepted")
	}

	// Shell completion offers the namespace's stages, as kubectl's plugin completion asks.
	out, err = plugin(t, kc, "__complete", "promote", "-n", ns, "")
	if err != nil || !strings.HasPrefix(out, "prod\n") {
		t.Fatalf("completion (%v):\n%s", err, out)
	}
}

func regexpLine(s, pattern string) bool {
	return regexp.MustCompile(`(?m)^` + pattern + `$`).MatchString(s)
}
