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

package httpsyntax

import (
	"slices"
	"strings"
)

// Field is a header field to write: its name and values.
type Field struct {
	Name   string
	Values []string
}

// AppendField appends the field k: vv to fs. Its name and values are stored one by one: an
// appended literal is built aside and copied in by the runtime (wbMove, its pointers under
// the write barrier), some 40 instructions a field on a proxied request's five to ten.
func AppendField(fs []Field, k string, vv []string) []Field {
	n := len(fs)
	if n == cap(fs) {
		fs = slices.Grow(fs, 1)
	}
	fs = fs[:n+1]
	fs[n].Name, fs[n].Values = k, vv
	return fs
}

// SortFields sorts fs by name, the order net/http writes a header in. A head has a dozen
// fields or so: an insertion sort comparing names in place takes a third of the
// instructions of slices.SortFunc's calls through a comparison function.
func SortFields(fs []Field) {
	if len(fs) > 24 {
		slices.SortFunc(fs, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
		return
	}
	for i := 1; i < len(fs); i++ {
		f := fs[i]
		j := i
		for ; j > 0 && f.Name < fs[j-1].Name; j-- {
			fs[j] = fs[j-1]
		}
		fs[j] = f
	}
}

// FieldForwarder is a ResponseWriter that writes, after its header's own fields, fields a
// proxy passes on from its backend's answer as they are: in the backend's order, names
// canonical, values checked and trimmed (upstream.Fields), without a map's lookups or
// iteration, neither sorted nor checked again. Of the fields that frame the body, one
// Content-Length field may come in the list, which the writer frames the body by unless its
// header map has one; the others (Transfer-Encoding, Connection, Trailer) go in the header
// map, where the writer reads them: it drops them from the list. ForwardFields returns the
// list to append to, or nil when the writer cannot take one: the header went out, or a
// writer it wraps cannot.
type FieldForwarder interface {
	ForwardFields() *[]Field
}

// IDSetter is a ResponseWriter that writes one field of its own after its header map's: a
// request's id, set as the request starts, which the answer carries unless its header map
// names the field itself (a step or a gateway response that sets it wins, once). It spares
// the header map the field, and its pass over the map, its sort and its checks of every
// answer's. SetID reports whether the writer took the field: a writer that wraps another
// takes it when that one does.
type IDSetter interface {
	SetID(name, value string) bool
}

// maxReusedFields bounds the header maps kept for reuse (Reusable), by their fields: a map
// keeps the room it grew to, and clearing it costs as much, paid by every later use.
const maxReusedFields = 32

// Reusable returns h cleared, to be filled again for a later message, or nil when it grew
// past a usual head (maxReusedFields): the connection, response or request state that keeps
// it should then hold little.
func Reusable[M ~map[string][]string](h M) M {
	if len(h) > maxReusedFields {
		return nil
	}
	clear(h)
	return h
}

// ReusableFields returns fs's room, its entries cleared (an idle connection that keeps it
// holds nothing of the message), to be filled again for a later message; nil when it grew
// past a usual head (maxReusedFields).
func ReusableFields(fs []Field) []Field {
	clear(fs)
	if cap(fs) > maxReusedFields {
		return nil
	}
	return fs[:0]
}
