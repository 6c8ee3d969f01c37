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
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unsafe"
)

// Options bound and tune an evaluation; the zero value means the defaults.
type Options struct {
	// MaxOutput caps the rendered text and any string a template builds, in bytes
	// (default 10 MiB).
	MaxOutput int
	// MaxIterations caps each #foreach (default 1,000, API Gateway's limit).
	MaxIterations int
	// MaxSteps caps the evaluation's work: one step per node, expression and range element
	// (default 1,000,000, far above any real template, well under a second).
	MaxSteps int
	// LiteralNulls prints a reference that resolves to nothing as its source text, as
	// stock Velocity does ($missing prints "$missing"). API Gateway prints nothing, the
	// default.
	LiteralNulls bool
}

const (
	defaultMaxOutput     = 10 << 20
	defaultMaxIterations = 1000
	defaultMaxSteps      = 1_000_000
)

// Env is what one evaluation sees: the request (or the integration's response) as $input,
// and the caller's $context and $stageVariables. Maps the caller shares between
// evaluations should be frozen (Map.Freeze) so that a template cannot change them.
type Env struct {
	// Body is the payload: $input.body, and the JSON that $input.json and $input.path read.
	Body string
	// JSON, when set, returns Body already read as JSON (values as ParseJSON makes them,
	// or a *Tape from ParseTape), so that a caller that parsed the body for another purpose
	// (request validation) does not pay for it twice. It is called at most once per evaluation, and only when the
	// template reads the body as JSON; the template may change what it returns.
	JSON func() (any, error)
	// Path, QueryString and Header are the request's parameters, for $input.params().
	Path, QueryString, Header *Map
	// Params, when set, builds Path, QueryString and Header on the template's first use of
	// $input.params, for a caller whose templates seldom read them all (it is not called
	// for a template that never does).
	Params func() (path, querystring, header *Map)
	// Param, when set with Params, answers $input.params(name) (the value, and whether
	// there is one) as the three maps would, without building them.
	Param func(name string) (string, bool)
	// Context is $context. The evaluation adds requestOverride and responseOverride.
	Context *Map
	// StageVariables is $stageVariables.
	StageVariables *Map
}

// Result is a rendered template and the overrides it set through
// $context.requestOverride and $context.responseOverride.
type Result struct {
	Output string
	// RequestOverride holds what the template set under $context.requestOverride.
	RequestOverride RequestOverride
	// ResponseOverride holds what the template set under $context.responseOverride.
	ResponseOverride ResponseOverride
	// output is Output's memory, for OutputBytes.
	output []byte
}

// OutputBytes is Output as bytes, without a copy: the slice shares Output's memory, so it
// must not be modified.
func (r *Result) OutputBytes() []byte {
	if r.output == nil && r.Output != "" { // a Result built by the caller
		return []byte(r.Output)
	}
	return r.output
}

// RequestOverride is $context.requestOverride: header, querystring and path values that
// replace the integration request's. Nil maps when the template set none.
type RequestOverride struct {
	Header, QueryString, Path map[string]string
}

// ResponseOverride is $context.responseOverride: Status is 0 unless the template set it.
type ResponseOverride struct {
	Status int
	Header map[string]string
}

type ctl uint8

const (
	ctlNone ctl = iota
	ctlBreak
	ctlStop
)

type evaluator struct {
	t         *Template
	ctx       context.Context
	opts      Options
	vars      []any
	out       []byte
	scratch   []byte // interpolated strings render here
	steps     int
	input     *inputObj
	reqOv     *Map
	respOv    *Map
	overrides [4]*Map  // request header, querystring, path; response header
	strs      []string // boxStr's slots
	arena     []byte   // arenaString's chunk
	// lastPattern and lastRe are the last regular expression regex returned.
	lastPattern string
	lastRe      *regexp.Regexp
	// $input, $context, the variables of most templates and the view of the body's tape,
	// allocated with the evaluator rather than each on its own.
	inputVal   inputObj
	contextVal contextObj
	varsBuf    [smallVars]any
	docVal     tapeDoc
}

// smallVars is the variables most templates have: the fixed ones and a few of their own.
const smallVars = numFixedSlots + 9

// Eval renders the template. ctx bounds its time; opts may be nil. The returned error is
// an *Error with the template position of the failure.
func (t *Template) Eval(ctx context.Context, env *Env, opts *Options) (*Result, error) {
	if env == nil {
		env = &Env{}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	e := &evaluator{t: t, ctx: ctx}
	if opts != nil {
		e.opts = *opts
	}
	if e.opts.MaxOutput <= 0 {
		e.opts.MaxOutput = defaultMaxOutput
	}
	if e.opts.MaxIterations <= 0 {
		e.opts.MaxIterations = defaultMaxIterations
	}
	if e.opts.MaxSteps <= 0 {
		e.opts.MaxSteps = defaultMaxSteps
	}
	if len(t.names) <= len(e.varsBuf) {
		e.vars = e.varsBuf[:len(t.names)]
	} else {
		e.vars = make([]any, len(t.names))
	}
	e.inputVal = inputObj{t: t, body: env.Body, parse: env.JSON, lazyParams: env.Params, lazyParam: env.Param}
	e.input = &e.inputVal
	if env.Params == nil {
		e.input.path, e.input.query, e.input.header = orEmpty(env.Path), orEmpty(env.QueryString), orEmpty(env.Header)
	}
	e.contextVal = contextObj{base: orEmpty(env.Context), e: e}
	e.vars[slotInput] = e.input
	e.vars[slotUtil] = utilObj{}
	e.vars[slotContext] = &e.contextVal
	e.vars[slotStageVariables] = orEmpty(env.StageVariables)
	// The output is built in a pooled buffer and copied once into the result's string: a
	// buffer grown to the template's usual output size is reused by the next evaluation.
	buf := outPool.Get().(*[]byte)
	e.out = (*buf)[:0]
	e.clip()
	defer func() {
		if cap(e.out) <= maxPooledOutput {
			*buf = e.out[:0]
			outPool.Put(buf)
		}
	}()
	if _, err := e.nodes(t.nodes); err != nil {
		return nil, err
	}
	// One copy out of the pooled buffer, shared by Output and OutputBytes.
	res := &Result{}
	if len(e.out) > 0 {
		res.output = make([]byte, len(e.out))
		copy(res.output, e.out) // make+copy: the compiler skips zeroing the new slice
		res.Output = unsafe.String(unsafe.SliceData(res.output), len(res.output))
	}
	if err := e.collect(res); err != nil {
		return nil, err
	}
	return res, nil
}

// outPool holds output buffers between evaluations; maxPooledOutput keeps a rare huge
// output from being held.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledOutput = 256 << 10

func orEmpty(m *Map) *Map {
	if m == nil {
		return &Map{readOnly: true}
	}
	return m
}

// overrideMaps makes $context.requestOverride and responseOverride, on a template's first
// use of either: most templates use neither, and the six maps are a good part of what a
// small template allocates.
func (e *evaluator) overrideMaps() {
	if e.reqOv != nil {
		return
	}
	for i := range e.overrides {
		e.overrides[i] = &Map{once: true}
	}
	e.reqOv = &Map{once: true, keys: []string{"header", "querystring", "path"}, vals: []any{e.overrides[0], e.overrides[1], e.overrides[2]}}
	e.respOv = &Map{once: true, keys: []string{"header"}, vals: []any{e.overrides[3]}}
}

// collect reads the override maps back as strings.
func (e *evaluator) collect(res *Result) error {
	if e.reqOv == nil {
		return nil // the template never used them
	}
	strs := func(m *Map) (map[string]string, error) {
		if m.Len() == 0 {
			return nil, nil
		}
		out := make(map[string]string, m.Len())
		for i, k := range m.keys {
			s, ok := toString(m.vals[i])
			if !ok {
				return nil, e.errf(0, KindRuntime, "override %s is nested too deeply", k)
			}
			out[k] = s
		}
		return out, nil
	}
	var err error
	if res.RequestOverride.Header, err = strs(e.overrides[0]); err != nil {
		return err
	}
	if res.RequestOverride.QueryString, err = strs(e.overrides[1]); err != nil {
		return err
	}
	if res.RequestOverride.Path, err = strs(e.overrides[2]); err != nil {
		return err
	}
	if res.ResponseOverride.Header, err = strs(e.overrides[3]); err != nil {
		return err
	}
	if v, ok := e.respOv.Get("status"); ok {
		switch s := v.(type) {
		case int64:
			res.ResponseOverride.Status = int(s)
		case float64:
			res.ResponseOverride.Status = int(s)
		case string:
			n, ok := atoi(strings.TrimSpace(s))
			if !ok {
				return e.errf(0, KindRuntime, "$context.responseOverride.status is %q, not a status code", s)
			}
			res.ResponseOverride.Status = n
		default:
			return e.errf(0, KindRuntime, "$context.responseOverride.status is not a status code")
		}
		if st := res.ResponseOverride.Status; st < 100 || st > 599 {
			return e.errf(0, KindRuntime, "$context.responseOverride.status %d is not a status code", st)
		}
	}
	return nil
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func (e *evaluator) errf(off int, kind Kind, format string, args ...any) *Error {
	line, col := lineCol(e.t.src, off)
	return &Error{Kind: kind, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// step counts work and checks the deadline every so often.
func (e *evaluator) step(off int) error {
	e.steps++
	if e.steps > e.opts.MaxSteps {
		return e.errf(off, KindLimit, "the template took more than %d steps", e.opts.MaxSteps)
	}
	if e.steps&1023 == 0 {
		if err := e.ctx.Err(); err != nil {
			return e.errf(off, KindLimit, "the template ran out of time: %v", err)
		}
	}
	return nil
}

// tick counts a step when it cannot stop the evaluation (under the cap, not one at which
// the deadline is checked), step's usual case, small enough to be inlined; it reports
// false, having counted nothing, when step must take it.
func (e *evaluator) tick() bool {
	if s := e.steps + 1; s <= e.opts.MaxSteps && s&1023 != 0 {
		e.steps = s
		return true
	}
	return false
}

// charge counts work proportional to data: n elements copied or compared, or n bytes
// built (at one step per 64), so that loops over large values stay within MaxSteps.
func (e *evaluator) charge(off int, n int) error {
	e.steps += n
	if e.steps > e.opts.MaxSteps || e.steps < 0 {
		return e.errf(off, KindLimit, "the template took more than %d steps", e.opts.MaxSteps)
	}
	return nil
}

func (e *evaluator) nodes(ns []node) (ctl, error) {
	for _, n := range ns {
		// step, inline: the node's offset (a dynamic call) only when the step may fail.
		if e.steps+1 > e.opts.MaxSteps || (e.steps+1)&1023 == 0 {
			if err := e.step(n.offset()); err != nil {
				return ctlNone, err
			}
		} else {
			e.steps++
		}
		switch n := n.(type) {
		case *textNode:
			if !e.fits(n.text) {
				if err := e.writeGrow(n.off, n.text); err != nil {
					return ctlNone, err
				}
			}
		case *runNode:
			if err := e.run(n); err != nil {
				return ctlNone, err
			}
		case *refNode:
			if n.ref.props {
				if done, err := e.refTape(n); done {
					if err != nil {
						return ctlNone, err
					}
					continue
				}
			}
			if err := e.ref(n); err != nil {
				return ctlNone, err
			}
		case *escRefNode:
			if err := e.escRef(n); err != nil {
				return ctlNone, err
			}
		case *setNode:
			if err := e.set(n); err != nil {
				return ctlNone, err
			}
		case *ifNode:
			c, err := e.ifNode(n)
			if c != ctlNone || err != nil {
				return c, err
			}
		case *foreachNode:
			c, err := e.foreach(n)
			if c != ctlNone || err != nil {
				return c, err
			}
		case *breakNode:
			return ctlBreak, nil
		case *stopNode:
			return ctlStop, nil
		}
	}
	return ctlNone, nil
}

func (e *evaluator) ref(n *refNode) error {
	var v any
	var err error
	if r := n.ref; len(r.parts) > 0 && r.parts[len(r.parts)-1].kind == partProp {
		// $x.name printed: when $x is an object of the body, the scalar is copied off the
		// tape into the output, never boxed (walk would then take this same last step).
		last := &r.parts[len(r.parts)-1]
		var c any
		if c, err = e.walk(r, len(r.parts)-1); err != nil {
			return err
		}
		if tn, ok := c.(*tapeNode); ok && tn.real() == nil && tn.entry().kind == entObject {
			if k := tn.d.t.fieldKey(tn.i, &last.key, &last.hint); k >= 0 {
				if done, err := e.writeEntry(n.off, tn.d.t, k); done {
					return err
				}
				v = tn.d.value(k)
			}
		} else if c != nil {
			v = e.prop(c, last)
		}
	} else if v, err = e.evalRef(n.ref); err != nil {
		return err
	}
	if v == nil {
		if n.quiet || !e.opts.LiteralNulls {
			return nil
		}
		return e.write(n.off, n.raw)
	}
	return e.writeVal(n.off, v)
}

func (e *evaluator) escRef(n *escRefNode) error {
	v, err := e.evalRef(n.ref.ref)
	if err != nil {
		return err
	}
	if v == nil {
		// An undefined reference keeps its backslashes: "\$x" prints "\$x".
		return e.write(n.off, strings.Repeat("\\", n.backslashes)+n.ref.raw)
	}
	if err := e.write(n.off, strings.Repeat("\\", n.backslashes/2)); err != nil {
		return err
	}
	if n.backslashes%2 == 1 {
		return e.write(n.off, n.ref.raw)
	}
	return e.writeVal(n.off, v)
}

func (e *evaluator) ifNode(n *ifNode) (ctl, error) {
	for i, c := range n.conds {
		t, err := e.cond(c)
		if err != nil {
			return ctlNone, err
		}
		if t {
			return e.nodes(n.blocks[i])
		}
	}
	if n.els != nil {
		return e.nodes(n.els)
	}
	return ctlNone, nil
}

// cond is whether condition c holds. #if($foreach.hasNext) (or first, last), in most loops,
// is answered from the scope, with the step eval would take; the rest through eval.
func (e *evaluator) cond(c expr) (bool, error) {
	if r, ok := c.(*refExpr); ok && r.props && len(r.parts) == 1 && r.parts[0].scope != scopeNone {
		if s, ok := e.vars[r.slot].(*foreachScope); ok {
			if e.steps+1 > e.opts.MaxSteps || (e.steps+1)&1023 == 0 {
				if err := e.step(r.off); err != nil {
					return false, err
				}
			} else {
				e.steps++
			}
			switch r.parts[0].scope {
			case scopeHasNext:
				return s.hasNext, nil
			case scopeFirst:
				return s.index == 0, nil
			default:
				return !s.hasNext, nil
			}
		}
	}
	v, err := e.eval(c)
	return truthy(v), err
}
