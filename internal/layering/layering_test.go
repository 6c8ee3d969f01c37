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

package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/portico-dev/portico/"

// TestPlanesDoNotImportEachOther lists every package of each plane with its transitive
// dependencies (go list: the build's own view, build tags and all) and fails on any package
// of one plane that reaches the other.
func TestPlanesDoNotImportEachOther(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, rule := range []struct{ plane, forbidden string }{
		{"controllers", "dataplane"},
		{"dataplane", "controllers"},
	} {
		t.Run(rule.plane, func(t *testing.T) {
			deps := listDeps(t, gobin, module+rule.plane+"/...")
			if len(deps) == 0 {
				t.Fatalf("go list found no package under %s/", rule.plane)
			}
			for pkg, ds := range deps {
				for _, d := range ds {
					if under(d, module+rule.forbidden) {
						t.Errorf("%s imports %s (directly or through its imports): %s/ must not import %s/; move what both need to internal/",
							strings.TrimPrefix(pkg, module), strings.TrimPrefix(d, module), rule.plane, rule.forbidden)
					}
				}
			}
		})
	}
}

// listDeps returns every package matching pattern with its transitive dependencies.
func listDeps(t *testing.T, gobin, pattern string) map[string][]string {
	t.Helper()
	cmd := exec.Command(gobin, "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, pattern)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pattern, err, stderr.String())
	}
	deps := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20) // a package with many deps is one long line
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return deps
}

func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func TestUnder(t *testing.T) {
	for _, tc := range []struct {
		pkg, dir string
		want     bool
	}{
		{module + "dataplane", module + "dataplane", true},
		{module + "dataplane/limits", module + "dataplane", true},
		{module + "dataplanes", module + "dataplane", false},
		{module + "internal/quota", module + "dataplane", false},
	} {
		if got := under(tc.pkg, tc.dir); got != tc.want {
			t.Errorf("under(%q, %q) = %v, want %v", tc.pkg, tc.dir, got, tc.want)
		}
	}
}
