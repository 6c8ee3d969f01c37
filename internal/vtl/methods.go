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
	"strconv"
	"strings"
)

// call invokes a method on a value. Velocity resolves methods by Java reflection; here
// each receiver type has its table of the methods mapping templates use, and an unknown
// method is a runtime error naming it.
func (e *evaluator) call(off int, recv any, name string, args []any) (any, error) {
	switch r := recv.(type) {
	case *tapeNode:
		if v, ok := r.method(name, args); ok {
			return v, nil
		}
		return e.call(off, r.resolve(), name, args)
	case string:
		return e.stringMethod(off, r, name, args)
	case *List:
		return e.listMethod(off, r, name, args)
	case *Map:
		return e.mapMethod(off, r, name, args)
	case *contextObj:
		switch name {
		case "get":
			if len(args) == 1 {
				k, _ := toString(args[0])
				return r.get(k), nil
			}
		case "put", "remove", "putAll", "clear":
			return nil, e.errf(off, KindRuntime, "$context.%s cannot change $context; set an entry of requestOverride or responseOverride", name)
		}
		return e.mapMethod(off, r.base, name, args)
	case int64, float64, BigInt:
		return e.numberMethod(off, recv, name, args)
	case bool:
		switch name {
		case "toString":
			if len(args) == 0 {
				return strconv.FormatBool(r), nil
			}
		case "booleanValue":
			if len(args) == 0 {
				return r, nil
			}
		case "equals":
			if len(args) == 1 {
				return valuesEqual(r, args[0], 0), nil
			}
		}
	case *inputObj:
		return e.inputMethod(off, r, name, args)
	case utilObj:
		return e.utilMethod(off, name, args)
	case *foreachScope:
		if len(args) == 0 {
			prop := name
			if strings.HasPrefix(name, "get") && len(name) > 3 {
				prop = strings.ToLower(name[3:4]) + name[4:]
			} else if strings.HasPrefix(name, "is") && len(name) > 2 {
				prop = strings.ToLower(name[2:3]) + name[3:]
			}
			if v := r.get(prop); v != nil {
				return v, nil
			}
		}
	case *Entry:
		switch name {
		case "getKey":
			return r.Key, nil
		case "getValue":
			return r.Value, nil
		case "toString":
			return toStringOrErr(e, off, r)
		}
	}
	return nil, e.errf(off, KindRuntime, "%s has no method %s with %d argument(s)", typeName(recv), name, len(args))
}

func toStringOrErr(e *evaluator, off int, v any) (any, error) {
	s, ok := toString(v)
	if !ok {
		return nil, e.errf(off, KindRuntime, "value is nested more than %d levels deep", maxValueDepth)
	}
	if len(s) > e.opts.MaxOutput {
		return nil, e.errf(off, KindLimit, "string longer than %d bytes", e.opts.MaxOutput)
	}
	return s, e.charge(off, len(s)/64)
}

func (e *evaluator) strArg(off int, name string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", e.errf(off, KindRuntime, "%s: argument is null", name)
	}
	s, ok := toString(v)
	if !ok {
		return "", e.errf(off, KindRuntime, "%s: argument is nested too deeply", name)
	}
	return s, nil
}

// strArgOf is strArg for the method named prefix+name, the two put together only for an
// error: the usual call makes no string.
func (e *evaluator) strArgOf(off int, prefix, name string, v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return e.strArg(off, prefix+name, v)
}

func (e *evaluator) intArg(off int, name string, v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		if x == float64(int64(x)) {
			return int64(x), nil
		}
	}
	return 0, e.errf(off, KindRuntime, "%s: argument must be an integer, not %s", name, typeName(v))
}

func (e *evaluator) numberMethod(off int, n any, name string, args []any) (any, error) {
	switch name {
	case "toString":
		if len(args) == 0 {
			s, _ := toString(n)
			return s, nil
		}
	case "intValue", "longValue":
		if len(args) == 0 {
			if f, ok := n.(float64); ok {
				return int64(f), nil
			}
			return n, nil
		}
	case "doubleValue", "floatValue":
		if len(args) == 0 {
			return toFloat(n), nil
		}
	case "equals":
		if len(args) == 1 {
			// Java's Integer.equals(Double) is false: same kind and value only.
			_, aInt := n.(int64)
			_, bInt := args[0].(int64)
			return isNumber(args[0]) && aInt == bInt && valuesEqual(n, args[0], 0), nil
		}
	case "compareTo":
		if len(args) == 1 {
			c, ok := compare(n, args[0])
			if !ok {
				return nil, e.errf(off, KindRuntime, "compareTo needs a number")
			}
			return int64(c), nil
		}
	}
	return nil, e.errf(off, KindRuntime, "%s has no method %s with %d argument(s)", typeName(n), name, len(args))
}

func (e *evaluator) listMethod(off int, l *List, name string, args []any) (any, error) {
	mutate := func() error {
		if l.readOnly {
			return e.errf(off, KindRuntime, "%s: the list is read-only", name)
		}
		return nil
	}
	switch name {
	case "size":
		if len(args) == 0 {
			return int64(len(l.Items)), nil
		}
	case "isEmpty":
		if len(args) == 0 {
			return len(l.Items) == 0, nil
		}
	case "get":
		if len(args) == 1 {
			i, err := e.intArg(off, name, args[0])
			if err != nil {
				return nil, err
			}
			return e.index(off, l, i)
		}
	case "contains":
		if len(args) == 1 {
			return listIndex(l, args[0]) >= 0, e.charge(off, len(l.Items))
		}
	case "indexOf":
		if len(args) == 1 {
			return int64(listIndex(l, args[0])), e.charge(off, len(l.Items))
		}
	case "add":
		if err := mutate(); err != nil {
			return nil, err
		}
		switch len(args) {
		case 1:
			l.Items = append(l.Items, args[0])
			return true, nil
		case 2:
			i, err := e.intArg(off, name, args[0])
			if err != nil {
				return nil, err
			}
			if i < 0 || i > int64(len(l.Items)) {
				return nil, e.errf(off, KindRuntime, "index %d out of bounds for length %d", i, len(l.Items))
			}
			l.Items = append(l.Items, nil)
			copy(l.Items[i+1:], l.Items[i:])
			l.Items[i] = args[1]
			return nil, nil
		}
	case "addAll":
		if len(args) == 1 {
			if err := mutate(); err != nil {
				return nil, err
			}
			o, ok := args[0].(*List)
			if !ok {
				return nil, e.errf(off, KindRuntime, "addAll needs a list")
			}
			if err := e.charge(off, len(o.Items)); err != nil {
				return nil, err
			}
			l.Items = append(l.Items, o.Items...)
			return true, nil
		}
	case "set":
		if len(args) == 2 {
			if err := mutate(); err != nil {
				return nil, err
			}
			i, err := e.intArg(off, name, args[0])
			if err != nil {
				return nil, err
			}
			old, err := e.index(off, l, i)
			if err != nil {
				return nil, err
			}
			l.Items[i] = args[1]
			return old, nil
		}
	case "remove":
		if len(args) == 1 {
			if err := mutate(); err != nil {
				return nil, err
			}
			i, isIndex := args[0].(int64)
			if !isIndex {
				j := listIndex(l, args[0])
				if j < 0 {
					return false, nil
				}
				l.Items = append(l.Items[:j], l.Items[j+1:]...)
				return true, nil
			}
			old, err := e.index(off, l, i)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items[:i], l.Items[i+1:]...)
			return old, nil
		}
	case "clear":
		if len(args) == 0 {
			if err := mutate(); err != nil {
				return nil, err
			}
			l.Items = l.Items[:0]
			return nil, nil
		}
	case "subList":
		if len(args) == 2 {
			a, err := e.intArg(off, name, args[0])
			if err != nil {
				return nil, err
			}
			b, err := e.intArg(off, name, args[1])
			if err != nil {
				return nil, err
			}
			if a < 0 || b > int64(len(l.Items)) || a > b {
				return nil, e.errf(off, KindRuntime, "subList(%d, %d) out of bounds for length %d", a, b, len(l.Items))
			}
			return &List{Items: append([]any(nil), l.Items[a:b]...)}, e.charge(off, int(b-a))
		}
	case "toString":
		if len(args) == 0 {
			return toStringOrErr(e, off, l)
		}
	case "equals":
		if len(args) == 1 {
			return valuesEqual(l, args[0], 0), e.charge(off, len(l.Items))
		}
	}
	return nil, e.errf(off, KindRuntime, "a list has no method %s with %d argument(s)", name, len(args))
}

func listIndex(l *List, v any) int {
	for i, it := range l.Items {
		if valuesEqual(it, v, 0) {
			return i
		}
	}
	return -1
}

func (e *evaluator) mapMethod(off int, m *Map, name string, args []any) (any, error) {
	key := func() (string, error) { return e.strArg(off, name, args[0]) }
	switch name {
	case "size":
		if len(args) == 0 {
			return int64(m.Len()), nil
		}
	case "isEmpty":
		if len(args) == 0 {
			return m.Len() == 0, nil
		}
	case "get", "containsKey":
		if len(args) == 1 {
			if args[0] == nil {
				return nil, nil
			}
			k, err := key()
			if err != nil {
				return nil, err
			}
			v, ok := m.Get(k)
			if name == "containsKey" {
				return ok, nil
			}
			return v, nil
		}
	case "getOrDefault":
		if len(args) == 2 {
			k, err := key()
			if err != nil {
				return nil, err
			}
			if v, ok := m.Get(k); ok {
				return v, nil
			}
			return args[1], nil
		}
	case "containsValue":
		if len(args) == 1 {
			if err := e.charge(off, m.Len()); err != nil {
				return nil, err
			}
			for _, v := range m.vals {
				if valuesEqual(v, args[0], 0) {
					return true, nil
				}
			}
			return false, nil
		}
	case "keySet", "values", "entrySet":
		if err := e.charge(off, m.Len()); err != nil {
			return nil, err
		}
	}
	switch name {
	case "keySet":
		if len(args) == 0 {
			l := &List{Items: make([]any, len(m.keys))}
			for i, k := range m.keys {
				l.Items[i] = k
			}
			return l, nil
		}
	case "values":
		if len(args) == 0 {
			return &List{Items: append([]any(nil), m.vals...)}, nil
		}
	case "entrySet":
		if len(args) == 0 {
			l := &List{Items: make([]any, len(m.keys))}
			for i, k := range m.keys {
				l.Items[i] = &Entry{Key: k, Value: m.vals[i]}
			}
			return l, nil
		}
	case "put":
		if len(args) == 2 {
			k, err := key()
			if err != nil {
				return nil, err
			}
			old, _ := m.Get(k)
			return old, e.put(off, m, k, args[1])
		}
	case "putAll":
		if len(args) == 1 {
			o, ok := args[0].(*Map)
			if !ok {
				return nil, e.errf(off, KindRuntime, "putAll needs a map")
			}
			if err := e.charge(off, o.Len()); err != nil {
				return nil, err
			}
			for i, k := range o.keys {
				if err := e.put(off, m, k, o.vals[i]); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}
	case "remove":
		if len(args) == 1 {
			if m.readOnly || m.once {
				return nil, e.errf(off, KindRuntime, "remove: the map is read-only")
			}
			k, err := key()
			if err != nil {
				return nil, err
			}
			return m.remove(k), nil
		}
	case "clear":
		if len(args) == 0 {
			if m.readOnly || m.once {
				return nil, e.errf(off, KindRuntime, "clear: the map is read-only")
			}
			m.keys, m.vals, m.idx = nil, nil, nil
			return nil, nil
		}
	case "toString":
		if len(args) == 0 {
			return toStringOrErr(e, off, m)
		}
	case "equals":
		if len(args) == 1 {
			return valuesEqual(m, args[0], 0), e.charge(off, m.Len())
		}
	}
	return nil, e.errf(off, KindRuntime, "a map has no method %s with %d argument(s)", name, len(args))
}
