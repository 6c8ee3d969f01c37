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

package cache

import (
	"testing"

	"github.com/portico-dev/portico/dataplane/proxy"
)

// The shared level's keys are read by every replica, of this release and others during an
// upgrade: how the local level represents keys must never change them. The value is what
// the release before keys were kept unhashed locally wrote for this request (with key id
// k1: since callerless requests bypass the cache, the value the code before that wrote).
func TestSharedKeyStable(t *testing.T) {
	shared := newFakeShared()
	f := newFixture()
	f.store = NewStore(StoreOptions{Now: f.clock.Now, Shared: shared})
	f.step = NewStep(f.store, Options{Registerer: f.reg})
	r := route("/pets/{id}", getOnly, "querystring.q", "header.x-tenant", "path.id", ParamAPIKeyID)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, &backend{})
	call(t, h, r, "GET", "/pets/7?q=a&q=b", header("X-Tenant", "acme"), caller("", "k1"))
	keys := slicesOf(shared.values)
	const want = "ns/prod:ns/pets:85bff194a3c43afc8726c721f2a4d002e7be55692e45149f9321912cf82c1f2a"
	if len(keys) != 1 || keys[0] != want {
		t.Fatalf("shared keys %q, want %q", keys, want)
	}
}
