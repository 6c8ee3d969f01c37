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

package openapi

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// corpus imports every export of testdata/corpus. It is shared by the tests.
type corpusEntry struct {
	file string
	res  *Result
	err  error
}

func loadCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	files, err := filepath.Glob("testdata/corpus/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusEntry
	for _, f := range files {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Import(filepath.Base(f), data, Options{Namespace: "default"})
		out = append(out, corpusEntry{file: filepath.Base(f), res: res, err: err})
	}
	return out
}

// inputs is what the compiler reads for a result.
func inputs(r *Result) compile.Inputs {
	in := compile.Inputs{RestApis: []apiv1.RestApi{*r.RestApi}, Routes: r.Routes, Authorizers: r.Authorizers}
	if r.Stage != nil {
		in.Stages = []apiv1.Stage{*r.Stage}
	}
	return in
}

// TestCorpusGolden imports each export and compares the manifests and the summary with
// testdata/golden; -update rewrites them.
func TestCorpusGolden(t *testing.T) {
	for _, e := range loadCorpus(t) {
		t.Run(e.file, func(t *testing.T) {
			var got bytes.Buffer
			if e.err != nil {
				fmt.Fprintf(&got, "# refused: %v\n", e.err)
			} else {
				m, err := e.res.Manifests()
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range strings.Split(strings.TrimSpace(e.res.Summary()), "\n") {
					fmt.Fprintf(&got, "# %s\n", line)
				}
				got.Write(m)
			}
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(e.file, filepath.Ext(e.file))+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("golden mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCorpusCompiles checks that what an import writes, the compiler accepts: every Route,
// Authorizer and the Stage.
func TestCorpusCompiles(t *testing.T) {
	for _, e := range loadCorpus(t) {
		if e.err != nil {
			continue
		}
		t.Run(e.file, func(t *testing.T) {
			out := compile.Compile(inputs(e.res))
			for _, st := range out.Statuses {
				for _, c := range st.Conditions {
					if c.Type == apiv1.ConditionAccepted && c.Status != "True" {
						t.Errorf("%s %s: %s %s", st.Kind, st.Name, c.Reason, c.Message)
					}
				}
			}
			if len(e.res.Routes) > 0 && len(out.Stages) != 1 {
				t.Errorf("compiled %d stages, want 1", len(out.Stages))
			}
		})
	}
}

// TestCorpusRoundTrip exports each export that imports fully and imports it again: the
// compiled revision must be the same.
func TestCorpusRoundTrip(t *testing.T) {
	for _, e := range loadCorpus(t) {
		if e.err != nil || len(e.res.Omissions) > 0 || len(e.res.Routes) == 0 {
			continue
		}
		t.Run(e.file, func(t *testing.T) {
			roundTrip(t, e.res.RestApi, e.res.Routes, e.res.Authorizers)
		})
	}
}

// roundTrip exports api and imports the export: both compile to the same revision hash.
func roundTrip(t *testing.T, api *apiv1.RestApi, routes []apiv1.Route, authorizers []apiv1.Authorizer) {
	t.Helper()
	doc, err := Export(ExportInput{RestApi: api, Routes: routes, Authorizers: authorizers, StageName: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Import("export.yaml", doc, Options{Name: api.Name, Namespace: api.Namespace})
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, doc)
	}
	if len(back.Omissions) > 0 {
		t.Errorf("the export's import reports omissions: %v", back.Omissions)
	}
	want := hashOf(t, compile.Inputs{RestApis: []apiv1.RestApi{*api}, Routes: routes, Authorizers: authorizers})
	got := hashOf(t, inputs(back))
	if want != got {
		a := compile.Compile(compile.Inputs{RestApis: []apiv1.RestApi{*api}, Routes: routes, Authorizers: authorizers})
		b := compile.Compile(inputs(back))
		t.Errorf("import(export(x)) compiles to another revision:\n%s\nexport:\n%s", cmp.Diff(a.NewRevisions, b.NewRevisions), doc)
	}
}

func hashOf(t *testing.T, in compile.Inputs) string {
	t.Helper()
	out := compile.Compile(in)
	if len(out.NewRevisions) != 1 {
		t.Fatalf("%d revisions", len(out.NewRevisions))
	}
	return out.NewRevisions[0].Hash
}

func readCorpus(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", "corpus", name))
}

// TestCorpusReport prints the corpus report (make import-corpus): each export imported
// fully, with reported omissions, or refused.
func TestCorpusReport(t *testing.T) {
	var full, partial, refused int
	var b strings.Builder
	for _, e := range loadCorpus(t) {
		switch {
		case e.err != nil:
			refused++
			fmt.Fprintf(&b, "  refused          %-45s %v\n", e.file, e.err)
		case len(e.res.Omissions) > 0:
			partial++
			fmt.Fprintf(&b, "  with omissions   %-45s %d routes, %d omissions\n", e.file, len(e.res.Routes), len(e.res.Omissions))
		default:
			full++
			fmt.Fprintf(&b, "  imported fully   %-45s %d routes\n", e.file, len(e.res.Routes))
		}
	}
	if testing.Verbose() {
		fmt.Printf("OpenAPI import corpus: %d exports: %d imported fully, %d with reported omissions, %d refused\n%s",
			full+partial+refused, full, partial, refused, b.String())
	}
}
