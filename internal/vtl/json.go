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
	"errors"
	"slices"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader and writer of template values: objects keep their key order (they
// are LinkedHashMaps in API Gateway), integers stay integers, and no reflection is
// involved, which keeps $input.path on a 4 KB body within a few microseconds.

const maxJSONDepth = 512

var errJSONDepth = errors.New("JSON nested too deeply")

// ParseJSON reads one JSON document into template values.
func ParseJSON(s string) (any, error) {
	d := readerPool.Get().(*jsonReader)
	defer d.release()
	d.s, d.i = s, 0
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(s) {
		return nil, d.errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// jsonReader parses onto shared stacks of keys, values and items (pooled between
// documents), then carves each object and array out of slabs allocated a chunk at a time:
// a 4 KB body costs tens of allocations, not hundreds. Carved slices are capped, so a
// template that adds to one reallocates it rather than writing into its neighbour.
type jsonReader struct {
	s      string
	i      int
	keys   []string
	tstack []tapeFrame
	conts  int // the tape reader's containers so far
	vals   []any
	items  []any
	// Slabs, owned by the values carved from them: never pooled.
	kslab []string
	vslab []any
	islab []any
	maps  []Map
	lists []List
	// recent are the key slices of the last few objects, for keySlice.
	recent     [4][]string
	nextRecent int
	boxSlabs
}

var readerPool = sync.Pool{New: func() any { return &jsonReader{} }}

func (d *jsonReader) release() {
	clear(d.vals)
	clear(d.items)
	*d = jsonReader{keys: d.keys[:0], tstack: d.tstack[:0], vals: d.vals[:0], items: d.items[:0]}
	if cap(d.keys) <= 4096 && cap(d.items) <= 4096 {
		readerPool.Put(d)
	}
}

const slabChunk = 64

func (d *jsonReader) newMap() *Map {
	if len(d.maps) == cap(d.maps) {
		d.maps = make([]Map, 0, slabChunk/4)
	}
	d.maps = d.maps[:len(d.maps)+1]
	return &d.maps[len(d.maps)-1]
}

func (d *jsonReader) newList() *List {
	if len(d.lists) == cap(d.lists) {
		d.lists = make([]List, 0, slabChunk/4)
	}
	d.lists = d.lists[:len(d.lists)+1]
	return &d.lists[len(d.lists)-1]
}

func (d *jsonReader) carveItems(n int) []any {
	if cap(d.islab)-len(d.islab) < n {
		d.islab = make([]any, 0, max(n, slabChunk))
	}
	a := len(d.islab)
	d.islab = d.islab[:a+n]
	return d.islab[a : a+n : a+n]
}

// object pops the pairs pushed since base into a Map. A repeated key keeps its first
// position and its last value, as a LinkedHashMap filled in order does.
func (d *jsonReader) object(base int) *Map {
	n := len(d.keys) - base
	if cap(d.vslab)-len(d.vslab) < n {
		d.vslab = make([]any, 0, max(n, slabChunk))
	}
	a := len(d.vslab)
	d.vslab = d.vslab[:a+n]
	m := d.newMap()
	m.keys, m.vals = d.keySlice(d.keys[base:]), d.vslab[a:a+n:a+n]
	copy(m.vals, d.vals[base:])
	clear(d.vals[base:])
	d.keys, d.vals = d.keys[:base], d.vals[:base]
	if n > 1 && hasDuplicates(m.keys) {
		dedup := &Map{}
		for i, k := range m.keys {
			dedup.Set(k, m.vals[i])
		}
		return dedup
	}
	return m
}

// keySlice returns a slice holding keys: one an object read recently had when it had the
// same keys (the items of an array of objects mostly do), else a new one carved from the key
// slab. Maps therefore share key slices; they are read-only (Map.remove copies, and appends
// reallocate since carved slices are capped).
func (d *jsonReader) keySlice(keys []string) []string {
	n := len(keys)
	for _, k := range d.recent {
		if len(k) == n && slices.Equal(k, keys) {
			return k
		}
	}
	if cap(d.kslab)-len(d.kslab) < n {
		d.kslab = make([]string, 0, max(n, slabChunk))
	}
	a := len(d.kslab)
	d.kslab = append(d.kslab, keys...)
	k := d.kslab[a : a+n : a+n]
	if n > 0 && n <= 32 {
		d.recent[d.nextRecent%len(d.recent)] = k
		d.nextRecent++
	}
	return k
}

func hasDuplicates(keys []string) bool {
	if len(keys) <= 16 {
		for i := 1; i < len(keys); i++ {
			for j := 0; j < i; j++ {
				if keys[i] == keys[j] {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		if _, ok := seen[k]; ok {
			return true
		}
		seen[k] = struct{}{}
	}
	return false
}

func (d *jsonReader) errorf(msg string) error {
	return errors.New(msg + " at offset " + strconv.Itoa(d.i))
}

// The scanning loops work on locals, not d.s and d.i: the compiler keeps those in
// registers, where it would load and store the fields at every byte.

func (d *jsonReader) space() {
	s, i := d.s, d.i
	for i < len(s) && jsonSpace[s[i]] {
		i++
	}
	d.i = i
}

// jsonSpace marks JSON's whitespace; strPlain the bytes a string holds as they are (not the
// quote, the backslash, nor control characters).
var jsonSpace, strPlain = func() (sp, pl [256]bool) {
	for _, c := range " \t\n\r" {
		sp[c] = true
	}
	for c := 0x20; c < 256; c++ {
		pl[c] = c != '"' && c != '\\'
	}
	return sp, pl
}()

func (d *jsonReader) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	if d.i >= len(d.s) {
		return nil, d.errorf("unexpected end of JSON")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		d.i++
		base := len(d.keys)
		d.space()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return &Map{}, nil
		}
		for {
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				return nil, d.errorf("expected a string key")
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return nil, d.errorf("expected :")
			}
			d.i++
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			d.keys = append(d.keys, k)
			d.vals = append(d.vals, v)
			d.space()
			if d.i >= len(d.s) {
				return nil, d.errorf("unexpected end of JSON")
			}
			if d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.s[d.i] == '}' {
				d.i++
				m := d.object(base)
				return m, nil
			}
			return nil, d.errorf("expected , or }")
		}
	case c == '[':
		d.i++
		base := len(d.items)
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return &List{}, nil
		}
		for {
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			d.items = append(d.items, v)
			d.space()
			if d.i >= len(d.s) {
				return nil, d.errorf("unexpected end of JSON")
			}
			if d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.s[d.i] == ']' {
				d.i++
				l := d.newList()
				l.Items = d.carveItems(len(d.items) - base)
				copy(l.Items, d.items[base:])
				clear(d.items[base:])
				d.items = d.items[:base]
				return l, nil
			}
			return nil, d.errorf("expected , or ]")
		}
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return d.boxString(s), nil
	case c == 't' || c == 'f' || c == 'n':
		for _, w := range [...]struct {
			lit string
			v   any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if len(d.s)-d.i >= len(w.lit) && d.s[d.i:d.i+len(w.lit)] == w.lit {
				d.i += len(w.lit)
				return w.v, nil
			}
		}
	case c == '-' || isDigit(c):
		return d.number()
	}
	return nil, d.errorf("unexpected character")
}

func (d *jsonReader) str() (string, error) {
	start := d.i + 1 // past the opening quote
	s, i := d.s, start
	for i < len(s) && strPlain[s[i]] {
		i++
	}
	d.i = i
	if i < len(s) {
		switch c := s[i]; {
		case c == '"':
			d.i++
			return s[start:i], nil
		case c < 0x20:
			return "", d.errorf("control character in a string")
		}
	}
	// Slow path: escapes.
	b := []byte(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b), nil
		case c < 0x20:
			return "", d.errorf("control character in a string")
		case c != '\\':
			b = append(b, c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.s) {
			break
		}
		switch e := d.s[d.i]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := d.hex4(d.i + 1)
			if !ok {
				return "", d.errorf("bad \\u escape")
			}
			d.i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := d.hex4(d.i + 3); ok && d.i+2 < len(d.s) && d.s[d.i+1] == '\\' && d.s[d.i+2] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						d.i += 6
					}
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", d.errorf("bad escape")
		}
		d.i++
	}
	return "", d.errorf("unclosed string")
}

func (d *jsonReader) hex4(i int) (rune, bool) {
	if i+4 > len(d.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[i : i+4]) {
		r <<= 4
		switch {
		case isDigit(c):
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}
