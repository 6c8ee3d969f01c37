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

package schema

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/validationcases"
)

// The offline validator refuses what the API server refuses, with the same messages: the
// table is the one api/v1alpha1's tests run against a real kube-apiserver.
func TestRefusesWhatTheAPIServerRefuses(t *testing.T) {
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for kind := range validationcases.ValidSpecs {
		obj, err := validationcases.Object(kind, `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if errs := v.DefaultAndValidate(obj); len(errs) > 0 {
			t.Errorf("valid %s refused: %v", kind, errs.ToAggregate())
		}
	}
	for _, tc := range validationcases.Cases() {
		t.Run(tc.Kind+"/"+tc.Name, func(t *testing.T) {
			obj, err := validationcases.Object(tc.Kind, tc.Patch)
			if err != nil {
				t.Fatal(err)
			}
			if name, ok := validationcases.ObjectNames[tc.Name]; ok {
				obj["metadata"].(map[string]any)["name"] = name
			}
			errs := v.DefaultAndValidate(obj)
			if len(errs) == 0 {
				t.Fatalf("accepted; want refused with %q", tc.Want)
			}
			msg := errs.ToAggregate().Error()
			for _, w := range tc.Want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q\n lacks %q", msg, w)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := validationcases.Object("Stage", `cache: {enabled: true}`)
	if err != nil {
		t.Fatal(err)
	}
	if errs := v.DefaultAndValidate(obj); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	spec := obj["spec"].(map[string]any)
	th := spec["throttling"].(map[string]any)
	cache := spec["cache"].(map[string]any)
	if th["rateLimit"] != int64(10000) && th["rateLimit"] != float64(10000) || cache["ttlSeconds"] == nil || cache["capacity"] != "512Mi" {
		t.Errorf("defaults not applied: throttling %v cache %v", th, cache)
	}
}
