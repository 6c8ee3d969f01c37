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

func (e *evaluator) set(n *setNode) error {
	v, err := e.eval(n.value)
	if err != nil {
		return err
	}
	if v == nil {
		return nil // Velocity 1.7 leaves the reference as it was
	}
	ref := n.target
	if len(ref.parts) == 0 {
		e.vars[ref.slot] = v
		return nil
	}
	container, err := e.walk(ref, len(ref.parts)-1)
	if err != nil || container == nil {
		return err
	}
	last := &ref.parts[len(ref.parts)-1]
	var key any = last.name
	if last.kind == partIndex {
		if key, err = e.eval(last.args[0]); err != nil {
			return err
		}
	}
	// What goes into a real map or list is real: a tape node there would escape the code
	// that knows to read it.
	v = unwrap(v)
	switch c := unwrap(container).(type) {
	case *Map:
		k, ok := key.(string)
		if !ok {
			k, _ = toString(key)
		}
		return e.put(last.off, c, k, v)
	case *contextObj:
		k, _ := toString(key)
		if k == "requestOverride" || k == "responseOverride" {
			return e.errf(last.off, KindRuntime, "$context.%s cannot be replaced, only its entries", k)
		}
		return e.put(last.off, c.base, k, v)
	case *List:
		i, ok := key.(int64)
		if !ok {
			return e.errf(last.off, KindRuntime, "a list index must be an integer")
		}
		if c.readOnly {
			return e.errf(last.off, KindRuntime, "this list is read-only")
		}
		if i < 0 || i >= int64(len(c.Items)) {
			return e.errf(last.off, KindRuntime, "index %d out of bounds for length %d", i, len(c.Items))
		}
		c.Items[i] = v
		return nil
	}
	return e.errf(last.off, KindRuntime, "cannot set %v on %s", key, typeName(container))
}

// put is a template's write into a map: read-only maps refuse it, override maps take
// each name once (API Gateway answers 5XX to a second override of the same parameter).
func (e *evaluator) put(off int, m *Map, k string, v any) error {
	if m.readOnly {
		return e.errf(off, KindRuntime, "cannot change %s: the map is read-only", k)
	}
	if m.once {
		if _, ok := m.Get(k); ok {
			return e.errf(off, KindRuntime, "override %s set twice; API Gateway applies each override once", k)
		}
		switch v.(type) {
		case string, int64, float64, bool:
		default:
			return e.errf(off, KindRuntime, "override %s must be a string or a number", k)
		}
	}
	m.Set(k, v)
	return nil
}

// walk evaluates a reference's first n parts.
func (e *evaluator) walk(ref *refExpr, n int) (any, error) {
	v := e.vars[ref.slot]
	for i := 0; i < n && v != nil; i++ {
		p := &ref.parts[i]
		var err error
		switch p.kind {
		case partProp:
			v = e.prop(v, p)
		case partIndex:
			var k any
			if k, err = e.eval(p.args[0]); err != nil {
				return nil, err
			}
			v, err = e.index(p.off, v, k)
		case partMethod:
			v, err = e.callArgs(p, v)
		}
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (e *evaluator) evalRef(ref *refExpr) (any, error) { return e.walk(ref, len(ref.parts)) }

func (e *evaluator) callArgs(p *refPart, recv any) (any, error) {
	var buf [3]any
	args := buf[:0]
	for _, a := range p.args {
		if l, ok := a.(*litExpr); ok && e.steps+1 <= e.opts.MaxSteps && (e.steps+1)&1023 != 0 {
			// eval of a constant, inline: its step, when that cannot stop the evaluation,
			// and its value.
			e.steps++
			args = append(args, l.val)
			continue
		}
		v, err := e.eval(a)
		if err != nil {
			return nil, err
		}
		// Methods store and compare their arguments as real values.
		args = append(args, unwrap(v))
	}
	return e.call(p.off, recv, p.name, args)
}

// prop is $x.name: a map's entry, or a getter (getName(), isName()) of the objects that
// have them. A missing property is null, as Velocity's.
func (e *evaluator) prop(v any, p *refPart) any {
	if n, ok := v.(*tapeNode); ok {
		return n.propKey(&p.key, &p.hint)
	}
	return propOf(v, p.name)
}

func propOf(v any, name string) any {
	switch x := v.(type) {
	case *tapeNode:
		return x.prop(name)
	case *Map:
		r, _ := x.Get(name)
		return r
	case *contextObj:
		return x.get(name)
	case *inputObj:
		if name == "body" {
			return x.body
		}
	case *foreachScope:
		return x.get(name)
	case *Entry:
		switch name {
		case "key":
			return x.Key
		case "value":
			return x.Value
		}
	case string:
		if name == "empty" {
			return x == ""
		}
	case *List:
		if name == "empty" {
			return len(x.Items) == 0
		}
	}
	return nil
}

func (s *foreachScope) get(name string) any {
	switch name {
	case "index":
		return s.index
	case "count":
		return s.index + 1
	case "hasNext":
		return s.hasNext
	case "first":
		return s.index == 0
	case "last":
		return !s.hasNext
	case "parent":
		return s.parent
	}
	return nil
}

// contextObj is $context: the caller's map with the override maps beside it (the
// evaluator's), so that the caller's map is never written to.
type contextObj struct {
	base *Map
	e    *evaluator
}

func (c *contextObj) get(name string) any {
	switch name {
	case "requestOverride":
		c.e.overrideMaps()
		return c.e.reqOv
	case "responseOverride":
		c.e.overrideMaps()
		return c.e.respOv
	}
	v, _ := c.base.Get(name)
	return v
}

func (e *evaluator) index(off int, v, k any) (any, error) {
	if n, ok := v.(*tapeNode); ok {
		// An element in bounds is read off the tape; anything else answers as the list or
		// map would, errors included.
		if i, isInt := k.(int64); isInt && n.real() == nil && n.entry().kind == entArray && i >= 0 && i < int64(n.entry().n) {
			return n.d.value(n.d.t.elem(n.i, int(i))), nil
		}
		v = n.resolve()
	}
	switch x := v.(type) {
	case *List:
		i, ok := k.(int64)
		if !ok {
			return nil, e.errf(off, KindRuntime, "a list index must be an integer, not %s", typeName(k))
		}
		if i < 0 || i >= int64(len(x.Items)) {
			return nil, e.errf(off, KindRuntime, "index %d out of bounds for length %d", i, len(x.Items))
		}
		return x.Items[i], nil
	case *Map:
		s, _ := toString(k)
		r, _ := x.Get(s)
		return r, nil
	case *contextObj:
		s, _ := toString(k)
		return x.get(s), nil
	}
	return nil, e.errf(off, KindRuntime, "%s cannot be indexed", typeName(v))
}

func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a number"
	case BigInt:
		return "an integer"
	case bool:
		return "a boolean"
	case *List:
		return "a list"
	case *Map, *contextObj:
		return "a map"
	case *tapeNode:
		if x.entry().kind == entArray {
			return "a list"
		}
		return "a map"
	case *Entry:
		return "a map entry"
	case *inputObj:
		return "$input"
	case utilObj:
		return "$util"
	case *foreachScope:
		return "$foreach"
	}
	return "a value"
}
