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

package compile_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files, and delete those without an input")

// goldenCase is one compile golden: testdata/<name>.in.yaml -> testdata/<name>.out.yaml.
// Inputs are manifests; a document of kind Step starts the next compile (revisions carry
// over as the controller stores them), and kind CompileOptions sets options and scope.
type goldenCase struct {
	name  string
	steps []compile.Inputs
}

type compileOptions struct {
	GatewayURL     string                   `json:"gatewayURL"`
	Scope          []compile.NamespacedName `json:"scope"`
	NoKeyGenerator bool                     `json:"noKeyGenerator"`
}

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []goldenCase{samplesCase(t)}
	for _, in := range inputs {
		cases = append(cases, readCase(t, in))
	}
	if len(cases) < 26 {
		t.Errorf("only %d golden cases; the compiler is specified by at least 25", len(cases))
	}
	for _, gc := range cases {
		t.Run(gc.name, func(t *testing.T) {
			got := render(t, run(gc.steps))
			golden := filepath.Join("testdata", gc.name+".out.yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run the test with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got; -update rewrites it):\n%s", golden, diff)
			}
		})
	}
	if *update {
		deleteStale(t, cases)
	}
}

// run compiles each step, carrying revisions over as the controller would store them.
func run(steps []compile.Inputs) []compile.Output {
	var outs []compile.Output
	var revs []compile.Revision
	for _, in := range steps {
		in.Revisions = revs
		out := compile.Compile(in)
		outs = append(outs, out)
		pruned := map[[2]string]map[int64]bool{}
		for _, p := range out.PrunedRevisions {
			k := [2]string{p.Namespace, p.RestApi}
			if pruned[k] == nil {
				pruned[k] = map[int64]bool{}
			}
			pruned[k][p.Number] = true
		}
		var next []compile.Revision
		for _, r := range append(revs, out.NewRevisions...) {
			if !pruned[[2]string{r.Namespace, r.RestApi}][r.Number] {
				next = append(next, r)
			}
		}
		revs = next
	}
	return outs
}

func render(t *testing.T, outs []compile.Output) []byte {
	t.Helper()
	for i := range outs {
		// The new revisions' APIs are in the stages already; keep goldens short.
		for j := range outs[i].NewRevisions {
			outs[i].NewRevisions[j].API = nil
		}
	}
	var v any = outs[0]
	if len(outs) > 1 {
		v = map[string]any{"steps": outs}
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// The compiler leaves transition times to the status writer.
	data = bytes.ReplaceAll(data, []byte(`"lastTransitionTime":null,`), nil)
	y, err := yaml.JSONToYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func readCase(t *testing.T, path string) goldenCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gc := goldenCase{name: strings.TrimSuffix(filepath.Base(path), ".in.yaml")}
	cur := compile.Inputs{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(raw, &head); err != nil {
			t.Fatalf("%s#%d: %v", path, i, err)
		}
		switch head.Kind {
		case "":
			continue
		case "Step":
			gc.steps = append(gc.steps, cur)
			cur = compile.Inputs{Options: cur.Options, Scope: cur.Scope}
			continue
		case "CompileOptions":
			var o compileOptions
			if err := yaml.UnmarshalStrict(raw, &struct {
				Kind string `json:"kind"`
				*compileOptions
			}{compileOptions: &o}); err != nil {
				t.Fatalf("%s#%d: %v", path, i, err)
			}
			cur.Options.GatewayURL, cur.Options.NoKeyGenerator, cur.Scope = o.GatewayURL, o.NoKeyGenerator, o.Scope
			continue
		}
		docs, err := manifest.Decode(raw, path)
		if err != nil {
			t.Fatal(err)
		}
		setGenerations(docs)
		manifest.AddTo(&cur, docs, "default")
	}
	gc.steps = append(gc.steps, cur)
	return gc
}

// samplesCase compiles config/samples, standalone endpoints included.
func samplesCase(t *testing.T) goldenCase {
	t.Helper()
	files, err := manifest.Files(filepath.Join("..", "..", "config", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	in := compile.Inputs{Options: compile.Options{GatewayURL: "http://localhost:8080"}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := manifest.Decode(data, f)
		if err != nil {
			t.Fatal(err)
		}
		setGenerations(docs)
		manifest.AddTo(&in, docs, "default")
	}
	return goldenCase{name: "samples", steps: []compile.Inputs{in}}
}

// setGenerations gives objects generation 1 unless the case sets one, as the API server does.
func setGenerations(docs []manifest.Document) {
	for _, d := range docs {
		if o, ok := d.Object.(interface {
			GetGeneration() int64
			SetGeneration(int64)
		}); ok && o.GetGeneration() == 0 {
			o.SetGeneration(1)
		}
	}
}

func deleteStale(t *testing.T, cases []goldenCase) {
	t.Helper()
	live := map[string]bool{}
	for _, c := range cases {
		live[c.name+".out.yaml"] = true
	}
	outs, _ := filepath.Glob("testdata/*.out.yaml")
	for _, o := range outs {
		if !live[filepath.Base(o)] {
			if err := os.Remove(o); err != nil {
				t.Fatal(err)
			}
			t.Logf("deleted stale golden %s", o)
		}
	}
}
