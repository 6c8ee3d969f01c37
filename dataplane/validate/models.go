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

package validate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/internal/jsonmodel"
	"github.com/portico-dev/portico/internal/vtl"
)

// Models are an API's compiled models, by name.
type Models map[string]*Model

// Model is one compiled model: the library's schema, and the fast path when the model's
// keywords allow one (fast.go).
type Model struct {
	schema *jsonschema.Schema
	fast   *fastSchema
}

// Validate checks a body decoded by internal/vtl's JSON reader. It returns nil or the
// library's validation error.
func (m *Model) Validate(doc any) error {
	if m.fast != nil && m.fast.valid(doc, 0) {
		return nil
	}
	return m.schema.Validate(Instance(doc))
}

// CompileModels compiles an API's models: JSON Schema draft 4 unless a model's $schema names
// a later draft, as Amazon API Gateway reads them, each compiled once, with $ref between
// them. Every model is compiled, used or not, so that a broken one fails the build that ships
// it rather than a request later.
func CompileModels(models []*xdsv1alpha1.Model) (Models, error) {
	texts := make(map[string]string, len(models))
	for _, m := range models {
		texts[m.GetName()] = m.GetSchema()
	}
	schemas, errs := jsonmodel.CompileAll(texts)
	for _, m := range models {
		if err := errs[m.GetName()]; err != nil {
			return nil, fmt.Errorf("model %s: %w", m.GetName(), err)
		}
	}
	out := make(Models, len(models))
	for _, m := range models {
		out[m.GetName()] = &Model{schema: schemas[m.GetName()], fast: compileFast(m.GetSchema())}
	}
	return out, nil
}

// Instance turns a body read by internal/vtl's JSON reader (shared with the request
// template, so that the body is parsed once per request) into the values the validator
// reads: maps and slices in place of vtl's ordered maps and lists.
func Instance(v any) any {
	switch v := v.(type) {
	case *vtl.Map:
		keys := v.Keys()
		m := make(map[string]any, len(keys))
		for _, k := range keys {
			e, _ := v.Get(k)
			m[k] = Instance(e)
		}
		return m
	case *vtl.List:
		l := make([]any, len(v.Items))
		for i, e := range v.Items {
			l[i] = Instance(e)
		}
		return l
	}
	return v
}

var printer = message.NewPrinter(language.English)

// ErrorString flattens a validation error into one line, as $context.error.validationErrorString
// carries it: "[at '/name': missing property 'name', ...]", the innermost causes only.
func ErrorString(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return "[" + err.Error() + "]"
	}
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(parts) >= 16 {
			return
		}
		if len(e.Causes) == 0 {
			parts = append(parts, fmt.Sprintf("at '%s': %s", pointer(e.InstanceLocation), e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return "[" + strings.Join(parts, ", ") + "]"
}

func pointer(loc []string) string {
	if len(loc) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range loc {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}
