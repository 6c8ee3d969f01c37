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

package xdsv1alpha1

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// The constant is hand-written; the Any type URL comes from the generated descriptor. A
// rename in the .proto must not silently change what proxies subscribe to.
func TestStageSnapshotTypeURL(t *testing.T) {
	a, err := anypb.New(&StageSnapshot{Key: "ns/prod"})
	if err != nil {
		t.Fatal(err)
	}
	if a.GetTypeUrl() != StageSnapshotTypeURL {
		t.Fatalf("type URL = %q, want %q", a.GetTypeUrl(), StageSnapshotTypeURL)
	}
}

func TestDomainTypeURLs(t *testing.T) {
	for want, m := range map[string]interface{ ProtoReflect() protoreflect.Message }{
		DomainSnapshotTypeURL: &DomainSnapshot{},
		TLSSecretTypeURL:      &TlsSecret{},
	} {
		a, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		if a.GetTypeUrl() != want {
			t.Errorf("type URL = %q, want %q", a.GetTypeUrl(), want)
		}
	}
}
