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

package throttle

import (
	"slices"
	"testing"
)

func TestMethodBuckets(t *testing.T) {
	var mb methodBuckets
	get, purge, get2 := &bucket{key: "get"}, &bucket{key: "purge"}, &bucket{key: "get2"}
	mb.set("GET", get)
	mb.set("PURGE", purge)
	mb.set("GET", get2) // replaces, as a map would
	if mb.len() != 2 {
		t.Fatalf("len %d, want 2", mb.len())
	}
	for m, want := range map[string]*bucket{"GET": get2, "HEAD": get2, "PURGE": purge, "POST": nil, "get": nil, "": nil} {
		if got := forMethod(&mb, m); got != want {
			t.Errorf("forMethod(%q) = %v, want %v", m, got, want)
		}
	}
	var seen []string
	mb.each(func(m string, b *bucket) { seen = append(seen, m+"="+b.key) })
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"GET=get2", "PURGE=purge"}) {
		t.Errorf("each: %v", seen)
	}
	// A HEAD bucket of its own wins over GET's.
	head := &bucket{key: "head"}
	mb.set("HEAD", head)
	if forMethod(&mb, "HEAD") != head {
		t.Error("HEAD did not get its own bucket")
	}
	for i, m := range allMethods {
		if methodSlot(m) != i {
			t.Errorf("methodSlot(%s) = %d, want %d", m, methodSlot(m), i)
		}
	}
}
