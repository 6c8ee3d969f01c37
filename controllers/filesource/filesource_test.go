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

package filesource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/schema"
)

// samplesCopy copies config/samples (with its standalone/ subfolder) into a temp folder.
func samplesCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "config", "samples")
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() && rel == "websocket" {
			return filepath.SkipDir // its own sample (docs/websocket.md); these tests count the pets API
		}
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func newSource(t *testing.T, paths ...string) *Source {
	t.Helper()
	v, err := schema.New()
	if err != nil {
		t.Fatal(err)
	}
	return &Source{Paths: paths, Validator: v}
}

// write replaces a file and moves its modification time forward, so that a change is seen
// even within the file system's time resolution.
func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Duration(len(content)) * time.Millisecond)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

func TestLoadSamples(t *testing.T) {
	s := newSource(t, samplesCopy(t))
	in, problems, changed, err := s.Load()
	if err != nil || len(problems) > 0 || !changed {
		t.Fatalf("Load: err %v problems %v changed %v", err, problems, changed)
	}
	if len(in.RestApis) != 1 || len(in.Routes) != 7 || len(in.Authorizers) != 2 || len(in.UsagePlans) != 1 ||
		len(in.Stages) != 1 || len(in.Secrets) != 2 || len(in.Services) != 1 || len(in.EndpointSlices) != 1 {
		t.Fatalf("read %d apis %d routes %d authorizers %d plans %d stages %d secrets %d services %d slices",
			len(in.RestApis), len(in.Routes), len(in.Authorizers), len(in.UsagePlans), len(in.Stages), len(in.Secrets), len(in.Services), len(in.EndpointSlices))
	}
	// The schema's defaults were applied, as an API server would.
	for _, r := range in.Routes {
		if r.Namespace != "default" || r.Spec.Integration.TimeoutMillis == 0 || len(r.Spec.Methods) == 0 {
			t.Errorf("route %s/%s not defaulted: timeout %d methods %v", r.Namespace, r.Name, r.Spec.Integration.TimeoutMillis, r.Spec.Methods)
		}
	}
	if _, _, changed, _ := s.Load(); changed {
		t.Error("a second Load with no change reports a change")
	}
}

func TestBadEditKeepsLastGoodVersion(t *testing.T) {
	dir := samplesCopy(t)
	s := newSource(t, dir)
	if _, _, _, err := s.Load(); err != nil {
		t.Fatal(err)
	}
	routes := filepath.Join(dir, "03-routes.yaml")
	write(t, routes, `apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: broken}
spec: {restApiRef: {name: pets}, path: "pets/{id}", integration: {type: MOCK, mock: {}}}
`)
	in, problems, changed, err := s.Load()
	if err != nil || !changed {
		t.Fatalf("Load: %v, changed %v", err, changed)
	}
	if len(problems) != 1 || problems[0].Path != routes || !problems[0].Stale ||
		!strings.Contains(problems[0].Error(), `path must be "/"`) || !strings.Contains(problems[0].Error(), `"broken" is invalid`) {
		t.Fatalf("problems = %v", problems)
	}
	if len(in.Routes) != 7 {
		t.Fatalf("%d routes serve, want the last good 7", len(in.Routes))
	}

	// Fixed: the new content replaces the old.
	write(t, routes, `apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: fixed}
spec: {restApiRef: {name: pets}, path: "/pets/{id}", integration: {type: MOCK, mock: {}}}
`)
	in, problems, _, _ = s.Load()
	if len(problems) != 0 || len(in.Routes) != 1 || in.Routes[0].Name != "fixed" {
		t.Fatalf("after the fix: problems %v routes %d", problems, len(in.Routes))
	}
}

func TestOtherKindsAndMistakes(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "app.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
`)
	write(t, filepath.Join(dir, "typo.yaml"), `apiVersion: apigateway.portico.dev/v1alpha1
kind: Rout
metadata: {name: x}
`)
	write(t, filepath.Join(dir, "notes.txt"), "not a manifest")
	s := newSource(t, dir)
	in, problems, _, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(in.RestApis) != 1 {
		t.Errorf("the RestApi next to a Deployment was not read")
	}
	if len(problems) != 1 || problems[0].Stale || !strings.Contains(problems[0].Error(), `unknown kind "Rout"`) {
		t.Errorf("problems = %v", problems)
	}

	if err := os.Remove(filepath.Join(dir, "app.yaml")); err != nil {
		t.Fatal(err)
	}
	in, _, changed, _ := s.Load()
	if !changed || len(in.RestApis) != 0 {
		t.Errorf("after removing the file: changed %v, %d RestApis", changed, len(in.RestApis))
	}

	if _, _, _, err := (&Source{Paths: []string{filepath.Join(dir, "missing")}}).Load(); err == nil {
		t.Error("a path that does not exist is not an error")
	}
}

type recorder struct{ stages [][]ir.Stage }

func (r *recorder) Update(stages []ir.Stage, _ []ir.Endpoints) int {
	r.stages = append(r.stages, stages)
	return len(stages)
}

func TestReloaderRevisionsSurviveRestarts(t *testing.T) {
	dir := samplesCopy(t)
	state := t.TempDir()
	pub := &recorder{}
	r := &Reloader{Source: newSource(t, dir), Publisher: pub, StateDir: state, Log: logr.Discard()}
	out, err := r.Reload()
	if err != nil || out == nil || len(out.Stages) != 1 || out.Stages[0].Revision != 1 {
		t.Fatalf("first reload: %v %+v", err, out)
	}
	if out, _ := r.Reload(); out != nil {
		t.Fatal("a reload without changes compiled again")
	}
	write(t, filepath.Join(dir, "03-routes.yaml"), strings.Replace(readFile(t, filepath.Join(dir, "03-routes.yaml")), "path: /health", "path: /healthz", 1))
	out, _ = r.Reload()
	if out == nil || out.Stages[0].Revision != 2 {
		t.Fatalf("after an edit: %+v", out)
	}

	// A restart with the same state folder keeps the numbering: no new revision for the
	// same content, and the next edit is revision 3.
	r2 := &Reloader{Source: newSource(t, dir), Publisher: &recorder{}, StateDir: state, Log: logr.Discard()}
	out, err = r2.Reload()
	if err != nil || len(out.NewRevisions) != 0 || out.Stages[0].Revision != 2 {
		t.Fatalf("after a restart: %v new %d revision %d", err, len(out.NewRevisions), out.Stages[0].Revision)
	}
	if len(pub.stages) != 2 {
		t.Errorf("published %d times, want 2", len(pub.stages))
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// One object in two files: the first file (in path order) keeps it, the second's is left
// out and reported, naming the first; the rest of both files serves.
func TestDuplicateObjectReportedNotServedTwice(t *testing.T) {
	dir := t.TempDir()
	route := func(name, path string) string {
		return "apiVersion: apigateway.portico.dev/v1alpha1\nkind: Route\nmetadata: {name: " + name + "}\n" +
			"spec: {restApiRef: {name: d}, path: " + path + ", methods: [GET], integration: {type: MOCK, mock: {statusCode: 200}}}\n"
	}
	write(t, filepath.Join(dir, "a.yaml"), "apiVersion: apigateway.portico.dev/v1alpha1\nkind: RestApi\nmetadata: {name: d}\nspec: {}\n---\n"+route("r", "/one"))
	write(t, filepath.Join(dir, "b.yaml"), route("r", "/two")+"---\n"+route("s", "/three"))
	in, problems, _, err := newSource(t, dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Routes) != 2 || in.Routes[0].Spec.Path != "/one" || in.Routes[1].Name != "s" {
		t.Errorf("routes %+v", in.Routes)
	}
	if len(problems) != 1 || !problems[0].Duplicate || !strings.HasSuffix(problems[0].Path, "b.yaml") ||
		!strings.Contains(problems[0].Error(), "Route default/r is defined in") || !strings.Contains(problems[0].Error(), "a.yaml") {
		t.Errorf("problems %v", problems)
	}
}
