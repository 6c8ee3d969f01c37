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
	"context"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/internal/testenv"
)

// TestCorpusServerDryRun applies every import to a real API server, with server-side dry
// run: the CRDs' schemas and CEL rules accept what the importer writes.
func TestCorpusServerDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("needs kube-apiserver (KUBEBUILDER_ASSETS)")
	}
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx := context.Background()
	for _, e := range loadCorpus(t) {
		if e.err != nil {
			continue
		}
		objs := []client.Object{e.res.RestApi, e.res.Stage}
		for i := range e.res.Routes {
			objs = append(objs, &e.res.Routes[i])
		}
		for i := range e.res.Authorizers {
			objs = append(objs, &e.res.Authorizers[i])
		}
		for _, o := range objs {
			if err := env.Client.Create(ctx, o.DeepCopyObject().(client.Object), client.DryRunAll); err != nil {
				t.Errorf("%s: %s %s: %v", e.file, o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
			}
		}
	}
}
