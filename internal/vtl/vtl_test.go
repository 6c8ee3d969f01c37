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
	"strings"
	"sync"
	"testing"
	"time"
)

func mustParse(t testing.TB, src string) *Template {
	t.Helper()
	tp, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return tp
}

func TestParseRefusesLargeTemplates(t *testing.T) {
	if _, err := Parse(strings.Repeat("a", MaxTemplateSize)); err != nil {
		t.Fatalf("a template of exactly 300 KB: %v", err)
	}
	_, err := Parse(strings.Repeat("a", MaxTemplateSize+1))
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "300 KB") {
		t.Fatalf("a template over 300 KB: %v", err)
	}
}

func TestParseErrorsHavePositions(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"a\n  #if($x)\n", "line 2, column 3: unclosed #if"},
		{"#foreach($i $list)#end", "line 1, column 13: #foreach needs 'in'"},
		{"#set $x = 1", "line 1, column 1: #set needs its arguments in parentheses"},
		{"#if(true)#else#elseif(true)#end", "line 1, column 15: #elseif after #else"},
		{"x #end", "line 1, column 3: #end without a matching #if or #foreach"},
		{"#* never closed", "line 1, column 1: unclosed comment"},
		{"$a.b(1,", "expression expected"},
		{"#set($a = [1, 2)", "line 1, column 16: expected , or ] in a list"},
		{"#set($a.b() = 1)", "#set cannot assign to a method call"},
		{"#set($a = 99999999999999999999)", "number 99999999999999999999 is too large"},
		{"#set($a = {1 2})", "expected : after a map key"},
		{"h\u00e9llo #if(", "line 1, column 11: expression expected"},
	} {
		_, err := Parse(tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want a syntax error with %q", tc.src, err, tc.want)
		}
	}
}

// A literal JSONPath that cannot compile refuses the template where it is written; one
// computed at run time is checked then.
func TestParseChecksLiteralPaths(t *testing.T) {
	for _, src := range []string{"$input.path('$.a.length()')", "x\n  $input.json(\"$[\")", "#set($v = $input.path('$.a[?(@.b size 2)]'))"} {
		if _, err := Parse(src); err == nil || !strings.Contains(err.Error(), "$input.") {
			t.Errorf("%q: %v", src, err)
		}
	}
	if _, err := Parse("#set($p = '$.a[')$input.json($p) $input.path('$.ok[0]')"); err != nil {
		t.Errorf("a computed path is checked at run time: %v", err)
	}
}

func TestParseNestingLimit(t *testing.T) {
	limit := strings.Repeat("#if(true)", maxDepth) + "x" + strings.Repeat("#end", maxDepth)
	if _, err := Parse(limit); err != nil {
		t.Fatalf("%d #if within each other: %v", maxDepth, err)
	}
	deep := strings.Repeat("#if(true)", maxDepth+1) + strings.Repeat("#end", maxDepth+1)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("deep #if: %v", err)
	}
	parens := "#set($x = " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000) + ")"
	if _, err := Parse(parens); err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("deep parentheses: %v", err)
	}
	nots := "#if(" + strings.Repeat("!", 5000) + "true)#end"
	if _, err := Parse(nots); err == nil {
		t.Fatal("deep negation parsed")
	}
}

func TestEvalErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		src, body string
		kind      error
	}{
		{"$input.body.nope()", "x", ErrRuntime},
		{"#foreach($i in [1..2000])#end", "", ErrLimit},
	} {
		_, err := mustParse(t, tc.src).Eval(context.Background(), &Env{Body: tc.body}, nil)
		if !errors.Is(err, tc.kind) {
			t.Errorf("%q: %v, want %v", tc.src, err, tc.kind)
		}
	}
}

func TestStepLimitAndDeadline(t *testing.T) {
	nested := mustParse(t, "#foreach($i in [1..1000])#foreach($j in [1..1000])#foreach($k in [1..1000])x#end#end#end")
	start := time.Now()
	_, err := nested.Eval(context.Background(), nil, &Options{MaxOutput: 1 << 30})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "steps") {
		t.Fatalf("a billion iterations: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the step limit took %v to stop the template", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = nested.Eval(ctx, nil, &Options{MaxSteps: 1 << 30, MaxOutput: 1 << 30})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "out of time") {
		t.Fatalf("a canceled context: %v", err)
	}
}

func TestGrowthIsBounded(t *testing.T) {
	for _, src := range []string{
		`#set($s = "x")#foreach($i in [1..64])#set($s = "$s$s")#end`,
		`#set($s = "x")#foreach($i in [1..64])#set($s = $s + $s)#end`,
		`#set($l = [1])#foreach($i in [1..64])#set($ok = $l.addAll($l))#end`,
		`#set($l = [1..100000])#foreach($i in [1..1000])#set($k = $l.toString())#end`,
		`#set($m = {})#set($ok = $m.put("self", $m))$m`,
	} {
		_, err := mustParse(t, src).Eval(context.Background(), nil, nil)
		if err == nil {
			t.Errorf("%s: no error", src)
		}
	}
}

func TestOverridesAndReadOnlyMaps(t *testing.T) {
	ctxMap := NewMap()
	ctxMap.Set("stage", "prod")
	ctxMap.Freeze()
	tp := mustParse(t, `#set($context.requestOverride.header.X-Stage = $context.stage)`+
		`$context.responseOverride.header.put("Location", "/x")$context.requestOverride.header.X-Stage`)
	res, err := tp.Eval(context.Background(), &Env{Context: ctxMap}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != "prod" || res.RequestOverride.Header["X-Stage"] != "prod" || res.ResponseOverride.Header["Location"] != "/x" {
		t.Fatalf("result %+v", res)
	}
	if _, ok := ctxMap.Get("requestOverride"); ok {
		t.Fatal("the caller's context map was written to")
	}
	for _, src := range []string{
		`#set($context.stage = "dev")`,
		`#set($context.requestOverride = {})`,
		`$context.put("a", 1)`,
		`#set($context.responseOverride.status = 99)`,
		`#set($context.responseOverride.status = "abc")`,
		`#set($context.responseOverride.header.X = [1])`,
	} {
		if _, err := mustParse(t, src).Eval(context.Background(), &Env{Context: ctxMap}, nil); !errors.Is(err, ErrRuntime) {
			t.Errorf("%s: %v, want a runtime error", src, err)
		}
	}
}

func TestConcurrentEvaluations(t *testing.T) {
	tp := mustParse(t, `#set($r = $input.path('$'))$r.a $input.json('$.b[*]') #foreach($x in $r.b)$x#end`)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				res, err := tp.Eval(context.Background(), &Env{Body: `{"a": "x", "b": [1, 2]}`}, nil)
				if err != nil || res.Output != "x [1,2] 12" {
					t.Errorf("%v %+v", err, res)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{
		1: "1.0", 0.5: "0.5", 1234567.0: "1234567.0", 1e7: "1.0E7", 1.5e-4: "1.5E-4",
		0.001: "0.001", -2.5: "-2.5", 1e21: "1.0E21", 123456789.123: "1.23456789123E8",
	} {
		if got := string(appendJavaDouble(nil, f)); got != want {
			t.Errorf("%v: %s, want %s", f, got, want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	for _, bad := range []string{"", "{", `{"a" 1}`, "[1,]", `"\x"`, "01x", "tru", `{"a":1}x`, strings.Repeat("[", 600) + strings.Repeat("]", 600)} {
		if _, err := ParseJSON(bad); err == nil {
			t.Errorf("ParseJSON(%q) accepted", bad)
		}
	}
	v, err := ParseJSON(`{"b": 1, "a": [1.5, "\u00e9\ud83d\ude00\n", null, true], "b": 2}`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := appendJSON(nil, v, 0)
	if want := `{"b":2,"a":[1.5,"é😀\n",null,true]}`; string(b) != want {
		t.Fatalf("round trip %s, want %s", b, want)
	}
}

// A filter whose own paths scan the whole document, for each value of a scan of it, stops
// at the work cap rather than run for minutes.
func TestJSONPathFilterWorkCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"a":[`)
	for i := range 3000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"x":1}`)
	}
	b.WriteString(`]}`)
	tp, err := Parse(`$input.json('$..[?(@..x == $..x)]')`)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = tp.Eval(context.Background(), &Env{Body: b.String()}, nil)
	if err == nil || !strings.Contains(err.Error(), "more than 1000000 steps") {
		t.Fatalf("a quadratic filter: %v", err)
	}
	t.Logf("stopped after %v", time.Since(start))
}
