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

package reqctx

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/vtl"
)

// TemplateJSON reads the body onto a tape once, unless JSON read it first (validation),
// whose values it then shares; an empty body is an empty object either way.
func TestTemplateJSON(t *testing.T) {
	b := &Body{Text: `{"a": [1, 2]}`}
	v1, err := b.TemplateJSON()
	if err != nil {
		t.Fatal(err)
	}
	tape, ok := v1.(*vtl.Tape)
	if !ok {
		t.Fatalf("TemplateJSON = %T, want a *vtl.Tape", v1)
	}
	if v2, _ := b.TemplateJSON(); v2 != tape {
		t.Error("the body was read onto a second tape")
	}
	if b.JSONParsed() {
		t.Error("JSONParsed after TemplateJSON alone")
	}

	b = &Body{Text: `{"a": 1}`}
	doc, _ := b.JSON()
	if !b.JSONParsed() {
		t.Error("JSONParsed false after JSON")
	}
	if v, _ := b.TemplateJSON(); v != doc {
		t.Errorf("TemplateJSON = %T, want JSON's values", v)
	}

	b = &Body{Text: "  "}
	if v, err := b.TemplateJSON(); err != nil || v.(*vtl.Map).Len() != 0 {
		t.Errorf("empty body: %v, %v", v, err)
	}

	b = &Body{Text: `{"a": }`}
	if _, err := b.TemplateJSON(); err == nil {
		t.Error("no error for a body that is not JSON")
	}
}

// Done gives the body's tape back: the next request's body is read onto its memory without
// allocating the entries again, and a reader after Done (none should come) reads the body anew
// rather than a tape given away.
func TestDoneReleasesTheTape(t *testing.T) {
	text := `{"items": [` + strings.Repeat(`{"sku": "a", "qty": 1}, `, 40) + `{"sku": "b", "qty": 2}]}`
	serve := func() *Request {
		r := &Request{body: &Body{Text: text}}
		if _, err := r.body.TemplateJSON(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	serve().Done() // a tape in the pool
	// The entries (about 250 of 16 bytes) come from the pool; what is left is the Request and
	// the Body of this test. Without Done the entries would be one more, larger, allocation.
	withDone := testing.AllocsPerRun(50, func() { serve().Done() })
	without := testing.AllocsPerRun(50, func() { serve() })
	if withDone >= without {
		t.Errorf("allocations per request: %v with Done, %v without", withDone, without)
	}

	r := serve()
	r.Done()
	if r.body.tape != nil || r.body.taped {
		t.Fatal("the body still holds the tape it gave back")
	}
	again, err := r.body.TemplateJSON()
	if tape, ok := again.(*vtl.Tape); err != nil || !ok || tape == nil {
		t.Errorf("TemplateJSON after Done = %v, %v; want the body read anew", again, err)
	}
}
