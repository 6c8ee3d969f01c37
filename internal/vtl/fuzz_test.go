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
	"testing"
	"time"
)

func fuzzSeeds(f *testing.F, withBody bool) {
	for _, c := range readGolden(f) {
		if withBody {
			f.Add(c.sections["template"], c.sections["body"])
		} else {
			f.Add(c.sections["template"])
		}
	}
}

// FuzzParse: no input makes the parser panic, and every refusal says where.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f, false)
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Parse(src)
		if err == nil {
			return
		}
		var ve *Error
		if !errors.As(err, &ve) || ve.Line < 1 || ve.Column < 1 || (ve.Kind != KindSyntax && ve.Kind != KindLimit) {
			t.Fatalf("Parse(%q): error %v without a position or a kind", src, err)
		}
	})
}

// FuzzEval: no template and body make the evaluator panic, run past its caps, or fail
// without a position.
func FuzzEval(f *testing.F) {
	fuzzSeeds(f, true)
	// Runs, references read off the tape, $foreach conditions, on the tape's risky shapes.
	for i, src := range append(runTemplates, refTemplates...) {
		f.Add(src, riskyBodies[i%len(riskyBodies)])
	}
	f.Fuzz(func(t *testing.T, src, body string) {
		tp, err := Parse(src)
		if err != nil {
			return
		}
		ctxMap := NewMap()
		ctxMap.Set("stage", "prod")
		ctxMap.Freeze()
		env := &Env{
			Body:        body,
			Path:        MapOf(map[string]string{"id": "1"}),
			QueryString: MapOf(map[string]string{"q": "x"}),
			Header:      MapOf(map[string]string{"Accept": "*/*"}),
			Context:     ctxMap,
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		opts := &Options{MaxOutput: 64 << 10, MaxSteps: 200_000}
		res, err := tp.Eval(ctx, env, opts)
		if err != nil {
			var ve *Error
			if !errors.As(err, &ve) || ve.Line < 1 || ve.Column < 1 {
				t.Fatalf("Eval(%q): error %v without a position", src, err)
			}
			return
		}
		if len(res.Output) > opts.MaxOutput {
			t.Fatalf("output of %d bytes over the %d cap", len(res.Output), opts.MaxOutput)
		}
	})
}

// FuzzJSONPath: no path, filters included, makes the compiler or its evaluation panic, and a
// filter selects only what was there.
func FuzzJSONPath(f *testing.F) {
	for _, p := range []string{
		"$.items[?(@.price < 10)].id", "$..[?(@.a && !(@.b == 'x') || $.c =~ /a.*/i)]", "$[?(@[0][?(@.x)])]",
		"$.a[?(@.b != null)]", "$.a[?((@.b))]", "$.a[?(@ == 1)]", "$.a[?(@.b in [1])]", "$.a[?(!!@.b)]",
	} {
		f.Add(p, `{"items":[{"price":1,"id":1,"a":{"b":"x"}},[1,2],"s",null],"c":"abc"}`)
	}
	f.Fuzz(func(t *testing.T, p, body string) {
		jp, err := compileJSONPath(p)
		if err != nil {
			return
		}
		doc, err := ParseJSON(body)
		if err != nil {
			return
		}
		visited := 0
		v, ok := jp.eval(doc, &visited)
		if !jp.definite && (!ok || v == nil) {
			t.Fatalf("%q: an indefinite path gave no list", p)
		}
	})
}
