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

// Command docgen writes docs/api.md, the field reference of Portico's custom resources,
// from the generated CRDs, so the reference always says what the API server enforces:
// every field with its type, default, validation and an example. `make manifests` runs it and
// `make verify` fails when the committed file differs.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// kindOrder is the order the reference presents the kinds in: as a user meets them.
var kindOrder = []string{"RestApi", "Route", "Authorizer", "UsagePlan", "Stage", "DomainName"}

func main() {
	crdDir := flag.String("crds", "config/crd/bases", "folder of generated CRDs")
	samples := flag.String("samples", "config/samples", "folder of sample manifests, shown as examples")
	intro := flag.String("intro", "hack/docgen/intro.md", "hand-written text placed before the reference")
	out := flag.String("out", "docs/api.md", "file to write")
	flag.Parse()

	crds, err := readCRDs(*crdDir)
	if err != nil {
		log.Fatal(err)
	}
	examples, err := readExamples(*samples)
	if err != nil {
		log.Fatal(err)
	}
	head, err := os.ReadFile(*intro)
	if err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	b.Write(head)
	for _, kind := range kindOrder {
		crd, ok := crds[kind]
		if !ok {
			log.Fatalf("no CRD for kind %s in %s", kind, *crdDir)
		}
		writeKind(&b, crd, examples[kind])
	}
	if len(missingExamples) > 0 {
		log.Fatalf("fields without an example: add \"Example: ...\" to their doc comments or use them in config/samples:\n  %s",
			strings.Join(missingExamples, "\n  "))
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func readCRDs(dir string) (map[string]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	crds := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		crds[crd.Spec.Names.Kind] = crd
	}
	return crds, nil
}

// readExamples returns, per kind, the sample documents of that kind (comments kept).
func readExamples(dir string) (map[string][]string, error) {
	docs, err := readSampleDocs(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, d := range docs {
		out[d.kind] = append(out[d.kind], d.text)
		sampleValues[d.kind] = append(sampleValues[d.kind], d.value)
	}
	return out, nil
}

type sampleDoc struct {
	kind, text string
	value      map[string]any
}

// sampleValues holds the decoded samples per kind, where fields find their examples.
var sampleValues = map[string][]map[string]any{}

func readSampleDocs(dir string) ([]sampleDoc, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []sampleDoc
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			var v map[string]any
			if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			kind, _ := v["kind"].(string)
			out = append(out, sampleDoc{kind: kind, text: strings.TrimSpace(doc), value: v})
		}
	}
	return out, nil
}

// sampleExample finds the value at path (as walk names it) in the samples of kind.
func sampleExample(kind, path string) (any, bool) {
	for _, obj := range sampleValues[kind] {
		if v, ok := lookup(obj, strings.Split(strings.ReplaceAll(path, "[]", ".[]"), ".")); ok {
			return v, true
		}
	}
	return nil, false
}

func lookup(v any, parts []string) (any, bool) {
	if len(parts) == 0 {
		return v, true
	}
	switch x := v.(type) {
	case map[string]any:
		if parts[0] == "<key>" {
			for _, k := range sortedAnyKeys(x) {
				if r, ok := lookup(x[k], parts[1:]); ok {
					return r, true
				}
			}
			return nil, false
		}
		if child, ok := x[parts[0]]; ok {
			return lookup(child, parts[1:])
		}
	case []any:
		if parts[0] == "[]" {
			for _, item := range x {
				if r, ok := lookup(item, parts[1:]); ok {
					return r, true
				}
			}
		}
	}
	return nil, false
}

func sortedAnyKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// flow renders a sample value on one line, as YAML flow style.
func flow(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

func writeKind(b *bytes.Buffer, crd *apiextensionsv1.CustomResourceDefinition, examples []string) {
	v := crd.Spec.Versions[0]
	names := crd.Spec.Names
	schema := v.Schema.OpenAPIV3Schema
	fmt.Fprintf(b, "\n## %s\n\n%s\n\n", names.Kind, oneLine(schema.Description))
	fmt.Fprintf(b, "`kubectl get %s` (short name `%s`, category `%s`) shows: %s.\n\n",
		names.Plural, strings.Join(names.ShortNames, "`, `"), strings.Join(names.Categories, "`, `"), columns(v.AdditionalPrinterColumns))
	if len(examples) > 0 {
		fmt.Fprintf(b, "```yaml\n%s\n```\n\n", strings.Join(examples, "\n---\n"))
	}
	b.WriteString("| Field | Type | Default | Validation | Description |\n|---|---|---|---|---|\n")
	for _, top := range []string{"spec", "status"} {
		prop := schema.Properties[top]
		walk(b, crd.Spec.Names.Kind, top, &prop, contains(schema.Required, top))
	}
}

func columns(cols []apiextensionsv1.CustomResourceColumnDefinition) string {
	var names []string
	for _, c := range cols {
		if c.Priority == 0 {
			names = append(names, c.Name)
		} else {
			names = append(names, c.Name+" (with -o wide)")
		}
	}
	return strings.Join(names, ", ")
}

// walk writes a row for the field at path and recurses into objects, maps and lists.
func walk(b *bytes.Buffer, kind, path string, s *apiextensionsv1.JSONSchemaProps, required bool) {
	if path == "status.conditions" {
		fmt.Fprintf(b, "| `%s` | []Condition | | | %s Standard `metav1.Condition`s: type, status, reason, message, observedGeneration, lastTransitionTime. |\n",
			path, cell(s.Description))
		return
	}
	fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", path, typeOf(s), defaultOf(s), validation(s, required), description(kind, path, s))
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		walk(b, kind, path+"."+name, &p, contains(s.Required, name))
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil && len(s.AdditionalProperties.Schema.Properties) > 0 {
		for _, name := range sortedKeys(s.AdditionalProperties.Schema.Properties) {
			p := s.AdditionalProperties.Schema.Properties[name]
			walk(b, kind, path+".<key>."+name, &p, contains(s.AdditionalProperties.Schema.Required, name))
		}
	}
	if s.Items != nil && s.Items.Schema != nil && len(s.Items.Schema.Properties) > 0 {
		for _, name := range sortedKeys(s.Items.Schema.Properties) {
			p := s.Items.Schema.Properties[name]
			walk(b, kind, path+"[]."+name, &p, contains(s.Items.Schema.Required, name))
		}
	}
}

func typeOf(s *apiextensionsv1.JSONSchemaProps) string {
	switch {
	case s.XIntOrString:
		return "quantity"
	case s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields:
		return "JSON object"
	case s.Type == "array" && s.Items != nil && s.Items.Schema != nil:
		return "[]" + typeOf(s.Items.Schema)
	case s.Type == "object" && s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
		return "map[string]" + typeOf(s.AdditionalProperties.Schema)
	case s.Type == "":
		return "any"
	}
	return s.Type
}

func defaultOf(s *apiextensionsv1.JSONSchemaProps) string {
	if s.Default == nil {
		return ""
	}
	return "`" + strings.TrimSpace(string(s.Default.Raw)) + "`"
}

func validation(s *apiextensionsv1.JSONSchemaProps, required bool) string {
	var v []string
	if required {
		v = append(v, "**required**")
	}
	v = append(v, bounds(s)...)
	if s.Items != nil && s.Items.Schema != nil {
		for _, item := range bounds(s.Items.Schema) {
			v = append(v, "each: "+item)
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		for _, item := range bounds(s.AdditionalProperties.Schema) {
			v = append(v, "each value: "+item)
		}
	}
	for _, r := range s.XValidations {
		v = append(v, "rule: "+r.Message)
	}
	return cell(strings.Join(v, "; "))
}

func bounds(s *apiextensionsv1.JSONSchemaProps) []string {
	var v []string
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			vals = append(vals, "`"+strings.Trim(string(e.Raw), `"`)+"`")
		}
		v = append(v, "one of "+strings.Join(vals, ", "))
	}
	if s.Minimum != nil && s.Maximum != nil {
		v = append(v, fmt.Sprintf("%g to %g", *s.Minimum, *s.Maximum))
	} else if s.Minimum != nil {
		v = append(v, fmt.Sprintf("at least %g", *s.Minimum))
	} else if s.Maximum != nil {
		v = append(v, fmt.Sprintf("at most %g", *s.Maximum))
	}
	for _, c := range []struct {
		n    *int64
		what string
	}{{s.MinLength, "min length"}, {s.MaxLength, "max length"}, {s.MinItems, "min items"}, {s.MaxItems, "max items"}, {s.MaxProperties, "max entries"}} {
		if c.n != nil {
			v = append(v, fmt.Sprintf("%s %d", c.what, *c.n))
		}
	}
	if s.Pattern != "" {
		v = append(v, "pattern `"+s.Pattern+"`")
	}
	if s.XListType != nil && *s.XListType == "set" {
		v = append(v, "unique")
	}
	return v
}

// description is the field's doc comment; its example is the "Example:" it gives, or else
// one made from the default or the first allowed value.
func description(kind, path string, s *apiextensionsv1.JSONSchemaProps) string {
	d := oneLine(s.Description)
	if strings.Contains(d, "Example:") || strings.HasPrefix(path, "status") {
		return cell(d)
	}
	if v, ok := externalExamples[path[strings.LastIndex(path, ".apiKeySelector")+1:]]; ok && strings.Contains(path, ".apiKeySelector.") {
		return cell(d + " Example: `" + v + "`.")
	}
	if v, ok := sampleExample(kind, path); ok && !isContainer(s) {
		return cell(d + " Example: `" + flow(v) + "`.")
	}
	switch {
	case len(s.Enum) > 0:
		d += " Example: `" + strings.Trim(string(s.Enum[0].Raw), `"`) + "`."
	case s.Default != nil:
		d += " Example: `" + strings.TrimSpace(string(s.Default.Raw)) + "`."
	case s.Type == "boolean":
		d += " Example: `true`."
	case !isContainer(s):
		missingExamples = append(missingExamples, kind+" "+path)
	}
	return cell(d)
}

// externalExamples are examples for fields of types Portico borrows (metav1.LabelSelector),
// whose doc comments are not ours to extend.
var externalExamples = map[string]string{
	"apiKeySelector.matchExpressions":            `[{"key":"tier","operator":"In","values":["gold","silver"]}]`,
	"apiKeySelector.matchExpressions[].key":      `tier`,
	"apiKeySelector.matchExpressions[].operator": `In`,
	"apiKeySelector.matchExpressions[].values":   `["gold","silver"]`,
}

// isContainer is true for objects whose fields have rows of their own.
func isContainer(s *apiextensionsv1.JSONSchemaProps) bool {
	return s.Type == "object" && len(s.Properties) > 0
}

// missingExamples lists the fields docgen found no example for; it fails on any.
var missingExamples []string

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func sortedKeys(m map[string]apiextensionsv1.JSONSchemaProps) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
