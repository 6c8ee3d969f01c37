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
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Manifests writes the result's objects as YAML documents: the RestApi, its Authorizers,
// Routes and the Stage, in that order, without status or empty metadata.
func (r *Result) Manifests() ([]byte, error) {
	var objs []any
	objs = append(objs, r.RestApi)
	for i := range r.Authorizers {
		objs = append(objs, &r.Authorizers[i])
	}
	for i := range r.Routes {
		objs = append(objs, &r.Routes[i])
	}
	objs = append(objs, r.Stage)
	var out bytes.Buffer
	for i, o := range objs {
		m := map[string]any{}
		if err := json.Unmarshal(marshalJSON(o), &m); err != nil {
			return nil, err
		}
		delete(m, "status")
		if md, ok := m["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}

// Summary is the report written beside the manifests: what was imported, and each thing
// that was not, with its reason.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "imported RestApi %s: %d routes, %d authorizers, stage %s\n", r.RestApi.Name, len(r.Routes), len(r.Authorizers), r.Stage.Spec.StageName)
	if len(r.Omissions) == 0 {
		b.WriteString("everything in the document was carried over\n")
	} else {
		fmt.Fprintf(&b, "not carried over (%d):\n", len(r.Omissions))
		for _, o := range r.Omissions {
			fmt.Fprintf(&b, "  %s\n", o)
		}
	}
	if len(r.Placeholders) > 0 {
		b.WriteString("Lambda functions to point at an HTTP function (pass --function ARN=URL, or replace the host in the manifests):\n")
		for _, p := range r.Placeholders {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	return b.String()
}
