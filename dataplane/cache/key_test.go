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

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// The shared level's keys are read by every replica, of this release and others during an
// upgrade: how the local level represents keys must never change them. The value is what
// this release writes for this request; it last changed when keys took the revision's
// content digest beside its number (numbers start again where revisions are not kept),
// which makes an earlier release's entries misses, once, during an upgrade.
func TestSharedKeyStable(t *testing.T) {
	shared := newFakeShared()
	f := newFixture()
	f.store = NewStore(StoreOptions{Now: f.clock.Now, Shared: shared})
	f.step = NewStep(f.store, Options{Registerer: f.reg})
	r := route("/pets/{id}", getOnly, "querystring.q", "header.x-tenant", "path.id", ParamAPIKeyID)
	h := f.build(t, stageSnap("ns/prod", "pets"), r, proxy.VariantStable, &backend{})
	call(t, h, r, "GET", "/pets/7?q=a&q=b", header("X-Tenant", "acme"), caller("", "k1"))
	keys := slicesOf(shared.values)
	const want = "ns/prod:ns/pets:4f2b7dd795ae64fac365b8e64a927d55cf2dcfaa974668274744df167f0e7be7"
	if len(keys) != 1 || keys[0] != want {
		t.Fatalf("shared keys %q, want %q", keys, want)
	}
}

// Two configurations that number their revision alike (standalone restarted without
// --state-dir starts at 1 again) but differ in content key their answers apart: a shared
// cache never answers with what the other configuration made.
func TestSharedKeyByRevisionContent(t *testing.T) {
	shared := newFakeShared()
	f := newFixture()
	f.store = NewStore(StoreOptions{Now: f.clock.Now, Shared: shared})
	f.step = NewStep(f.store, Options{Registerer: f.reg})
	r := route("/pets", getOnly)
	for _, uri := range []string{"http://a/pets", "http://a/pets?v=2"} {
		st := stageSnap("ns/prod", "pets")
		st.Revision = 1
		st.Api = &xdsv1alpha1.Api{Routes: []*xdsv1alpha1.Route{{Name: "r", Path: "/pets", Integration: &xdsv1alpha1.Integration{Uri: uri}}}}
		h := f.build(t, st, r, proxy.VariantStable, &backend{})
		call(t, h, r, "GET", "/pets")
	}
	if keys := slicesOf(shared.values); len(keys) != 2 {
		t.Fatalf("shared keys %q: want one per configuration", keys)
	}
}
