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

package openapi

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// modelsOf turns the document's schemas into models, references inlined: a model stands alone.
func (im *importer) modelsOf(spec *apiv1.RestApiSpec) error {
	taken := map[string]bool{}
	for _, name := range sortedKeys(im.schemas) {
		m := modelName(name)
		if taken[m] {
			m = modelName(m + digest(name))
		}
		taken[m] = true
		im.models[name] = m
	}
	for _, name := range sortedKeys(im.schemas) {
		ptr := pointer("components", "schemas", name)
		if im.swagger {
			ptr = pointer("definitions", name)
		}
		var v any
		if err := json.Unmarshal(im.schemas[name], &v); err != nil {
			return &Error{File: im.file, Pointer: ptr, Err: err}
		}
		v, err := im.inline(v, map[string]bool{name: true})
		if err != nil {
			im.omit(ptr, "model "+name, err.Error())
			delete(im.models, name)
			continue
		}
		if spec.Models == nil {
			spec.Models = map[string]apiv1.Model{}
		}
		spec.Models[im.models[name]] = apiv1.Model{ContentType: "application/json", Schema: runtime.RawExtension{Raw: marshalJSON(v)}}
	}
	return nil
}

// modelContentTypes gives each model the media type it validates request bodies of, when
// the document uses it under one only (AWS's model has a content type; OpenAPI keeps it
// with each use); application/json otherwise. An operation validating one media type, with
// a model of that type, gets the model as its body: what the export writes for a body.
func (im *importer) modelContentTypes(spec *apiv1.RestApiSpec) {
	types := map[apiv1.ModelName]map[string]bool{} // model -> the media types it validates
	for _, v := range im.bodies {
		for ct, name := range v.Bodies {
			if types[name] == nil {
				types[name] = map[string]bool{}
			}
			types[name][ct] = true
		}
	}
	for name, cts := range types {
		m, ok := spec.Models[string(name)]
		if _, explicit := im.modelTypes[string(name)]; !ok || explicit || len(cts) != 1 {
			continue
		}
		for ct := range cts {
			m.ContentType = ct
		}
		spec.Models[string(name)] = m
	}
	for _, v := range im.bodies {
		if len(v.Bodies) != 1 {
			continue
		}
		for ct, name := range v.Bodies {
			if m, ok := spec.Models[string(name)]; ok && m.ContentType == ct {
				v.Body, v.Bodies = string(name), nil
			}
		}
	}
}

// inline replaces each $ref to a schema of the document by the schema itself.
func (im *importer) inline(v any, seen map[string]bool) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		if ref, ok := t["$ref"].(string); ok {
			name := refName(ref)
			raw, ok := im.schemas[name]
			if !ok {
				return nil, fmt.Errorf("$ref %s names no schema of the document", ref)
			}
			if seen[name] {
				return nil, fmt.Errorf("$ref %s is recursive; a Portico model cannot refer to itself", ref)
			}
			var sub any
			if err := json.Unmarshal(raw, &sub); err != nil {
				return nil, err
			}
			seen[name] = true
			defer delete(seen, name)
			return im.inline(sub, seen)
		}
		for k, e := range t {
			r, err := im.inline(e, seen)
			if err != nil {
				return nil, err
			}
			t[k] = r
		}
	case []any:
		for i, e := range t {
			r, err := im.inline(e, seen)
			if err != nil {
				return nil, err
			}
			t[i] = r
		}
	}
	return v, nil
}

// refName is the last segment of a schema reference: #/components/schemas/Pet,
// #/definitions/Pet, or AWS's https://apigateway.amazonaws.com/restapis/ID/models/Pet.
func refName(ref string) string {
	return ref[strings.LastIndex(ref, "/")+1:]
}
