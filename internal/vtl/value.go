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

package vtl

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Values a template handles are Go values of a closed set of types, switched on without
// reflection: nil (Java's null), string, int64 (Integer and Long), float64 (Double), bool,
// *List, *Map, *Entry, and the package's own objects ($input, $util, $foreach, $context).

// List is a Java List: what JSON arrays, list literals, ranges and split() make.
type List struct {
	Items    []any
	readOnly bool
}

// NewList returns a list of the given values (which must be of the types above).
func NewList(items ...any) *List { return &List{Items: items} }

// Map is a Java LinkedHashMap from strings: keys keep their insertion order, as JSON
// objects, map literals and keySet() do in API Gateway. Small maps are searched linearly;
// an index is built once a map grows past a few keys.
type Map struct {
	keys     []string
	vals     []any
	idx      map[string]int
	readOnly bool
	// once marks the override maps: API Gateway refuses a second override of one name.
	once bool
}

const mapIndexAt = 12

// NewMap returns an empty map.
func NewMap() *Map { return &Map{} }

// NewMapSize returns an empty map with room for n keys, for a caller that knows how many it
// will set: the map then allocates its key and value slices once instead of growing them.
func NewMapSize(n int) *Map {
	return &Map{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// Len is the number of keys.
func (m *Map) Len() int { return len(m.keys) }

// Keys returns the keys in insertion order. The slice is the map's own, possibly shared with
// other maps: read it, never write it.
func (m *Map) Keys() []string { return m.keys }

func (m *Map) find(k string) int {
	if m.idx != nil {
		if i, ok := m.idx[k]; ok {
			return i
		}
		return -1
	}
	if len(m.keys) > mapIndexAt {
		m.idx = make(map[string]int, len(m.keys))
		for i, key := range m.keys {
			m.idx[key] = i
		}
		return m.find(k)
	}
	for i, key := range m.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// Get returns the value of k and whether k is present.
func (m *Map) Get(k string) (any, bool) {
	if i := m.find(k); i >= 0 {
		return m.vals[i], true
	}
	return nil, false
}

// Set puts k, keeping the position of an existing key (as LinkedHashMap does). It is for
// the caller building an environment; templates go through put, which honours read-only
// maps.
func (m *Map) Set(k string, v any) any {
	if i := m.find(k); i >= 0 {
		old := m.vals[i]
		m.vals[i] = v
		return old
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	if m.idx != nil {
		m.idx[k] = len(m.keys) - 1
	}
	return nil
}

func (m *Map) remove(k string) any {
	i := m.find(k)
	if i < 0 {
		return nil
	}
	old := m.vals[i]
	// New slices: maps read from JSON share their key slices (see jsonReader.keySlice).
	m.keys = slices.Concat(m.keys[:i:i], m.keys[i+1:])
	m.vals = slices.Concat(m.vals[:i:i], m.vals[i+1:])
	m.idx = nil
	return old
}

// Freeze makes the map, and every map and list inside it, read-only to templates: a put
// or add on it is a runtime error. Freeze what is shared between requests (stage
// variables, a context built once).
func (m *Map) Freeze() *Map {
	freeze(m, 0)
	return m
}

func freeze(v any, depth int) {
	if depth > maxValueDepth {
		return
	}
	switch x := v.(type) {
	case *Map:
		if x.readOnly {
			return
		}
		x.readOnly = true
		for _, e := range x.vals {
			freeze(e, depth+1)
		}
	case *List:
		if x.readOnly {
			return
		}
		x.readOnly = true
		for _, e := range x.Items {
			freeze(e, depth+1)
		}
	}
}

// MapOf builds a map from Go strings, keys sorted so that keySet() is deterministic.
func MapOf(kv map[string]string) *Map {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := &Map{keys: keys, vals: make([]any, len(keys))}
	for i, k := range keys {
		m.vals[i] = kv[k]
	}
	return m
}

// Entry is a Map.Entry, what entrySet() iterates.
type Entry struct {
	Key   string
	Value any
}

// FromGo converts plain Go data (what encoding/json decodes into, and the usual scalar
// types) into template values; map keys are sorted. Unknown types become their
// fmt-free string form only for the types listed; anything else is nil.
func FromGo(v any) any {
	switch x := v.(type) {
	case nil, string, int64, float64, bool, *Map, *List:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case interface{ String() string }:
		return x.String()
	case []string:
		l := &List{Items: make([]any, len(x))}
		for i, s := range x {
			l.Items[i] = s
		}
		return l
	case []any:
		l := &List{Items: make([]any, len(x))}
		for i, e := range x {
			l.Items[i] = FromGo(e)
		}
		return l
	case map[string]string:
		return MapOf(x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := &Map{keys: keys, vals: make([]any, len(keys))}
		for i, k := range keys {
			m.vals[i] = FromGo(x[k])
		}
		return m
	}
	return nil
}

// maxValueDepth bounds recursion over values (printing, JSON, equality): a map can be put
// into itself.
const maxValueDepth = 64

// writeValue appends v as Java's toString() prints it: lists as [a, b], maps as {k=v}.
func writeValue(b []byte, v any, depth int) ([]byte, bool) {
	if depth > maxValueDepth {
		return b, false
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return append(b, x...), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case float64:
		return appendJavaDouble(b, x), true
	case BigInt:
		return append(b, x...), true
	case bool:
		return strconv.AppendBool(b, x), true
	case *List:
		b = append(b, '[')
		for i, e := range x.Items {
			if i > 0 {
				b = append(b, ", "...)
			}
			var ok bool
			if b, ok = writeValue(b, e, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case *Map:
		b = append(b, '{')
		for i, k := range x.keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, k...)
			b = append(b, '=')
			var ok bool
			if b, ok = writeValue(b, x.vals[i], depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case *Entry:
		b = append(b, x.Key...)
		b = append(b, '=')
		return writeValue(b, x.Value, depth+1)
	case *contextObj:
		return writeValue(b, x.base, depth)
	case *tapeNode:
		return writeValue(b, x.resolve(), depth)
	case *foreachScope:
		return append(b, "foreach"...), true
	case *inputObj:
		return append(b, "input"...), true
	case utilObj:
		return append(b, "util"...), true
	}
	return b, true
}

// toString is writeValue for short scalars without a caller's buffer.
func toString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	b, ok := writeValue(nil, v, 0)
	return string(b), ok
}

// appendJavaDouble formats f as Java's Double.toString does: plain decimals with at least
// one fractional digit between 10^-3 and 10^7, computerized scientific notation outside.
func appendJavaDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		if fb, ok := appendShortDecimal(b, f, abs); ok {
			return fb
		}
		start := len(b)
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
		if bytes.IndexByte(b[start:], '.') < 0 {
			b = append(b, ".0"...)
		}
		return b
	}
	// 'e' gives the shortest digits as d.ddde±xx; Java writes d.dddEx.
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	b = append(b, mant...)
	if !strings.Contains(mant, ".") {
		b = append(b, ".0"...)
	}
	b = append(b, 'E')
	if exp[0] == '-' {
		b = append(b, '-')
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return append(b, exp...)
}

// appendShortDecimal is appendJavaDouble's fast path for the common money-like values (12.5,
// 3.25, 0.125): an f with at most three fractional digits is printed from integers, skipping
// the shortest-digits search. The test f == n/10^k is exact (n and 10^k are exact doubles
// and the division is correctly rounded, as parsing "n/10^k" is), and below 10^7 doubles are
// closer together than 10^-3, so n/10^k is then the shortest text that reads back as f: the
// text strconv would find.
func appendShortDecimal(b []byte, f, abs float64) ([]byte, bool) {
	for k, p := 1, 10.0; k <= 3; k, p = k+1, p*10 {
		n := math.Round(abs * p)
		if n/p != abs {
			continue
		}
		u := uint64(n)
		ip, fp := u/uint64(p), u%uint64(p)
		if f < 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, ip, 10)
		b = append(b, '.')
		var digits [3]byte
		for i := k - 1; i >= 0; i-- {
			digits[i] = byte('0' + fp%10)
			fp /= 10
		}
		d := digits[:k]
		for len(d) > 1 && d[len(d)-1] == '0' {
			d = d[:len(d)-1]
		}
		return append(b, d...), true
	}
	return b, false
}

// truthy is Velocity 1.7's #if: null and false are false, everything else (the empty
// string included) is true.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	}
	return true
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64, BigInt:
		return true
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case BigInt:
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	}
	return 0
}

// valuesEqual is Velocity's ==: numbers by value, same kinds by equals(), different kinds
// by their string forms, null only equal to null.
func valuesEqual(a, b any, depth int) bool {
	a, b = unwrap(a), unwrap(b)
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if depth > maxValueDepth {
		return false
	}
	if isNumber(a) && isNumber(b) {
		ai, aInt := a.(int64)
		bi, bInt := b.(int64)
		if aInt && bInt {
			return ai == bi
		}
		abig, aBig := a.(BigInt)
		bbig, bBig := b.(BigInt)
		if aBig || bBig {
			// An integer beyond int64 equals only the same digits (as floats, two
			// neighbours would be one value).
			return aBig && bBig && abig == bbig
		}
		return toFloat(a) == toFloat(b)
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	case *List:
		if y, ok := b.(*List); ok {
			if len(x.Items) != len(y.Items) {
				return false
			}
			for i := range x.Items {
				if !valuesEqual(x.Items[i], y.Items[i], depth+1) {
					return false
				}
			}
			return true
		}
	case *Map:
		if y, ok := b.(*Map); ok {
			if len(x.keys) != len(y.keys) {
				return false
			}
			for i, k := range x.keys {
				w, ok := y.Get(k)
				if !ok || !valuesEqual(x.vals[i], w, depth+1) {
					return false
				}
			}
			return true
		}
	}
	as, ok1 := toString(a)
	bs, ok2 := toString(b)
	return ok1 && ok2 && as == bs
}
