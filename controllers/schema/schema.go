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

// Package schema validates and defaults Portico objects offline, with the generated CRDs'
// OpenAPI schemas and CEL rules, through the same apiextensions-apiserver code a cluster's API
// server runs. The standalone mode reads manifests from files with no API server in front of
// them; this gives it the same defaults and the same error messages as `kubectl apply`.
package schema

import (
	"context"
	"fmt"
	"io/fs"
	"sort"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/portico-dev/portico/config/crd"
)

// Validator validates and defaults objects of the kinds its CRDs define.
type Validator struct {
	kinds map[string]*kindSchema // by "apiVersion/kind"
}

type kindSchema struct {
	structural *structuralschema.Structural
	openapi    validation.SchemaValidator
	cel        *cel.Validator
}

// New builds a Validator from the embedded CRDs.
func New() (*Validator, error) { return FromFS(crd.Bases, "bases") }

// FromFS builds a Validator from the CRD YAML files in dir of fsys.
func FromFS(fsys fs.FS, dir string) (*Validator, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	v := &Validator{kinds: map[string]*kindSchema{}}
	for _, e := range entries {
		data, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		var c apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		for _, ver := range c.Spec.Versions {
			if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
				continue
			}
			ks, err := newKindSchema(ver.Schema.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", c.Spec.Names.Kind, ver.Name, err)
			}
			v.kinds[c.Spec.Group+"/"+ver.Name+"/"+c.Spec.Names.Kind] = ks
		}
	}
	return v, nil
}

func newKindSchema(in *apiextensionsv1.JSONSchemaProps) (*kindSchema, error) {
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(in, internal, nil); err != nil {
		return nil, err
	}
	structural, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, err
	}
	openapi, _, err := validation.NewSchemaValidator(internal)
	if err != nil {
		return nil, err
	}
	return &kindSchema{structural: structural, openapi: openapi, cel: cel.NewValidator(structural, true, celconfig.PerCallLimit)}, nil
}

// Knows reports whether the validator has a schema for apiVersion and kind.
func (v *Validator) Knows(apiVersion, kind string) bool {
	_, ok := v.kinds[apiVersion+"/"+kind]
	return ok
}

// DefaultAndValidate applies the schema's defaults to obj (a decoded JSON object) in place
// and validates it with the OpenAPI schema and the CEL rules. The errors read as the API
// server's do: field path, value, and the rule's message.
func (v *Validator) DefaultAndValidate(obj map[string]any) field.ErrorList {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	ks, ok := v.kinds[apiVersion+"/"+kind]
	if !ok {
		return field.ErrorList{field.NotSupported(field.NewPath("kind"), kind, v.kindNames())}
	}
	defaulting.Default(obj, ks.structural)
	var errs field.ErrorList
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	for _, msg := range apivalidation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), name, msg))
	}
	errs = append(errs, validation.ValidateCustomResource(nil, obj, ks.openapi)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, ks.structural, obj)...)
	celErrs, _ := ks.cel.Validate(context.Background(), nil, ks.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

func (v *Validator) kindNames() []string {
	var out []string
	for k := range v.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
