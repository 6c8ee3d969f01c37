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

// JSONPath is a compiled JSONPath expression, read as $input.path reads it, for callers
// outside templates: integration responseParameters' integration.response.body.<path>.
type JSONPath struct{ p *jsonPath }

// CompileJSONPath compiles p ("$.a.b", or "a.b" read as "$.a.b").
func CompileJSONPath(p string) (*JSONPath, error) {
	jp, err := compileJSONPath(p)
	if err != nil {
		return nil, err
	}
	return &JSONPath{p: jp}, nil
}

// Text returns the value at the path in doc (as ParseJSON reads it) as a header value takes
// it: a string as it is, anything else as JSON text. ok is false when nothing is there.
func (p *JSONPath) Text(doc any) (s string, ok bool) {
	visited := 0
	v, found := p.p.eval(doc, &visited)
	if !found {
		return "", false
	}
	if l, isList := v.(*List); isList && !p.p.definite && len(l.Items) == 0 {
		return "", false
	}
	if s, isString := v.(string); isString {
		return s, true
	}
	b, ok := appendJSON(nil, v, 0)
	return string(b), ok
}
