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
	"math/rand"
	"strings"
	"testing"
)

// Generated templates and bodies, for what the byte-level fuzzers reach only by luck: loops
// over the body's objects printing their properties (runs, hints, 16-byte copies), the
// $foreach conditions folded into runs, #break, methods changing the objects mid-run,
// strings built in the arena and stored in a map, regular expressions alternating.

// genKeys are the bodies' keys and the templates' properties: short and long (the 8 bytes
// read as a word, and one more), a prefix of another, and two names $foreach also answers.
var genKeys = []string{"a", "b", "ab", "abcdefgh", "abcdefghi", "a", "b", "x", "hasNext", "empty"}

// genScalars are values whose printing has its own code: numbers kept as spelled or
// formatted the Java way, strings of 16 bytes and more, escapes, unicode.
var genScalars = []string{`1`, `-0`, `0.0`, `-0.0`, `1.0E7`, `1e-4`, `9999999.5`, `12345678901234567890`,
	`0.001`, `1.50`, `"s"`, `""`, `"0123456789abcdefXYZ"`, `"é\u00e9"`, `"q\"\\"`, `null`, `true`, `false`,
	`{}`, `[]`, `123`, `-7.25`, `"0123456789abcdef"`, `10000000.0`, `0.0010`}

// genBody is a JSON value: objects with repeated keys (genKeys repeats some), keys spelled
// with an escape, values nested in the objects (so that some are not flat), spaces.
func genBody(r *rand.Rand, depth int) string {
	var b strings.Builder
	switch n := r.Intn(10); {
	case depth > 3 || n < 3 || (depth > 1 && n < 6):
		return genScalars[r.Intn(len(genScalars))]
	case n < 8:
		b.WriteString("{")
		for i := r.Intn(5); i >= 0; i-- {
			k := genKeys[r.Intn(len(genKeys))]
			if r.Intn(8) == 0 {
				k = fmt.Sprintf(`\u%04x`, k[0]) + k[1:]
			}
			fmt.Fprintf(&b, `"%s":%s`, k, genBody(r, depth+1))
			if i > 0 {
				b.WriteString([]string{",", ", ", ",\n  "}[r.Intn(3)])
			}
		}
		b.WriteString("}")
	default:
		b.WriteString("[")
		for i := r.Intn(5); i >= 0; i-- {
			b.WriteString(genBody(r, depth+1))
			if i > 0 {
				b.WriteString(",")
			}
		}
		b.WriteString("]")
	}
	return b.String()
}

// genRef is a reference to one of vars, with no property (mostly one, as runs print).
func genRef(r *rand.Rand, vars []string) string {
	s := "$" + vars[r.Intn(len(vars))]
	if r.Intn(6) == 0 {
		s = "$!" + s[1:]
	}
	for n := []int{0, 1, 1, 2, 3}[r.Intn(5)]; n > 0; n-- {
		s += "." + genKeys[r.Intn(len(genKeys))]
	}
	return s
}

// genTemplate is a sequence of text, references, loops (over the body mostly), $foreach
// conditions, #break, methods and #set; vars are the variables in scope.
func genTemplate(r *rand.Rand, vars []string, depth int) string {
	var b strings.Builder
	for i := r.Intn(6); i >= 0; i-- {
		switch n := r.Intn(20); {
		case n < 5:
			b.WriteString([]string{"t", ",", "0123456789abcdef", "0123456789abcdefg", "\n", `"k": `, "é"}[r.Intn(7)])
		case n < 10:
			b.WriteString(genRef(r, vars))
		case n < 12 && depth < 3:
			v := fmt.Sprint("i", depth)
			in := "$input.path('$')"
			if r.Intn(3) == 0 {
				in = genRef(r, vars)
			}
			fmt.Fprintf(&b, "#foreach($%s in %s)%s#end", v, in, genTemplate(r, append(vars, v), depth+1))
		case n < 14:
			b.WriteString([]string{"#if($foreach.hasNext),#end", "#if($foreach.first)F#end", "#if($foreach.last)L#end",
				"$foreach.index", "$foreach.count", "$foreach.hasNext", "#if($foreach.hasNext)0123456789abcdefgh#end"}[r.Intn(7)])
		case n < 15:
			b.WriteString([]string{"#break", "#if($foreach.index == 1)#break#end"}[r.Intn(2)])
		case n < 17:
			v, k := vars[r.Intn(len(vars))], genKeys[r.Intn(len(genKeys))]
			b.WriteString([]string{
				fmt.Sprintf("$%s.put('%s', 'P')", v, k), fmt.Sprintf("$%s.remove('%s')", v, k),
				fmt.Sprintf("$%s.add(%s)", v, genRef(r, vars)), fmt.Sprintf("$%s.size()", v), fmt.Sprintf("$%s.get('%s')", v, k),
				fmt.Sprintf(`$util.escapeJavaScript("'%s")`, genRef(r, vars)),
				fmt.Sprintf(`#set($m.%s = $util.escapeJavaScript("x'%s"))`, k, genRef(r, vars)),
				fmt.Sprintf(`"%s".replace("a", "b")`, genRef(r, vars)), fmt.Sprintf(`$%s.toString().replaceAll("[0-9]", "#")`, v),
				fmt.Sprintf(`$%s.toString().replaceAll("a", "b")`, v), "$m",
			}[r.Intn(11)])
		default:
			fmt.Fprintf(&b, "#set($%s = %s)", vars[r.Intn(len(vars))], genRef(r, vars))
		}
	}
	return b.String()
}

// genCase is a generated template, parsed twice: as Parse makes it (runs, scope numbers)
// and as the tree the evaluator walked node by node before them (see unfuse, noScope).
func genCase(r *rand.Rand, prefix, suffix string) (src string, fast, slow *Template) {
	for {
		src = prefix + genTemplate(r, []string{"o", "m", "r"}, 0) + suffix
		var err error
		if fast, err = Parse(src); err != nil {
			continue
		}
		slow, _ = Parse(src)
		slow.nodes = unfuse(slow.nodes)
		noScope(slow.nodes)
		return src, fast, slow
	}
}

func genRender(ctx context.Context, tp *Template, env *Env, opts *Options) string {
	res, err := tp.Eval(ctx, env, opts)
	if err != nil {
		return "error: " + err.Error()
	}
	return res.Output + "\n" + overrideLines(res)
}

// Each generated template renders alike with every short cut (runs, the body on a tape,
// hints left by the template's evaluations of other bodies, tapes read onto released
// ones) and without any (node by node, the body as ParseJSON's values): the output, or the
// error with its kind and position, at caps on the steps and the output that stop it
// anywhere, literal nulls or not.
func TestGeneratedLikePlain(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	fails := 0
	for range 1200 {
		src, fast, slow := genCase(r, "#set($o = $input.path('$'))#set($m = {})#set($r = $input.path('$[0]'))", "")
		for range 3 {
			body := "[" + genBody(r, 1) + "," + genBody(r, 1) + "," + genBody(r, 1) + "]"
			values := func() (any, error) { return ParseJSON(body) }
			for _, opts := range []*Options{nil, {MaxSteps: 1 + r.Intn(80)}, {MaxOutput: 1 + r.Intn(120), LiteralNulls: true},
				{MaxSteps: 1 + r.Intn(200), MaxOutput: 1 + r.Intn(200)}} {
				want := genRender(context.Background(), slow, &Env{Body: body, JSON: values}, opts)
				tape, err := ParseTape(body)
				if err != nil {
					t.Fatalf("%q: %v", body, err)
				}
				got := genRender(context.Background(), fast, &Env{Body: body, JSON: func() (any, error) { return tape, nil }}, opts)
				tape.Release()
				if got != want {
					t.Errorf("%q on %q, %+v:\nfast:  %q\nplain: %q", src, body, opts, got, want)
					if fails++; fails == 5 {
						t.FailNow()
					}
					break
				}
			}
		}
	}
}

// Loops of more than 1024 steps stop at the same step, at the same position, with the
// deadline passed (checked every 1024th step) or a cap on the steps around those.
func TestGeneratedLikePlainDeadline(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for range 300 {
		prefix := fmt.Sprintf("#set($o = $input.path('$'))#set($m = {})#foreach($r in [1..%d])", 20+r.Intn(300))
		src, fast, slow := genCase(r, prefix, "#end")
		body := "[" + genBody(r, 1) + "," + genBody(r, 1) + "]"
		values := func() (any, error) { return ParseJSON(body) }
		for _, c := range []struct {
			ctx  context.Context
			opts *Options
		}{{cancelled, nil}, {context.Background(), &Options{MaxSteps: 1000 + r.Intn(3000)}}, {cancelled, &Options{MaxSteps: 1000 + r.Intn(3000)}}} {
			want := genRender(c.ctx, slow, &Env{Body: body, JSON: values}, c.opts)
			if got := genRender(c.ctx, fast, &Env{Body: body}, c.opts); got != want {
				t.Fatalf("%q on %q, %+v:\nfast:  %.300q\nplain: %.300q", src, body, c.opts, got, want)
			}
		}
	}
}
