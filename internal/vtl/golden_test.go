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
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A golden case is a txtar-like file in testdata/golden: a comment saying where the case
// comes from, then sections. The last newline of each section is not part of it.
//
//	-- template --        the template (required)
//	-- body --            $input.body
//	-- params --          JSON {"path": {...}, "querystring": {...}, "header": {...}}
//	-- context --         JSON, $context
//	-- stageVariables --  JSON, $stageVariables
//	-- options --         "literal-nulls", "max-iterations N", "max-output N"
//	-- output --          the expected output
//	-- overrides --       expected overrides, one "request.header.x=v" or "response.status=400" a line
//	-- error --           instead of output: a substring of the expected error

type goldenCase struct {
	name     string
	comment  string
	sections map[string]string
}

func readGolden(t testing.TB) []goldenCase {
	t.Helper()
	files, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	sort.Strings(files)
	var cases []goldenCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, parseGolden(filepath.Base(f), string(b)))
	}
	return cases
}

func parseGolden(name, s string) goldenCase {
	c := goldenCase{name: strings.TrimSuffix(name, ".txtar"), sections: map[string]string{}}
	cur := ""
	var buf strings.Builder
	end := func() {
		text := strings.TrimSuffix(buf.String(), "\n")
		if cur == "" {
			c.comment = text
		} else {
			c.sections[cur] = text
		}
		buf.Reset()
	}
	for _, line := range strings.SplitAfter(s, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			end()
			cur = trimmed[3 : len(trimmed)-3]
			continue
		}
		buf.WriteString(line)
	}
	end()
	return c
}

func jsonMap(t testing.TB, s string) *Map {
	t.Helper()
	if s == "" {
		return nil
	}
	v, err := ParseJSON(s)
	if err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	m, ok := v.(*Map)
	if !ok {
		t.Fatalf("not a JSON object: %q", s)
	}
	return m
}

func (c goldenCase) env(t testing.TB) (*Env, *Options) {
	// The proxy freezes what it shares between requests; so does the harness.
	env := &Env{Body: c.sections["body"]}
	if m := jsonMap(t, c.sections["context"]); m != nil {
		env.Context = m.Freeze()
	}
	if m := jsonMap(t, c.sections["stageVariables"]); m != nil {
		env.StageVariables = m.Freeze()
	}
	if p := jsonMap(t, c.sections["params"]); p != nil {
		get := func(k string) *Map {
			v, _ := p.Get(k)
			m, _ := v.(*Map)
			return m
		}
		env.Path, env.QueryString, env.Header = get("path"), get("querystring"), get("header")
	}
	opts := &Options{}
	for _, line := range strings.Split(c.sections["options"], "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "literal-nulls":
			opts.LiteralNulls = true
		case "max-iterations":
			opts.MaxIterations, _ = strconv.Atoi(f[1])
		case "max-output":
			opts.MaxOutput, _ = strconv.Atoi(f[1])
		default:
			t.Fatalf("unknown option %q", line)
		}
	}
	return env, opts
}

func overrideLines(r *Result) string {
	var lines []string
	add := func(prefix string, m map[string]string) {
		for k, v := range m {
			lines = append(lines, prefix+k+"="+v)
		}
	}
	add("request.header.", r.RequestOverride.Header)
	add("request.querystring.", r.RequestOverride.QueryString)
	add("request.path.", r.RequestOverride.Path)
	add("response.header.", r.ResponseOverride.Header)
	if r.ResponseOverride.Status != 0 {
		lines = append(lines, "response.status="+strconv.Itoa(r.ResponseOverride.Status))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestGolden(t *testing.T) {
	cases := readGolden(t)
	if len(cases) < 40 {
		t.Errorf("%d golden cases, want at least 40", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmpl, ok := c.sections["template"]
			if !ok {
				t.Fatal("no template section")
			}
			env, opts := c.env(t)
			tp, err := Parse(tmpl)
			var res *Result
			if err == nil {
				res, err = tp.Eval(context.Background(), env, opts)
			}
			if want, ok := c.sections["error"]; ok {
				if err == nil {
					t.Fatalf("no error, output %q; want an error with %q", res.Output, want)
				}
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q, want it to contain %q", err, want)
				}
				var ve *Error
				if !errors.As(err, &ve) || ve.Line < 1 || ve.Column < 1 {
					t.Fatalf("error %v has no position", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if want := c.sections["output"]; res.Output != want {
				t.Errorf("output:\n%s\n--- want:\n%s\n--- got %q", res.Output, want, res.Output)
			}
			if got, want := overrideLines(res), c.sections["overrides"]; got != want {
				t.Errorf("overrides:\n%s\n--- want:\n%s", got, want)
			}
		})
	}
}
