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

// Package jsonmodel compiles request models (JSON Schema) the same way for both planes: draft
// 4 unless the schema's $schema names a later draft, as Amazon API Gateway reads models, and
// no $ref outside the API's models (a schema must not make the controller or the proxy read
// files or fetch URLs). A model refers to another of the same API as AWS writes it:
// {"$ref": "https://apigateway.amazonaws.com/restapis/{restapi_id}/models/{model_name}"}
// (any restapi_id: the API is the one the model belongs to). The compiler checks models with
// it; the proxy builds validators with it.
package jsonmodel

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ErrExternalRef refuses every $ref that leaves the model.
var ErrExternalRef = errors.New("references outside the API's models are not supported")

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s: %w", url, ErrExternalRef)
}

// ErrMissingModel refuses a $ref to a model the API does not define.
var ErrMissingModel = errors.New("the API does not define it")

// ModelURL is the address a model answers to in $ref, as AWS writes it.
func ModelURL(restAPIID, name string) string {
	return "https://apigateway.amazonaws.com/restapis/" + url.PathEscape(restAPIID) + "/models/" + url.PathEscape(name)
}

// modelName reads a model's name from an AWS model URL (without its fragment).
func modelName(u string) (string, bool) {
	rest, ok := strings.CutPrefix(u, "https://apigateway.amazonaws.com/restapis/")
	if !ok {
		return "", false
	}
	_, name, ok := strings.Cut(rest, "/models/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	name, err := url.PathUnescape(name)
	return name, err == nil
}

// modelLoader serves the API's own models to $ref, and nothing else.
type modelLoader map[string]any

func (l modelLoader) Load(u string) (any, error) {
	name, ok := modelName(u)
	if !ok {
		return nil, fmt.Errorf("%s: %w", u, ErrExternalRef)
	}
	doc, ok := l[name]
	if !ok {
		return nil, fmt.Errorf("model %q: %w", name, ErrMissingModel)
	}
	return doc, nil
}

// CompileAll compiles an API's models (JSON text by name) together, so that they can refer to
// one another, each compiled once. A model that fails (its own schema, or a model it refers
// to, missing or refused) is absent from the schemas and present in errs.
func CompileAll(models map[string]string) (schemas map[string]*jsonschema.Schema, errs map[string]error) {
	schemas, errs = map[string]*jsonschema.Schema{}, map[string]error{}
	docs := modelLoader{}
	for name, text := range models {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			errs[name] = fmt.Errorf("schema is not JSON: %w", err)
			continue
		}
		docs[name] = doc
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(docs)
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if missing := missingRefs(docs[name], docs, 0); len(missing) > 0 {
			if _, defined := models[missing[0]]; defined {
				errs[name] = fmt.Errorf("$ref names model %s, which is refused", missing[0])
			} else {
				errs[name] = fmt.Errorf("$ref names model %s: %w", strings.Join(missing, ", "), ErrMissingModel)
			}
			continue
		}
		s, err := c.Compile(ModelURL("portico", name))
		if err != nil {
			msg := strings.Join(strings.Fields(err.Error()), " ")
			msg = strings.ReplaceAll(msg, `"`+ModelURL("portico", name)+`#"`, "the model")
			errs[name] = fmt.Errorf("not a valid JSON Schema: %s", msg)
			continue
		}
		schemas[name] = s
	}
	return schemas, errs
}

// missingRefs lists the models that doc's $refs name and the API does not define.
func missingRefs(doc any, docs modelLoader, depth int) []string {
	var out []string
	switch v := doc.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			base, _, _ := strings.Cut(ref, "#")
			if name, ok := modelName(base); ok && docs[name] == nil && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
		if depth < 64 {
			for _, e := range v {
				out = append(out, missingRefs(e, docs, depth+1)...)
			}
		}
	case []any:
		if depth < 64 {
			for _, e := range v {
				out = append(out, missingRefs(e, docs, depth+1)...)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Compile compiles one JSON Schema given as JSON text.
func Compile(schema string) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(noLoader{})
	const url = "urn:portico:model"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("not a valid JSON Schema: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	return s, nil
}
