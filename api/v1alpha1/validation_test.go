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

package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/portico-dev/portico/internal/testenv"
	"github.com/portico-dev/portico/internal/validationcases"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

func needEnv(t *testing.T) {
	t.Helper()
	if env == nil {
		t.Skip("needs a kube-apiserver; runs without -short")
	}
}

// object builds a Portico object of kind from its valid spec with patch merged in.
func object(t *testing.T, kind, patch string) *unstructured.Unstructured {
	t.Helper()
	obj, err := validationcases.Object(kind, patch)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: obj}
}

func dryRunCreate(obj *unstructured.Unstructured) error {
	return env.Client.Create(context.Background(), obj, client.DryRunAll)
}

func TestValidSpecsAreAccepted(t *testing.T) {
	needEnv(t)
	for kind := range validationcases.ValidSpecs {
		if err := dryRunCreate(object(t, kind, `{}`)); err != nil {
			t.Errorf("valid %s refused: %v", kind, err)
		}
	}
}

func TestInvalidObjectsAreRefused(t *testing.T) {
	needEnv(t)
	cases := validationcases.Cases()
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.Name] {
			t.Fatalf("duplicate case name %q", tc.Name)
		}
		seen[tc.Name] = true
		t.Run(tc.Kind+"/"+tc.Name, func(t *testing.T) {
			obj := object(t, tc.Kind, tc.Patch)
			if name, ok := validationcases.ObjectNames[tc.Name]; ok {
				obj.SetName(name)
			}
			err := dryRunCreate(obj)
			if err == nil {
				t.Fatalf("accepted; want refused with %q", tc.Want)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want an Invalid error, got %v", err)
			}
			for _, w := range tc.Want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q\n lacks %q", err.Error(), w)
				}
			}
			// A rule reading a field it did not check with has() fails to evaluate, and
			// the API server shows the user its error.
			if strings.Contains(err.Error(), "no such key") {
				t.Errorf("message %q\n has a rule's evaluation error", err.Error())
			}
		})
	}
}

func TestMergePatch(t *testing.T) {
	// Guards the table's helper without a server: merge deletes on null and recurses.
	dst := map[string]any{"a": map[string]any{"b": 1, "c": 2}, "d": 3}
	validationcases.Merge(dst, map[string]any{"a": map[string]any{"b": nil, "e": 5}, "d": nil})
	want := map[string]any{"a": map[string]any{"c": 2, "e": 5}}
	if fmt.Sprint(dst) != fmt.Sprint(want) {
		t.Fatalf("merge = %v, want %v", dst, want)
	}
}
