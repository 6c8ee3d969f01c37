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
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/openapi"
)

// TestImportedCorpusServed imports every export of the corpus (Lambda functions pointed at
// a real HTTP function by --function), serves them all with portico standalone, and calls
// one unprotected route of each.
func TestImportedCorpusServed(t *testing.T) {
	// A function speaking the Lambda invoke contract, as the Runtime Interface Emulator does.
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "from the function"}`)
	}))
	defer fn.Close()
	invoke := fn.URL + "/2015-03-31/functions/function/invocations"

	files, err := filepath.Glob("../openapi/testdata/corpus/*.*")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type probe struct{ file, path string }
	var probes []probe
	for i, f := range files {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stage := fmt.Sprintf("s%02d", i)
		res, err := openapi.Import(f, data, openapi.Options{Stage: stage})
		if err != nil {
			continue // refused exports have no manifests
		}
		// Again, with every function the first import named.
		fns := map[string]string{}
		for _, p := range res.Placeholders {
			_, arn, _ := strings.Cut(p, "=")
			fns[arn] = invoke
		}
		var out, summary bytes.Buffer
		args := importOptions{name: fmt.Sprintf("api%02d", i), stage: stage, output: filepath.Join(dir, stage)}
		for arn, u := range fns {
			args.functions = append(args.functions, arn+"="+u)
		}
		if err := runImport(nil, &out, &summary, f, args); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		res, _ = openapi.Import(f, data, openapi.Options{Stage: stage, Functions: fns})
		for _, r := range res.Routes {
			in := r.Spec.Integration
			if r.Spec.Authorization != nil || (in.Type != apiv1.IntegrationMock && in.Type != apiv1.IntegrationLambdaProxy) {
				continue
			}
			path := strings.NewReplacer("{proxy+}", "a/b", "{path+}", "a/b").Replace(r.Spec.Path)
			for {
				i, j := strings.Index(path, "{"), strings.Index(path, "}")
				if i < 0 || j < i {
					break
				}
				path = path[:i] + "x" + path[j+1:]
			}
			if m := r.Spec.Methods[0]; m == apiv1.MethodGet || m == apiv1.MethodAny {
				probes = append(probes, probe{filepath.Base(f), "/" + stage + strings.TrimSuffix(path, "/")})
				break
			}
		}
	}
	if len(probes) < 5 {
		t.Fatalf("only %d exports have an unprotected GET route to call", len(probes))
	}

	httpLis, adminLis := listenLoopback(t), listenLoopback(t)
	base := "http://" + httpLis.Addr().String()
	opts := standaloneOptions{files: []string{dir}, httpAddr: httpLis.Addr().String(), reload: time.Hour,
		drain: time.Second, stateDir: t.TempDir(), log: logOptions{level: "error", format: "json"}}
	startStandalone(t, opts, &standaloneHooks{httpListener: httpLis, adminListener: adminLis})
	for _, p := range probes {
		until(t, p.file+" answers GET "+p.path, func() bool {
			r := get(t, "GET", base+p.path)
			return r.status == 200
		})
	}
}

// TestImportInvalidExitsWithLocation: the command fails with file:line for a syntax error.
func TestImportInvalidExitsWithLocation(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, f, "openapi: 3.0.1\ninfo: {title: x\n")
	err := runImport(nil, io.Discard, io.Discard, f, importOptions{output: "-"})
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2") {
		t.Fatalf("err = %v, want bad.yaml:2", err)
	}
}

// TestExportSamples: `portico export openapi -f config/samples --api pets` writes OpenAPI.
func TestExportSamples(t *testing.T) {
	cmd := newExportCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"openapi", "-f", "../../config/samples", "--api", "pets", "--stage", "prod"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"openapi: 3.0.1", "x-amazon-apigateway-integration", "default: prod"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("export lacks %q:\n%s", want, out.String())
		}
	}
}
