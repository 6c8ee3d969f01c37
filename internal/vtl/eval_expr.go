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
	"math"
	"strings"
)

func (e *evaluator) eval(x expr) (any, error) {
	// step, inline: the expression's offset (a dynamic call) only when the step may fail.
	if e.steps+1 > e.opts.MaxSteps || (e.steps+1)&1023 == 0 {
		if err := e.step(x.offset()); err != nil {
			return nil, err
		}
	} else {
		e.steps++
	}
	switch x := x.(type) {
	case *litExpr:
		return x.val, nil
	case *refExpr:
		return e.evalRef(x)
	case *strExpr:
		return e.interpolate(x)
	case *binExpr:
		return e.binary(x)
	case *unaryExpr:
		v, err := e.eval(x.x)
		if err != nil {
			return nil, err
		}
		if !x.neg {
			return !truthy(v), nil
		}
		switch n := v.(type) {
		case nil:
			return nil, nil
		case int64:
			if n == math.MinInt64 {
				return nil, e.errf(x.off, KindRuntime, "integer overflow")
			}
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, e.errf(x.off, KindRuntime, "cannot negate %s", typeName(v))
	case *listExpr:
		l := &List{Items: make([]any, 0, len(x.items))}
		for _, it := range x.items {
			v, err := e.eval(it)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, unwrap(v))
		}
		return l, nil
	case *mapExpr:
		m := &Map{}
		for i, k := range x.keys {
			kv, err := e.eval(k)
			if err != nil {
				return nil, err
			}
			vv, err := e.eval(x.vals[i])
			if err != nil {
				return nil, err
			}
			ks, ok := toString(kv)
			if !ok {
				return nil, e.errf(k.offset(), KindRuntime, "map key is nested too deeply")
			}
			m.Set(ks, unwrap(vv))
		}
		return m, nil
	case *rangeExpr:
		return e.rangeList(x)
	}
	return nil, e.errf(x.offset(), KindRuntime, "unknown expression")
}

// interpolate renders a double-quoted string's contents.
func (e *evaluator) interpolate(x *strExpr) (any, error) {
	saved := e.out
	// The scratch buffer is lent out while in use: a string nested in this one takes a
	// fresh buffer rather than writing over this one.
	e.out, e.scratch = e.scratch[:0], nil
	_, err := e.nodes(x.nodes)
	s := string(e.out)
	if cap(e.out) <= 64<<10 {
		e.scratch = e.out[:0]
	}
	e.out = saved
	if err != nil {
		return nil, err
	}
	return s, e.charge(x.off, len(s)/64)
}

func (e *evaluator) rangeList(x *rangeExpr) (any, error) {
	fv, err := e.eval(x.from)
	if err != nil {
		return nil, err
	}
	tv, err := e.eval(x.to)
	if err != nil {
		return nil, err
	}
	from, ok1 := fv.(int64)
	to, ok2 := tv.(int64)
	if !ok1 || !ok2 {
		if fv == nil || tv == nil {
			return nil, nil
		}
		return nil, e.errf(x.off, KindRuntime, "a range needs integer bounds")
	}
	n := to - from
	if n < 0 {
		n = -n
	}
	if n < 0 || n > int64(e.opts.MaxSteps) {
		return nil, e.errf(x.off, KindLimit, "the range [%d..%d] has more than %d elements", from, to, e.opts.MaxSteps)
	}
	if err := e.charge(x.off, int(n)); err != nil {
		return nil, err
	}
	l := &List{Items: make([]any, 0, n+1)}
	step := int64(1)
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		l.Items = append(l.Items, i)
		if i == to {
			break
		}
	}
	return l, nil
}

func (e *evaluator) binary(x *binExpr) (any, error) {
	l, err := e.eval(x.l)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case opOr:
		if truthy(l) {
			return true, nil
		}
		r, err := e.eval(x.r)
		return truthy(r), err
	case opAnd:
		if !truthy(l) {
			return false, nil
		}
		r, err := e.eval(x.r)
		return truthy(r), err
	}
	r, err := e.eval(x.r)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case opEq:
		return valuesEqual(l, r, 0), nil
	case opNe:
		return !valuesEqual(l, r, 0), nil
	case opLt, opGt, opLe, opGe:
		c, ok := compare(l, r)
		if !ok {
			return false, nil // Velocity logs and answers false
		}
		switch x.op {
		case opLt:
			return c < 0, nil
		case opGt:
			return c > 0, nil
		case opLe:
			return c <= 0, nil
		default:
			return c >= 0, nil
		}
	}
	if l == nil || r == nil {
		return nil, nil // Velocity: arithmetic on null is null
	}
	if x.op == opAdd {
		ls, lstr := l.(string)
		rs, rstr := r.(string)
		if lstr || rstr {
			if !lstr {
				ls, _ = toString(l)
			}
			if !rstr {
				rs, _ = toString(r)
			}
			if len(ls)+len(rs) > e.opts.MaxOutput {
				return nil, e.errf(x.off, KindLimit, "string longer than %d bytes", e.opts.MaxOutput)
			}
			return ls + rs, e.charge(x.off, (len(ls)+len(rs))/64)
		}
	}
	if !isNumber(l) || !isNumber(r) {
		return nil, e.errf(x.off, KindRuntime, "%s needs numbers, not %s and %s", opName(x.op), typeName(l), typeName(r))
	}
	li, lint := l.(int64)
	ri, rint := r.(int64)
	if lint && rint {
		return e.intOp(x, li, ri)
	}
	lf, rf := toFloat(l), toFloat(r)
	switch x.op {
	case opAdd:
		return lf + rf, nil
	case opSub:
		return lf - rf, nil
	case opMul:
		return lf * rf, nil
	case opDiv:
		if rf == 0 {
			return nil, nil // Velocity 1.7: null (a #set of it keeps the old value), logged there
		}
		return lf / rf, nil
	default:
		if rf == 0 {
			return nil, nil
		}
		return math.Mod(lf, rf), nil
	}
}

// intOp is Java's long arithmetic (integer division truncates toward zero), with overflow
// an error rather than a wrap.
func (e *evaluator) intOp(x *binExpr, a, b int64) (any, error) {
	switch x.op {
	case opAdd:
		s := a + b
		if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
			return nil, e.errf(x.off, KindRuntime, "integer overflow")
		}
		return s, nil
	case opSub:
		s := a - b
		if (a >= 0) != (b >= 0) && (s >= 0) != (a >= 0) {
			return nil, e.errf(x.off, KindRuntime, "integer overflow")
		}
		return s, nil
	case opMul:
		p := a * b
		if a != 0 && (p/a != b || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64)) {
			return nil, e.errf(x.off, KindRuntime, "integer overflow")
		}
		return p, nil
	case opDiv, opMod:
		if b == 0 {
			// Velocity 1.7's answer, which AWS's templates get: null, not an error.
			return nil, nil
		}
		if a == math.MinInt64 && b == -1 {
			if x.op == opMod {
				return int64(0), nil
			}
			return nil, e.errf(x.off, KindRuntime, "integer overflow")
		}
		if x.op == opDiv {
			return a / b, nil
		}
		return a % b, nil
	}
	return nil, e.errf(x.off, KindRuntime, "unknown operator")
}

func opName(op binOp) string {
	switch op {
	case opAdd:
		return "+"
	case opSub:
		return "-"
	case opMul:
		return "*"
	case opDiv:
		return "/"
	case opMod:
		return "%"
	}
	return "?"
}

// compare orders numbers by value and strings by their characters; anything else does
// not compare.
func compare(l, r any) (int, bool) {
	if isNumber(l) && isNumber(r) {
		li, lint := l.(int64)
		ri, rint := r.(int64)
		if lint && rint {
			switch {
			case li < ri:
				return -1, true
			case li > ri:
				return 1, true
			}
			return 0, true
		}
		lf, rf := toFloat(l), toFloat(r)
		switch {
		case lf < rf:
			return -1, true
		case lf > rf:
			return 1, true
		case lf == rf:
			return 0, true
		}
		return 0, false
	}
	ls, ok1 := l.(string)
	rs, ok2 := r.(string)
	if ok1 && ok2 {
		return strings.Compare(ls, rs), true
	}
	return 0, false
}
