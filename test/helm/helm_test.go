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

// Package helm tests the Helm chart: helm lint, and the rendered manifests accepted by a real
// kube-apiserver (server-side dry run), for the default values and for every option on.
package helm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

func helmBinary(t *testing.T) string {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "bin", "helm")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("helm not found at %s: run 'make helm' (make test does)", path)
	}
	return path
}

func helm(t *testing.T, args ...string) string {
	t.Helper()
	root, _ := testenv.ModuleRoot()
	cmd := exec.Command(helmBinary(t), args...)
	cmd.Dir = root
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), stderr.String())
	}
	return out.String()
}

var valueFiles = map[string][]string{
	"defaults": nil,
	"all-on":   {"-f", "charts/portico/ci/all-on-values.yaml"},
	// The pods scraped directly: the other of the two monitors, which all-on cannot turn on
	// beside its ServiceMonitor (the chart refuses both: every metric would count twice).
	"pod-monitor": {"-f", "charts/portico/ci/all-on-values.yaml", "--set", "serviceMonitor.enabled=false", "--set", "podMonitor.enabled=true"},
}

func TestLint(t *testing.T) {
	for name, files := range valueFiles {
		t.Run(name, func(t *testing.T) {
			out := helm(t, append([]string{"lint", "--strict", "charts/portico"}, files...)...)
			if !strings.Contains(out, "0 chart(s) failed") {
				t.Fatalf("helm lint:\n%s", out)
			}
		})
	}
}

// A bad value is refused by values.schema.json before anything reaches the cluster.
func TestSchemaRefusesBadValues(t *testing.T) {
	root, _ := testenv.ModuleRoot()
	for _, c := range []struct{ set, path string }{
		{"proxy.service.type=Ingress", "/proxy/service/type"},
		{"proxy.edge.bodyTimeout=ten", "/proxy/edge/bodyTimeout"},
		{"proxy.edge.maxHeaderBytes=0", "/proxy/edge/maxHeaderBytes"},
		{"redis.state.url=http://redis:6379", "/redis/state/url"},
		// One source per Redis: a URL and a Secret would leave the user guessing which wins.
		{"redis.cache.url=redis://redis:6379/1,redis.cache.existingSecret=mine", "/redis/cache"},
	} {
		cmd := exec.Command(helmBinary(t), "template", "p", "charts/portico", "--set", c.set)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.path) {
			t.Errorf("--set %s was accepted, or refused without naming %s: %v\n%s", c.set, c.path, err, out)
		}
	}
}

func TestRenderedManifestsAreAccepted(t *testing.T) {
	if env == nil {
		t.Skip("needs a kube-apiserver; runs without -short")
	}
	ctx := context.Background()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "portico-system"}}); err != nil {
		t.Fatal(err)
	}
	// The all-on values ask for a ServiceMonitor: install its CRD, as the Prometheus
	// operator would (a permissive schema is enough for a dry run).
	preserve := true
	sm := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "servicemonitors.monitoring.coreos.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "monitoring.coreos.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "servicemonitors", Singular: "servicemonitor", Kind: "ServiceMonitor", ListKind: "ServiceMonitorList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &preserve}}}},
		},
	}
	pm := sm.DeepCopy()
	pm.Name = "podmonitors.monitoring.coreos.com"
	pm.Spec.Names = apiextensionsv1.CustomResourceDefinitionNames{Plural: "podmonitors", Singular: "podmonitor", Kind: "PodMonitor", ListKind: "PodMonitorList"}
	for _, crd := range []*apiextensionsv1.CustomResourceDefinition{sm, pm} {
		if err := env.Client.Create(ctx, crd); err != nil {
			t.Fatal(err)
		}
		testenv.WaitForCRD(t, env, crd.Name)
	}

	for name, files := range valueFiles {
		t.Run(name, func(t *testing.T) {
			out := helm(t, append([]string{"template", "portico", "charts/portico", "--namespace", "portico-system"}, files...)...)
			dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
			kinds := map[string]int{}
			for {
				u := &unstructured.Unstructured{}
				if err := dec.Decode(&u.Object); err != nil {
					if errors.Is(err, io.EOF) {
						break
					}
					t.Fatal(err)
				}
				if len(u.Object) == 0 {
					continue
				}
				if err := env.Client.Create(ctx, u, client.DryRunAll); err != nil {
					t.Errorf("%s %s refused: %v", u.GetKind(), u.GetName(), err)
				}
				kinds[u.GetKind()]++
			}
			want := map[string]int{"Deployment": 2, "ClusterRole": 1, "Role": 1, "Secret": 1, "ServiceAccount": 2}
			if name != "defaults" {
				want["HorizontalPodAutoscaler"], want["PodDisruptionBudget"], want["ServiceMonitor"] = 1, 1, 1
				want["ConfigMap"] = 1 // the Grafana dashboard
				want["Secret"] = 2    // the xDS certificates and the Redis URL given as a value
			}
			if name == "pod-monitor" {
				want["ServiceMonitor"], want["PodMonitor"] = 0, 1
			}
			for kind, n := range want {
				if kinds[kind] != n {
					t.Errorf("%d %s rendered, want %d (all: %v)", kinds[kind], kind, n, kinds)
				}
			}
		})
	}
}

// The dashboard ConfigMap carries dashboards/portico.json as it is, valid JSON, under the
// labels Grafana's sidecar selects.
func TestGrafanaDashboardConfigMap(t *testing.T) {
	out := helm(t, "template", "portico", "charts/portico", "--set", "grafanaDashboard.enabled=true", "--show-only", "templates/grafana-dashboard.yaml")
	var cm corev1.ConfigMap
	if err := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096).Decode(&cm); err != nil {
		t.Fatal(err)
	}
	root, _ := testenv.ModuleRoot()
	file, err := os.ReadFile(filepath.Join(root, "charts", "portico", "dashboards", "portico.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cm.Data["portico.json"]; strings.TrimSpace(got) != strings.TrimSpace(string(file)) || !json.Valid([]byte(got)) {
		t.Errorf("the ConfigMap's dashboard is not dashboards/portico.json:\n%.300s", got)
	}
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("labels %v", cm.Labels)
	}
	if out := helm(t, "template", "portico", "charts/portico"); strings.Contains(out, "kind: PodMonitor") || strings.Contains(out, "grafana_dashboard") {
		t.Error("the defaults render a PodMonitor or the dashboard")
	}
}

// The proxies' PodDisruptionBudget is rendered only when the fewest replicas can spare one:
// minAvailable 1 over a single replica would block every node drain.
func TestPodDisruptionBudgetSparesAReplica(t *testing.T) {
	for _, c := range []struct {
		set  []string
		want int
	}{
		{nil, 1}, // two replicas
		{[]string{"proxy.replicas=1"}, 0},
		{[]string{"proxy.replicas=3", "proxy.podDisruptionBudget.minAvailable=3"}, 0},
		{[]string{"proxy.replicas=1", "proxy.autoscaling.enabled=true", "proxy.autoscaling.minReplicas=2"}, 1},
		{[]string{"proxy.autoscaling.enabled=true", "proxy.autoscaling.minReplicas=1"}, 0},
		{[]string{"proxy.podDisruptionBudget.enabled=false"}, 0},
	} {
		args := []string{"template", "portico", "charts/portico", "--namespace", "portico-system"}
		for _, s := range c.set {
			args = append(args, "--set", s)
		}
		if n := strings.Count(helm(t, args...), "\nkind: PodDisruptionBudget\n"); n != c.want {
			t.Errorf("--set %v: %d PodDisruptionBudgets, want %d", c.set, n, c.want)
		}
	}
}
