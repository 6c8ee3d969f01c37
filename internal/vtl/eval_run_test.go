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
	"errors"
	"fmt"
	"strings"
	"testing"
)

// unfuse puts the nodes of every run back in its place, as the parser made them before
// runs: the tree the evaluator walked node by node.
func unfuse(ns []node) []node {
	var out []node
	for _, n := range ns {
		switch n := n.(type) {
		case *runNode:
			out = append(out, n.nodes...)
			continue
		case *refNode:
			unfuseExpr(n.ref)
		case *escRefNode:
			unfuseExpr(n.ref.ref)
		case *setNode:
			unfuseExpr(n.target)
			unfuseExpr(n.value)
		case *ifNode:
			for i := range n.conds {
				unfuseExpr(n.conds[i])
				n.blocks[i] = unfuse(n.blocks[i])
			}
			if n.els != nil {
				n.els = unfuse(n.els)
			}
		case *foreachNode:
			unfuseExpr(n.iter)
			n.body, n.flat = unfuse(n.body), nil
		}
		out = append(out, n)
	}
	return out
}

func unfuseExpr(x expr) {
	switch x := x.(type) {
	case *refExpr:
		for i := range x.parts {
			for _, a := range x.parts[i].args {
				unfuseExpr(a)
			}
		}
	case *strExpr:
		x.nodes = unfuse(x.nodes)
	case *listExpr:
		for _, it := range x.items {
			unfuseExpr(it)
		}
	case *mapExpr:
		for i := range x.keys {
			unfuseExpr(x.keys[i])
			unfuseExpr(x.vals[i])
		}
	case *rangeExpr:
		unfuseExpr(x.from)
		unfuseExpr(x.to)
	case *binExpr:
		unfuseExpr(x.l)
		unfuseExpr(x.r)
	case *unaryExpr:
		unfuseExpr(x.x)
	}
}

var runTemplates = []string{
	// A loop loopItems prints (the items of manyItems but a few).
	"#foreach($i in $input.path('$.items'))\n  {\"sku\": \"$i.sku\", \"qty\": $i.qty, \"p\": $i.price}#if($foreach.hasNext),#end\n#end",
	"#foreach($i in $input.path('$.items'))\n  {\"sku\": \"$i.sku\", \"qty\": $i.qty, \"p\": $i.price, \"m\": \"$!i.missing$i.missing\"}#if($foreach.hasNext),#end\n#end",
	`#set($o = $input.path('$'))a$o.id b$o.items c$o.name.x d$input.json('$.id') e$util.escapeJavaScript($o.id) f$o.items[0].sku g${o.id}h$!{o.nope}i`,
	`#set($s = "x$input.path('$.id')y$input.path('$.id')z")$s|$s|#foreach($i in [1..5])$i-$foreach.index-$velocityCount#end`,
	`#foreach($i in $input.path('$.items'))#foreach($j in $input.path('$.items'))$i.sku$j.qty,#end;#end`,
	`#set($o = $input.path('$'))#set($o.id = "new")$o.id $o.items.size() $o.items[1].sku #set($l = $o.items)$l.get(0).put("sku", "z")$o.items[0].sku$o.items[0].qty`,
	`$context.stage $context.x $stageVariables.v $input.params('id') text \$x.y $x.y`,
	"#foreach($i in $input.path('$.items'))#if($foreach.first)[#end$i.sku#if($foreach.hasNext),#end#if($foreach.last)]#end#end",
	"#foreach($i in $input.path('$.items'))#if($foreach.first)first, a longer text than the cap lets through#end$i.sku#if($foreach.last)last, a longer text than the cap lets through#end\n#end",
	"a#if($foreach.hasNext)b#end$input.path('$.id')#if($foreach.last)c#end#foreach($i in [1..3])#if($foreach.hasNext)$i#end#end",
	// Runs whose pieces have text before them (pre): a plain run that starts with one
	// (batch), texts longer than 16 bytes.
	"#foreach($i in $input.path('$.items'))<#if($foreach.first)F#end$i.sku; a text longer than sixteen bytes $i.qty#if($foreach.hasNext),#end#end",
	`#set($o = $input.path('$'))a text longer than sixteen bytes#if($foreach.hasNext)b#end$o.id#set($x = 1)x$o.id$x`,
}

var runBodies = []string{
	`{"id": "o-1", "name": {"x": "n"}, "items": [{"sku": "a", "qty": 1, "price": 1.5}, {"qty": 2, "sku": "b", "price": 2.0}, {"sku": "c\n", "qty": -0, "price": 1e3}]}`,
	`{"id": 7, "items": [{"sku": {"a": 1}, "qty": [1]}, 3, {"sku": null}]}`,
	`{"items": []}`,
	`[1, 2]`,
	manyItems(40),
}

// manyItems is a body whose items array has n objects of the same keys, as loopItems
// prints them, with a few it leaves to foreach among them.
func manyItems(n int) string {
	var b strings.Builder
	b.WriteString(`{"id": "o", "items": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		switch i % 13 {
		case 5:
			fmt.Fprintf(&b, `{"sku": "s%d", "qty": 1.50, "price": %d}`, i, i) // a number that does not print as is
		case 9:
			fmt.Fprintf(&b, `{"qty": %d, "sku": "s%d", "price": 2}`, i, i) // keys in another order
		default:
			fmt.Fprintf(&b, `{"sku": "sku-%04d", "qty": %d, "price": %d.5}`, i, i%5, i)
		}
	}
	b.WriteString(`]}`)
	return b.String()
}

// A template evaluates alike with its runs and node by node: the output, the error and
// where it is, at every cap on the steps (so that the steps of a run are taken and
// checked where its nodes' were) and the output.
func TestRunsLikeNodes(t *testing.T) {
	for _, src := range runTemplates {
		fused, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := Parse(src)
		plain.nodes = unfuse(plain.nodes)
		for _, body := range runBodies {
			env := func() *Env {
				c := NewMap()
				c.Set("stage", "prod")
				return &Env{Body: body, Path: MapOf(map[string]string{"id": "p"}), Context: c, StageVariables: MapOf(map[string]string{"v": "sv"})}
			}
			for steps := 1; steps <= 120; steps++ {
				for _, literal := range []bool{false, true} {
					for _, max := range []int{0, 40} {
						opts := &Options{MaxSteps: steps, LiteralNulls: literal, MaxOutput: max}
						got, want := render(fused, env(), opts), render(plain, env(), opts)
						if got != want {
							t.Fatalf("%q on %s, %+v:\nruns:  %s\nnodes: %s", src, body, *opts, got, want)
						}
					}
				}
			}
		}
	}
}

func render(tp *Template, env *Env, opts *Options) string {
	res, err := tp.Eval(context.Background(), env, opts)
	if err != nil {
		return "error: " + err.Error()
	}
	return res.Output
}

// The runs' steps are counted where the deadline is checked (every 1024th): a cancelled
// context stops a loop of runs at the same step as a loop of nodes.
func TestRunsCheckTheDeadline(t *testing.T) {
	for _, src := range []string{
		`#foreach($i in [1..400])a$i.x b$i.y c$i.z d#end`,
		"#foreach($i in $input.path('$.items'))\n  {\"sku\": \"$i.sku\", \"qty\": $i.qty}#if($foreach.hasNext),#end\n#end",
	} {
		fused, _ := Parse(src)
		plain, _ := Parse(src)
		plain.nodes = unfuse(plain.nodes)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err1 := fused.Eval(ctx, &Env{Body: manyItems(400)}, nil)
		_, err2 := plain.Eval(ctx, &Env{Body: manyItems(400)}, nil)
		var ve *Error
		if !errors.As(err1, &ve) || ve.Kind != KindLimit || fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Errorf("%s: runs: %v, nodes: %v", src, err1, err2)
		}
	}
}

// The parser makes text and references side by side one run, and leaves a lone node,
// escaped references and directives out of runs; a run with a method or an index (which
// take steps of their own) is not plain.
func TestRunsShape(t *testing.T) {
	tp, err := Parse(`a$x.b#if($y)c#end\$z$w d#set($v = 1)$v`)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, n := range tp.nodes {
		s := fmt.Sprintf("%T", n)
		if r, ok := n.(*runNode); ok {
			s = fmt.Sprintf("run%d/%v", len(r.pieces), r.plain)
		}
		kinds = append(kinds, s)
	}
	// A text and the reference after it are one piece.
	if got := fmt.Sprint(kinds); got != "[run1/true *vtl.ifNode *vtl.escRefNode run2/true *vtl.setNode *vtl.refNode]" {
		t.Errorf("nodes %s", got)
	}
	// #if($foreach.hasNext)text#end joins a run; with an #else, or more than text, not.
	tp, err = Parse(`#foreach($i in $l)a$i.b#if($foreach.hasNext),#end#if($foreach.last)x$i#end#if($foreach.first)f#{else}g#end#end`)
	if err != nil {
		t.Fatal(err)
	}
	kinds = kinds[:0]
	for _, n := range tp.nodes[0].(*foreachNode).body {
		s := fmt.Sprintf("%T", n)
		if r, ok := n.(*runNode); ok {
			s = fmt.Sprintf("run%d/%v/%d/%d", len(r.pieces), r.plain, r.fixed, r.most)
		}
		kinds = append(kinds, s)
	}
	if got := fmt.Sprint(kinds); got != "[run2/true/1/4 *vtl.ifNode *vtl.ifNode]" {
		t.Errorf("nodes %s", got)
	}
	tp, err = Parse(`a$x.b()b$x[0]`)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := tp.nodes[0].(*runNode); !ok || r.plain || len(r.pieces) != 2 {
		t.Errorf("a run with a method and an index: %#v", tp.nodes)
	}
}

// #if($foreach.hasNext), first and last are read off the scope: as eval reads the same
// condition (the tree without runs, with the parts' scope numbers cleared), in a loop,
// nested, outside one, when $foreach is something else, at every cap on the steps.
func TestCondScope(t *testing.T) {
	for _, c := range []string{"$foreach.hasNext", "$foreach.first", "$foreach.last", "$foreach.parent.hasNext", "$f.hasNext", "$foreach.index", "$foreach.hasNext()", "$!foreach.last"} {
		src := fmt.Sprintf(`#set($f = $foreach)#foreach($i in [1..3])#foreach($j in [1, 2])#set($f = $foreach)#if(%s)y#{else}n#end-#if(%s)z#end-#end;#if(%s)Y#{elseif}(%s)E#{else}N#end#end#if(%s)o#end#set($foreach = true)#if(%s)t#end-#if(%s)u#end`, c, c, c, c, c, c, c)
		fast, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		slow, _ := Parse(src)
		slow.nodes = unfuse(slow.nodes)
		noScope(slow.nodes)
		for steps := 0; steps < 120; steps++ {
			if a, b := render(fast, &Env{}, &Options{MaxSteps: steps}), render(slow, &Env{}, &Options{MaxSteps: steps}); a != b {
				t.Errorf("%s, %d steps: %q, through eval %q", c, steps, a, b)
			}
		}
	}
	tp, err := Parse(`#foreach($i in [1..3])#if($foreach.hasNext)$i,#end#if($foreach.first)F#end#if($foreach.last)L#end#end`)
	if err != nil {
		t.Fatal(err)
	}
	if got := render(tp, &Env{}, nil); got != "1,F2,L" {
		t.Errorf("got %q", got)
	}
}

// noScope clears the scope numbers of the conditions' references, so that eval reads them.
func noScope(ns []node) {
	for _, n := range ns {
		switch n := n.(type) {
		case *ifNode:
			for i, c := range n.conds {
				if r, ok := c.(*refExpr); ok {
					for k := range r.parts {
						r.parts[k].scope = scopeNone
					}
				}
				noScope(n.blocks[i])
			}
			noScope(n.els)
		case *foreachNode:
			noScope(n.body)
		case *runNode:
			noScope(n.nodes)
		}
	}
}

// A method's constant arguments take a step each, as eval takes it: a cap on the steps
// stops the evaluation at the argument that passes it, and the deadline is checked there.
func TestConstantArgumentSteps(t *testing.T) {
	src := `#set($s = "abc")$s.replaceAll("a", "b")`
	tp, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	for steps, at := range map[int]string{3: `"a"`, 4: `"b"`} {
		_, err := tp.Eval(context.Background(), &Env{}, &Options{MaxSteps: steps})
		var ve *Error
		if !errors.As(err, &ve) || ve.Kind != KindLimit || ve.Column != strings.Index(src, at)+1 {
			t.Errorf("%d steps: %v, want the limit at column %d", steps, err, strings.Index(src, at)+1)
		}
	}
	if got := render(tp, &Env{}, &Options{MaxSteps: 5}); got != "bbc" {
		t.Errorf("5 steps: %q", got)
	}
	// Every evaluation of 1024 steps or more checks the deadline at its 1024th, whichever
	// node, expression or argument that is: for some of these loop lengths a constant
	// argument (and for fewer than 2048 steps, there is no other check).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for n := 400; n < 510; n++ {
		loop, err := Parse(fmt.Sprintf(`#foreach($i in [1..%d])$i.toString().replace("1", "x")#end`, n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loop.Eval(ctx, &Env{}, nil); err == nil || !strings.Contains(err.Error(), "ran out of time") {
			t.Errorf("%d items, cancelled: %v", n, err)
		}
	}
}
