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

package xds

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/portico-dev/portico/controllers/ir"
)

var update = flag.Bool("update", false, "rewrite testdata/translate/*.out.yaml and delete goldens without an input")

const translateDir = "testdata/translate"

// translateCase is the input of a golden test: a stage, endpoint sets, or both.
type translateCase struct {
	Stage     *ir.Stage      `json:"stage,omitempty"`
	Endpoints []ir.Endpoints `json:"endpoints,omitempty"`
}

// translateResult is the golden output: each resource as its protojson, which is the form
// a human debugging a proxy sees.
type translateResult struct {
	Stage     json.RawMessage   `json:"stage,omitempty"`
	Endpoints []json.RawMessage `json:"endpoints,omitempty"`
}

func TestTranslateGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join(translateDir, "*.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatalf("no inputs in %s", translateDir)
	}
	want := map[string]bool{}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		out := filepath.Join(translateDir, name+".out.yaml")
		want[out] = true
		t.Run(name, func(t *testing.T) {
			got := translateFile(t, in)
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run go test ./controllers/xds -run TestTranslateGolden -update)", err)
			}
			if !bytes.Equal(got, golden) {
				t.Errorf("%s differs from the translation of %s (rerun with -update and review the diff):\n%s", out, in, got)
			}
		})
	}
	// Stale goldens would otherwise linger after an input is renamed or removed.
	outputs, err := filepath.Glob(filepath.Join(translateDir, "*.out.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range outputs {
		if want[out] {
			continue
		}
		if *update {
			if err := os.Remove(out); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s has no input; run with -update to delete it", out)
	}
}

func translateFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in translateCase
	if err := yaml.UnmarshalStrict(data, &in); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var res translateResult
	if in.Stage != nil {
		res.Stage = protoJSON(t, StageToProto(in.Stage))
	}
	for _, e := range in.Endpoints {
		res.Endpoints = append(res.Endpoints, protoJSON(t, EndpointsToCLA(e)))
	}
	out, err := yaml.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// protoJSON renders m with protojson. protojson output is deliberately unstable in its
// whitespace, so it is compacted here; sigs.k8s.io/yaml then sorts keys.
func protoJSON(t *testing.T, m proto.Message) json.RawMessage {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStageToProtoNil(t *testing.T) {
	if StageToProto(nil) != nil {
		t.Fatal("StageToProto(nil) != nil")
	}
}

// The translation must not share memory with the IR: the cache marshals resources lazily,
// possibly after the compiler has reused its maps.
func TestStageToProtoCopies(t *testing.T) {
	s := &ir.Stage{Key: "ns/prod", Variables: map[string]string{"a": "1"}, API: &ir.API{Hostnames: []string{"x"}}}
	p := StageToProto(s)
	s.Variables["a"] = "2"
	s.API.Hostnames[0] = "y"
	if p.GetVariables()["a"] != "1" || p.GetApi().GetHostnames()[0] != "x" {
		t.Fatalf("translation aliases the IR: %v", p)
	}
}
