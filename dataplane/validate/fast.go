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
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/portico-dev/portico/internal/vtl"
)

// The fast path. santhosh-tekuri/jsonschema allocates per keyword and per number, and wants
// maps and slices rather than the template values the body is decoded into once per
// request: about 60 µs for a 1 KB body. Most models use a handful of keywords (type,
// properties, required, items, lengths, bounds, pattern, enum and the combinators), which
// check here in a few microseconds straight on the decoded body, without allocating.
//
// The library stays the reference: a model using any other assertion keyword is validated
// by the library alone, and a body the fast path refuses is validated again by the library
// for AWS's error string. The fast path only ever decides "valid"; a differential test and a
// fuzz target hold the two to the same verdicts.

// typeMask is a set of JSON types; 0 allows all.
type typeMask uint8

const (
	tNull typeMask = 1 << iota
	tBoolean
	tObject
	tArray
	tNumber
	tString
	tInteger
)

var typeNames = map[string]typeMask{
	"null": tNull, "boolean": tBoolean, "object": tObject, "array": tArray,
	"number": tNumber, "string": tString, "integer": tInteger,
}

// fastSchema is one (sub)schema of the fast path.
type fastSchema struct {
	never    bool // the false schema
	types    typeMask
	props    map[string]*fastSchema
	required []string
	// additional applies to the keys not in props; noAdditional refuses them.
	additional   *fastSchema
	noAdditional bool
	items        *fastSchema

	minItems, maxItems int // -1: unset
	minProps, maxProps int
	minLen, maxLen     int
	pattern            *regexp.Regexp

	min, max         float64
	hasMin, hasMax   bool
	exclMin, exclMax bool // draft 4: the bound itself is refused
	// Draft 6 and later: exclusiveMinimum and exclusiveMaximum are bounds of their own.
	xMin, xMax       float64
	hasXMin, hasXMax bool

	enum  []any
	allOf []*fastSchema
	anyOf []*fastSchema
	oneOf []*fastSchema
	not   *fastSchema
}

// Keywords the library asserts that the fast path does not implement: a model with any of
// them is validated by the library only. Other keywords are annotations (or unknown, which
// JSON Schema ignores).
var slowKeywords = map[string]bool{
	"$ref": true, "$dynamicRef": true, "$recursiveRef": true, "multipleOf": true,
	"uniqueItems": true, "const": true, "contains": true, "minContains": true, "maxContains": true,
	"dependencies": true, "dependentRequired": true, "dependentSchemas": true,
	"propertyNames": true, "patternProperties": true, "additionalItems": true,
	"prefixItems": true, "if": true, "then": true, "else": true,
	"unevaluatedProperties": true, "unevaluatedItems": true, "contentEncoding": true,
	"contentMediaType": true, "contentSchema": true, "$vocabulary": true,
	"disallow": true, "extends": true, "divisibleBy": true,
}

// compileFast builds the fast path of a model, or returns nil when the model needs the
// library. A model without $schema reads as draft 4, as in jsonmodel.
func compileFast(schema string) *fastSchema {
	var doc any
	d := json.NewDecoder(strings.NewReader(schema))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	draft := "draft-04"
	if s, ok := root["$schema"].(string); ok {
		draft = s
	}
	draft4 := strings.Contains(draft, "draft-04") || strings.Contains(draft, "draft-03")
	formatAsserted := draft4 || strings.Contains(draft, "draft-06") || strings.Contains(draft, "draft-07")
	c := fastCompiler{draft4: draft4, formatAsserted: formatAsserted}
	return c.compile(doc, 0)
}

type fastCompiler struct {
	draft4, formatAsserted bool
}

func (c fastCompiler) compile(v any, depth int) *fastSchema {
	if depth > 64 {
		return nil
	}
	if b, ok := v.(bool); ok && !c.draft4 {
		if b {
			return &fastSchema{minItems: -1, maxItems: -1, minProps: -1, maxProps: -1, minLen: -1, maxLen: -1}
		}
		return &fastSchema{never: true}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	s := &fastSchema{minItems: -1, maxItems: -1, minProps: -1, maxProps: -1, minLen: -1, maxLen: -1}
	sub := func(v any) (*fastSchema, bool) {
		f := c.compile(v, depth+1)
		return f, f != nil
	}
	list := func(v any) ([]*fastSchema, bool) {
		a, ok := v.([]any)
		if !ok || len(a) == 0 {
			return nil, false
		}
		out := make([]*fastSchema, len(a))
		for i, e := range a {
			if out[i], ok = sub(e); !ok {
				return nil, false
			}
		}
		return out, true
	}
	for k, v := range m {
		if slowKeywords[k] || (k == "format" && c.formatAsserted) {
			return nil
		}
		var ok bool
		switch k {
		case "type":
			ok = s.setTypes(v)
		case "properties":
			var pm map[string]any
			if pm, ok = v.(map[string]any); ok {
				s.props = make(map[string]*fastSchema, len(pm))
				for name, p := range pm {
					if s.props[name], ok = sub(p); !ok {
						break
					}
				}
			}
		case "required":
			var a []any
			if a, ok = v.([]any); ok {
				for _, e := range a {
					var name string
					if name, ok = e.(string); !ok {
						break
					}
					s.required = append(s.required, name)
				}
			}
		case "additionalProperties":
			if b, isBool := v.(bool); isBool {
				s.noAdditional, ok = !b, true
			} else {
				s.additional, ok = sub(v)
			}
		case "items":
			s.items, ok = sub(v) // the array form needs the library
		case "minItems":
			s.minItems, ok = count(v)
		case "maxItems":
			s.maxItems, ok = count(v)
		case "minProperties":
			s.minProps, ok = count(v)
		case "maxProperties":
			s.maxProps, ok = count(v)
		case "minLength":
			s.minLen, ok = count(v)
		case "maxLength":
			s.maxLen, ok = count(v)
		case "pattern":
			var p string
			if p, ok = v.(string); ok {
				var err error
				s.pattern, err = regexp.Compile(p)
				ok = err == nil
			}
		case "minimum":
			s.min, ok = number(v)
			s.hasMin = true
		case "maximum":
			s.max, ok = number(v)
			s.hasMax = true
		case "exclusiveMinimum", "exclusiveMaximum":
			ok = c.exclusive(s, k == "exclusiveMinimum", v)
		case "enum":
			if s.enum, ok = v.([]any); ok {
				ok = exactNumbers(v, 0)
			}
		case "allOf":
			s.allOf, ok = list(v)
		case "anyOf":
			s.anyOf, ok = list(v)
		case "oneOf":
			s.oneOf, ok = list(v)
		case "not":
			s.not, ok = sub(v)
		case "definitions", "$defs":
			ok = true // reached only through $ref, which takes the library
		default:
			ok = true // annotations and unknown keywords
		}
		if !ok {
			return nil
		}
	}
	return s
}

// exclusive reads exclusiveMinimum or exclusiveMaximum: a boolean modifying minimum or
// maximum in draft 4, a bound of its own later.
func (c fastCompiler) exclusive(s *fastSchema, lower bool, v any) bool {
	if c.draft4 {
		b, ok := v.(bool)
		if lower {
			s.exclMin = b
		} else {
			s.exclMax = b
		}
		return ok
	}
	n, ok := number(v)
	if !ok {
		return false
	}
	if lower {
		s.xMin, s.hasXMin = n, true
	} else {
		s.xMax, s.hasXMax = n, true
	}
	return true
}

func (s *fastSchema) setTypes(v any) bool {
	switch v := v.(type) {
	case string:
		t, ok := typeNames[v]
		s.types |= t
		return ok
	case []any:
		for _, e := range v {
			name, ok := e.(string)
			if !ok || typeNames[name] == 0 {
				return false
			}
			s.types |= typeNames[name]
		}
		return len(v) > 0
	}
	return false
}

func count(v any) (int, bool) {
	f, ok := number(v)
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// number reads a schema's number. The library compares numbers as the rationals their
// shortest decimal text spells; a schema number that float64 does not hold exactly in that
// sense (0.10000000000000000001) leaves the model to the library.
func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	exact, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return 0, false
	}
	short, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return f, ok && exact.Cmp(short) == 0
}

// exactNumbers reports whether every number in an enum value passes number.
func exactNumbers(v any, depth int) bool {
	switch v := v.(type) {
	case json.Number:
		_, ok := number(v)
		return ok
	case []any:
		for _, e := range v {
			if !exactNumbers(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		for _, e := range v {
			if !exactNumbers(e, depth+1) {
				return false
			}
		}
	}
	return depth < 64
}

// maxExact bounds the integers a float64 holds exactly: beyond, a body's integer is
// compared as the library does, as a rational.
const maxExact = 1 << 53

func ratCmp(v int64, f float64) int {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return new(big.Rat).SetInt64(v).Cmp(r)
}

// valid reports whether the decoded body v (internal/vtl's values) satisfies s.
func (s *fastSchema) valid(v any, depth int) bool {
	// Every verdict is exact (not relies on it), and recursion is bounded by the body's
	// depth and the schema's: there is no $ref here.
	if s.never {
		return false
	}
	if _, big := v.(vtl.BigInt); big {
		return false // an integer beyond int64: the library compares it exactly
	}
	if s.types != 0 && !s.hasType(v) {
		return false
	}
	switch v := v.(type) {
	case *vtl.Map:
		if !s.object(v, depth) {
			return false
		}
	case *vtl.List:
		n := len(v.Items)
		if n < s.minItems || (s.maxItems >= 0 && n > s.maxItems) {
			return false
		}
		if s.items != nil {
			for _, e := range v.Items {
				if !s.items.valid(e, depth+1) {
					return false
				}
			}
		}
	case string:
		if s.minLen >= 0 || s.maxLen >= 0 {
			n := utf8.RuneCountInString(v)
			if n < s.minLen || (s.maxLen >= 0 && n > s.maxLen) {
				return false
			}
		}
		if s.pattern != nil && !s.pattern.MatchString(v) {
			return false
		}
	case int64:
		if !s.intInBounds(v) {
			return false
		}
	case float64:
		if !s.inBounds(v) {
			return false
		}
	}
	if s.enum != nil && !s.inEnum(v) {
		return false
	}
	return s.combinators(v, depth)
}

func (s *fastSchema) combinators(v any, depth int) bool {
	for _, a := range s.allOf {
		if !a.valid(v, depth+1) {
			return false
		}
	}
	if s.anyOf != nil {
		ok := false
		for _, a := range s.anyOf {
			if a.valid(v, depth+1) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if s.oneOf != nil {
		n := 0
		for _, a := range s.oneOf {
			if a.valid(v, depth+1) {
				n++
			}
		}
		if n != 1 {
			return false
		}
	}
	return s.not == nil || !s.not.valid(v, depth+1)
}

func (s *fastSchema) object(m *vtl.Map, depth int) bool {
	n := m.Len()
	if n < s.minProps || (s.maxProps >= 0 && n > s.maxProps) {
		return false
	}
	for _, name := range s.required {
		if _, ok := m.Get(name); !ok {
			return false
		}
	}
	if s.props == nil && s.additional == nil && !s.noAdditional {
		return true
	}
	for _, k := range m.Keys() {
		e, _ := m.Get(k)
		if p := s.props[k]; p != nil {
			if !p.valid(e, depth+1) {
				return false
			}
			continue
		}
		if _, declared := s.props[k]; declared {
			continue
		}
		if s.noAdditional || (s.additional != nil && !s.additional.valid(e, depth+1)) {
			return false
		}
	}
	return true
}

func (s *fastSchema) hasType(v any) bool {
	switch v := v.(type) {
	case nil:
		return s.types&tNull != 0
	case bool:
		return s.types&tBoolean != 0
	case *vtl.Map:
		return s.types&tObject != 0
	case *vtl.List:
		return s.types&tArray != 0
	case string:
		return s.types&tString != 0
	case int64:
		return s.types&(tNumber|tInteger) != 0
	case float64:
		return s.types&tNumber != 0 || (s.types&tInteger != 0 && v == math.Trunc(v) && !math.IsInf(v, 0))
	}
	return false
}

func (s *fastSchema) inBounds(f float64) bool {
	if s.hasMin && (f < s.min || (s.exclMin && f == s.min)) {
		return false
	}
	if s.hasMax && (f > s.max || (s.exclMax && f == s.max)) {
		return false
	}
	return !(s.hasXMin && f <= s.xMin) && !(s.hasXMax && f >= s.xMax)
}

func (s *fastSchema) intInBounds(v int64) bool {
	if v <= maxExact && v >= -maxExact {
		return s.inBounds(float64(v))
	}
	if s.hasMin && (ratCmp(v, s.min) < 0 || (s.exclMin && ratCmp(v, s.min) == 0)) {
		return false
	}
	if s.hasMax && (ratCmp(v, s.max) > 0 || (s.exclMax && ratCmp(v, s.max) == 0)) {
		return false
	}
	return !(s.hasXMin && ratCmp(v, s.xMin) <= 0) && !(s.hasXMax && ratCmp(v, s.xMax) >= 0)
}

func (s *fastSchema) inEnum(v any) bool {
	for _, e := range s.enum {
		if jsonEqual(v, e) {
			return true
		}
	}
	return false
}

// jsonEqual compares a decoded body value with a schema value, numbers by value.
func jsonEqual(v, e any) bool {
	switch e := e.(type) {
	case nil:
		return v == nil
	case bool:
		b, ok := v.(bool)
		return ok && b == e
	case string:
		s, ok := v.(string)
		return ok && s == e
	case json.Number:
		f, ok := number(e)
		switch v := v.(type) {
		case int64:
			if v > maxExact || v < -maxExact {
				return ok && ratCmp(v, f) == 0
			}
			return ok && float64(v) == f
		case float64:
			return ok && v == f
		}
		return false
	case []any:
		l, ok := v.(*vtl.List)
		if !ok || len(l.Items) != len(e) {
			return false
		}
		for i := range e {
			if !jsonEqual(l.Items[i], e[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		m, ok := v.(*vtl.Map)
		if !ok || m.Len() != len(e) {
			return false
		}
		for k, ev := range e {
			mv, ok := m.Get(k)
			if !ok || !jsonEqual(mv, ev) {
				return false
			}
		}
		return true
	}
	return false
}
