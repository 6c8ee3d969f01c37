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

// plainRun's word-at-a-time scan must stop where the byte loop does.
func TestPlainRun(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghijklmnop\"", "abc\\defghijkl", "abcdefg\x1fh",
		"ab\x7f\x80\xff\"", "\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\"", strings.Repeat("x", 17) + "\n", "\"abcdefghij"} {
		for i := 0; i <= len(s); i++ {
			want := i
			for want < len(s) && strPlain[s[want]] {
				want++
			}
			if got := plainRun(s, i); got != want {
				t.Errorf("plainRun(%q, %d) = %d, want %d", s, i, got, want)
			}
		}
	}
}

// evalBoth renders src on body twice: reading the body onto a tape (what Eval does by
// default) and as ParseJSON's *Map and *List values (what a caller's Env.JSON may give).
// It returns each run's output, overrides and error as one string.
func evalBoth(t testing.TB, src, body string, opts *Options) (tape, values string) {
	t.Helper()
	tp, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	run := func(env *Env) string {
		res, err := tp.Eval(context.Background(), env, opts)
		if err != nil {
			return "error: " + err.Error()
		}
		return res.Output + "\n-- overrides --\n" + overrideLines(res)
	}
	tape = run(&Env{Body: body})
	values = run(&Env{Body: body, JSON: func() (any, error) {
		if strings.TrimSpace(body) == "" {
			return NewMap(), nil
		}
		return ParseJSON(body)
	}})
	return tape, values
}

// The golden cases again, with the body as *Map values: the tape and the values it stands
// for must render alike.
func TestTapeGoldenDifferential(t *testing.T) {
	for _, c := range readGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			tmpl := c.sections["template"]
			if _, err := Parse(tmpl); err != nil {
				return
			}
			env, opts := c.env(t)
			tp, _ := Parse(tmpl)
			run := func(e Env) string {
				res, err := tp.Eval(context.Background(), &e, opts)
				if err != nil {
					return "error: " + err.Error()
				}
				return res.Output + "\n" + overrideLines(res)
			}
			tape := run(*env)
			withValues := *env
			withValues.JSON = func() (any, error) {
				if strings.TrimSpace(env.Body) == "" {
					return NewMap(), nil
				}
				return ParseJSON(env.Body)
			}
			if values := run(withValues); tape != values {
				t.Errorf("tape:\n%s\n--- values:\n%s", tape, values)
			}
		})
	}
}

// tapeTemplates read and change the body every way the tape has its own code for.
var tapeTemplates = []string{
	`$input.json('$')|$input.path('$')`,
	`#set($o = $input.path('$'))#foreach($x in $o)[$x|$x.a|$x.size()|$x.empty|$foreach.count]#end $o.size() $o.a $o.b.c $o.isEmpty() $o.get('a') $o.containsKey('b') $o.empty`,
	`#set($o = $input.path('$'))$o[0] $o[1] $o[-1] $o['a'] $o.get(0) $o.a[0].b`,
	`#set($o = $input.path('$'))#set($c = $o.a)#if($o.a)$o.put('z', 1)#end$input.json('$')|$o|$c|$o.z|$input.path('$.z')`,
	`#set($o = $input.path('$'))#set($c = $o.a)#set($d = $c)$c.add(7)$c.put('n', 8)$d|$o.a|$input.json('$.a')|$o.a.size()`,
	`#set($o = $input.path('$'))#foreach($x in $o)#set($x.k = 1)$x.k $x #end$input.json('$')`,
	`#set($o = $input.path('$'))#foreach($x in $o)#if($foreach.index == 0)#set($o[1] = 'changed')#end$x,#end`,
	`#set($o = $input.path('$'))#foreach($x in $o)$o.remove('a')$x,#end|$o`,
	`$input.path('$..a') $input.json('$.*') $input.path('$.a[0]') $input.json('$.a[-1]') $input.json('$.a.b') $input.json('$[0].a') $input.json('$[1:]')`,
	`#set($o = $input.path('$'))#set($l = [$o.a, $o])#set($m = {"k": $o.a})$l $m $l.contains($o.a) #if($o.a == $input.path('$.a'))eq#end #if($o == $o)same#end`,
	`#set($o = $input.path('$'))$util.escapeJavaScript($o.a) "$o.a" $o.a.toString() $o.keySet() $o.values() $o.entrySet() #foreach($e in $o.entrySet())$e.key=$e.value;#end`,
	`#set($o = $input.path('$'))#set($x = $o.a + 1)$x #set($y = $o.b + "s")$y $o.a.b.c.d`,
}

// Hand-made bodies for the paths above: duplicate keys, escapes, numbers of every kind,
// nesting, scalars at the root.
var tapeBodies = []string{
	`{"a": {"b": {"c": 1}}, "b": [1, 2.5, "x"], "c": null}`,
	`{"a": 1, "a": 2, "b": 3, "a": {"x": true}}`,
	`[{"a": 1, "b": "one"}, {"a": [1, 2], "b": {}}, {"a": null}, [], "s", 1e400]`,
	`[{"a": 1, "b": "one"}, {"a": [1, 2], "b": {}}, {"a": null}, [], "s", 1e40]`,
	`{"a": "tab\there \"quoted\" \u00e9\ud83d\ude00 \/", "b\n": "k", "z": -0, "f": 1.0, "g": 123456789012345678901234, "h": -1.25e-5, "i": 0.1}`,
	`"just a string"`, `12`, `-3.5`, `true`, `null`, `[]`, `{}`, ``, `   `,
	`{"a": [[[[1]]]], "b": {"a": {"a": {"a": "deep"}}}}`,
	`{"a": "x", "a": "y"}`,
	`[1, 2, 3]`,
	`{"a": [1, {"b": 2}], "b": "s"}`,
	`{"a" 1}`, `[1, 2`, `{"a": tru}`, `{"a": "\x"}`, "\"a\x01\"", `[1] x`, `01`, `-`, `1.`, `1e`,
}

func TestTapeDifferential(t *testing.T) {
	for _, body := range tapeBodies {
		for _, src := range tapeTemplates {
			if tape, values := evalBoth(t, src, body, nil); tape != values {
				t.Errorf("template %q, body %q:\ntape:   %s\nvalues: %s", src, body, tape, values)
			}
		}
	}
}

// ParseTape accepts and refuses what ParseJSON does, with its errors.
func TestParseTapeErrors(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2)
	for _, body := range append(tapeBodies, deep, deep[1:len(deep)-1], "[\"\\u12\"]", "{\"a\":1,}", "[1,]", " {\"a\" : [ 1 , 2 ] } ") {
		_, err1 := ParseJSON(body)
		_, err2 := ParseTape(body)
		if fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Errorf("%q: ParseJSON %v, ParseTape %v", body, err1, err2)
		}
	}
}

// riskyBodies are seeds for the fuzzers in the shapes the tape's short cuts have their own
// code for: keys within 8 bytes of the end, of 8 bytes and one more, escaped, repeated
// (the last must win), alike in their first and last 8 bytes; nested objects where a flat
// one has the key (a hint's pair); numbers at the edges of Java's plain notation; spaces.
var riskyBodies = []string{
	`{"a":1}`, `{"ab":"x","a":2}`, `{"abcdefgh":1,"abcdefghi":2}`, `{"abcdefgh":1,"abcdefgh":2}`,
	`{"abcdefgh-1-stuvwxyz":1,"abcdefgh-2-stuvwxyz":2}`, `{"\u0061":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a\"":1}`,
	`[{"b":0,"a":"A1","w":{"a":"W1"}},{"x":{"a":"in"},"a":"A2","w":{"y":{"a":"in"},"a":"W2"}}]`,
	`[{"w":{"a":1}},{"w":{"a":"first","a":"last"}}]`, `[{"a":"x","a":"y"},{"a":"z"}]`,
	`[10000000.0, 9999999.99999999, 0.001, 0.00099, -0.0, 0.0, -0, 1.0E7, 1.0E-4, 12345678901234567890, 123456789012345678, 1.50, 01.5]`,
	`{"s":"0123456789abcdef","t":"0123456789abcdefg","u":"é日本","v":"\u00e9\ud83d\ude00"}`,
	"{\n        \"a\" :        1 ,\t\"b\":\n\n        [ ]        }        ",
}

// FuzzTape: ParseTape never panics and fails exactly as ParseJSON does, and marks exactly
// the objects with repeated keys; on any body the templates above render alike from the
// tape and from ParseJSON's values.
func FuzzTape(f *testing.F) {
	for _, b := range append(tapeBodies, riskyBodies...) {
		f.Add(b)
	}
	for _, c := range readGolden(f) {
		if b := c.sections["body"]; b != "" {
			f.Add(b)
		}
	}
	opts := &Options{MaxOutput: 64 << 10, MaxSteps: 100_000}
	f.Fuzz(func(t *testing.T, body string) {
		checkTape(t, body)
		for _, src := range tapeTemplates {
			if tape, values := evalBoth(t, src, body, opts); tape != values {
				t.Fatalf("template %q, body %q:\ntape:   %s\nvalues: %s", src, body, tape, values)
			}
		}
	})
}

// FuzzTapeEval: any template renders alike from the tape and from ParseJSON's values; and
// as Parse makes it, from the tape, as node by node from the values (see unfuse, noScope),
// at caps on the steps and the output (taken from the input's length) that stop it midway.
func FuzzTapeEval(f *testing.F) {
	fuzzSeeds(f, true)
	for _, src := range tapeTemplates {
		f.Add(src, tapeBodies[0])
	}
	r := rand.New(rand.NewSource(3))
	for i, src := range append(append(runTemplates, refTemplates...), `#foreach($x in $input.path('$'))$x.a;$x.w.a;#set($v = $x.a)$v;#end`) {
		f.Add(src, riskyBodies[i%len(riskyBodies)])
		f.Add(src, manyItems(14))
		f.Add(src, "["+genBody(r, 1)+","+genBody(r, 1)+"]")
	}
	for range 20 {
		src, _, _ := genCase(r, "#set($o = $input.path('$'))#set($m = {})#set($r = $input.path('$[0]'))", "")
		f.Add(src, "["+genBody(r, 1)+","+genBody(r, 1)+","+genBody(r, 1)+"]")
	}
	opts := &Options{MaxOutput: 64 << 10, MaxSteps: 100_000}
	f.Fuzz(func(t *testing.T, src, body string) {
		fast, err := Parse(src)
		if err != nil {
			return
		}
		if tape, values := evalBoth(t, src, body, opts); tape != values {
			t.Fatalf("template %q, body %q:\ntape:   %s\nvalues: %s", src, body, tape, values)
		}
		slow, _ := Parse(src)
		slow.nodes = unfuse(slow.nodes)
		noScope(slow.nodes)
		values := func() (any, error) {
			if blank(body) {
				return NewMap(), nil
			}
			return ParseJSON(body)
		}
		capped := &Options{MaxSteps: 1 + (len(src)*7+len(body))%150, MaxOutput: 1 + (len(src)+len(body)*3)%200, LiteralNulls: len(body)%2 == 0}
		ctx := context.Background()
		if got, want := genRender(ctx, fast, &Env{Body: body}, capped), genRender(ctx, slow, &Env{Body: body, JSON: values}, capped); got != want {
			t.Fatalf("template %q, body %q, %+v:\nfast:  %q\nplain: %q", src, body, *capped, got, want)
		}
	})
}
