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

package validate

import (
	"testing"

	"github.com/portico-dev/portico/internal/jsonmodel"
	"github.com/portico-dev/portico/internal/vtl"
)

// The fast path must never call valid what the library refuses: these schemas and bodies
// are checked through both, and FuzzFastPath searches for a body where they disagree.

var fastSchemas = []string{
	orderSchema,
	`{"type": ["string", "null"], "minLength": 2, "maxLength": 4}`,
	`{"type": "integer", "minimum": 0, "maximum": 10, "exclusiveMaximum": true}`,
	`{"type": "number", "minimum": 0.5, "exclusiveMinimum": true}`,
	`{"$schema": "http://json-schema.org/draft-07/schema#", "exclusiveMinimum": 1, "exclusiveMaximum": 3}`,
	`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "format": "email", "properties": {"a": false, "b": true}}`,
	`{"type": "object", "additionalProperties": false, "properties": {"a": {"enum": [1, "x", null, [1], {"k": true}]}}}`,
	`{"type": "object", "additionalProperties": {"type": "string", "pattern": "^[a-z]+$"}, "minProperties": 1, "maxProperties": 2}`,
	`{"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3}`,
	`{"anyOf": [{"type": "string"}, {"type": "integer"}], "not": {"enum": [7]}}`,
	`{"oneOf": [{"type": "number", "maximum": 5}, {"type": "integer", "minimum": 3}]}`,
	`{"allOf": [{"required": ["a"]}, {"required": ["b"]}], "properties": {"a": {"type": "boolean"}}}`,
	`{"type": "string", "title": "x", "description": "y", "default": "z", "x-unknown": 1}`,
	`{"not": {"type": "integer", "maximum": 9007199254740992}}`,
	`{"enum": [9007199254740992, 0.1, 2.5]}`,
	`{"type": "number", "maximum": 0.1}`,
	`{"not": {"oneOf": [{"minimum": 0.1}, {"type": "integer"}]}}`,
}

var fastBodies = []string{
	`null`, `true`, `0`, `1`, `1.0`, `1.5`, `-3`, `3`, `5`, `7`, `9`, `10`, `0.5`, `0.50001`, `2`, `4.5`,
	`9007199254740993`, `9007199254740992`, `-9007199254740993`, `1e300`, `0.1`, `0.1000000000000001`, `2.5`, `0.09999999999999999`, `"a"`, `"ab"`, `"abcd"`, `"abcde"`, `"éé"`, `"a@b"`, `"ABC"`,
	`[]`, `[1]`, `[1, 2, 3]`, `[1, 2, 3, 4]`, `[1.5]`, `["x"]`,
	`{}`, `{"a": 1}`, `{"a": "x"}`, `{"a": null}`, `{"a": [1]}`, `{"a": [1.0]}`, `{"a": {"k": true}}`, `{"a": {"k": true, "j": 1}}`,
	`{"a": true, "b": 1}`, `{"a": 1, "b": 1}`, `{"b": 1}`, `{"x": "abc"}`, `{"x": "abc", "y": "d", "z": "e"}`, `{"x": "ABC"}`,
	`{"a": 2, "a": 1}`,
	order(1024),
	`{"orderId": "o-1", "customer": {"name": ""}, "items": [{"sku": "s", "qty": 1}]}`,
	`{"orderId": "o-1", "customer": {"name": "n"}, "items": [{"sku": "s", "qty": 1.5}]}`,
	`{"orderId": "o-1", "customer": {"name": "n"}, "items": [{"sku": "s", "qty": 0}]}`,
	`{"orderId": "x-1", "customer": {"name": "n"}, "items": [{"sku": "s", "qty": 1}]}`,
	`{"orderId": "o-1", "customer": {"name": "n"}, "items": []}`,
}

func TestFastPathAgreesWithLibrary(t *testing.T) {
	for _, schema := range fastSchemas {
		fast := compileFast(schema)
		if fast == nil {
			t.Fatalf("no fast path for %s", schema)
		}
		lib, err := jsonmodel.Compile(schema)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range fastBodies {
			doc, err := vtl.ParseJSON(body)
			if err != nil {
				t.Fatal(err)
			}
			want := lib.Validate(Instance(doc)) == nil
			if got := fast.valid(doc, 0); got != want {
				t.Errorf("schema %s, body %s: fast path says valid=%v, the library %v", schema, body, got, want)
			}
		}
	}
}

func TestFastPathLeavesOtherKeywordsToTheLibrary(t *testing.T) {
	for _, schema := range []string{
		`{"format": "email"}`,
		`{"$ref": "#/definitions/a", "definitions": {"a": {"type": "string"}}}`,
		`{"type": "object", "patternProperties": {"^x": {"type": "string"}}}`,
		`{"items": [{"type": "string"}]}`,
		`{"multipleOf": 3}`,
		`{"uniqueItems": true}`,
		`{"minimum": 0.10000000000000000001}`,
		`{"enum": [1.00000000000000000001]}`,
		`{"properties": {"a": {"const": 1}}}`,
	} {
		if compileFast(schema) != nil {
			t.Errorf("%s has a fast path", schema)
		}
	}
}

func FuzzFastPath(f *testing.F) {
	for _, b := range fastBodies {
		f.Add(b)
	}
	type pair struct {
		fast *fastSchema
		lib  interface{ Validate(any) error }
	}
	var pairs []pair
	for _, schema := range fastSchemas {
		lib, err := jsonmodel.Compile(schema)
		if err != nil {
			f.Fatal(err)
		}
		pairs = append(pairs, pair{compileFast(schema), lib})
	}
	f.Fuzz(func(t *testing.T, body string) {
		doc, err := vtl.ParseJSON(body)
		if err != nil {
			return
		}
		for i, p := range pairs {
			if p.fast.valid(doc, 0) && p.lib.Validate(Instance(doc)) != nil {
				t.Fatalf("schema %s: the fast path accepts %s, the library refuses it", fastSchemas[i], body)
			}
		}
	})
}
