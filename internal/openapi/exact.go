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
	"bytes"
	"fmt"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
)

// addExact imports doc back and compiles both: each Route, Authorizer, or the RestApi's own
// settings that AWS's form does not carry to the same compiled API gets its exact Portico spec
// as x-portico-*. The comparison is of compiled forms, so defaults written out or left
// implicit do not count as differences.
func addExact(doc map[string]any, in ExportInput, ops map[string]map[string]any, schemes map[string]any) error {
	api := in.RestApi
	orig := compiledAPI(compile.Inputs{RestApis: []apiv1.RestApi{*api}, Routes: in.Routes, Authorizers: in.Authorizers})
	back, err := reimport(doc, api)
	if err != nil {
		return err
	}
	got := compiledAPI(inputsOf(back))
	if orig == nil || got == nil {
		return fmt.Errorf("the RestApi %s does not compile", api.Name)
	}
	routes := map[string]ir.Route{}
	for _, r := range got.Routes {
		routes[r.Name] = r
	}
	for _, r := range orig.Routes {
		b, ok := routes[r.Name]
		if !ok || !bytes.Equal(marshalJSON(r), marshalJSON(b)) {
			for i := range in.Routes {
				if s := &in.Routes[i]; s.Name == r.Name && ops[s.Name] != nil {
					ops[s.Name][xPortico] = portico{Integration: s.Spec.Integration, CacheKeyParameters: s.Spec.CacheKeyParameters, RequestValidation: s.Spec.RequestValidation}
				}
			}
		}
	}
	authz := map[string]ir.Authorizer{}
	for _, a := range got.Authorizers {
		authz[a.Name] = a
	}
	for _, a := range orig.Authorizers {
		if b, ok := authz[a.Name]; ok && bytes.Equal(marshalJSON(a), marshalJSON(b)) {
			continue
		}
		for i := range in.Authorizers {
			if s := &in.Authorizers[i]; s.Name == a.Name && schemes[s.Name] != nil {
				schemes[s.Name].(map[string]any)[xPorticoAuthorizer] = s.Spec
			}
		}
	}
	o, g := *orig, *got
	o.Routes, o.Authorizers, g.Routes, g.Authorizers = nil, nil, nil, nil
	if !bytes.Equal(marshalJSON(o), marshalJSON(g)) {
		spec := api.Spec.DeepCopy()
		spec.Models, spec.DefaultAuthorization, spec.Description = nil, nil, ""
		doc[xPorticoAPI] = spec
	}
	// Check the result as a whole.
	back, err = reimport(doc, api)
	if err != nil {
		return err
	}
	if got := compiledAPI(inputsOf(back)); got == nil || compile.HashAPI(got) != compile.HashAPI(orig) {
		return fmt.Errorf("the export of RestApi %s would not import back to the same API", api.Name)
	}
	// disableDefaultEndpoint is compiled onto the stages, not into the API: compare it here.
	if back.RestApi.Spec.DisableDefaultEndpoint != api.Spec.DisableDefaultEndpoint {
		return fmt.Errorf("the export of RestApi %s would not import back its disableDefaultEndpoint", api.Name)
	}
	return nil
}

func reimport(doc map[string]any, api *apiv1.RestApi) (*Result, error) {
	res, err := Import("export", marshalJSON(doc), Options{Name: api.Name, Namespace: api.Namespace})
	if err != nil {
		return nil, fmt.Errorf("the export does not import: %w", err)
	}
	return res, nil
}

func inputsOf(r *Result) compile.Inputs {
	return compile.Inputs{RestApis: []apiv1.RestApi{*r.RestApi}, Routes: r.Routes, Authorizers: r.Authorizers}
}

// compiledAPI is the API in compiles to, or nil.
func compiledAPI(in compile.Inputs) *ir.API {
	out := compile.Compile(in)
	if len(out.NewRevisions) != 1 {
		return nil
	}
	return out.NewRevisions[0].API
}
