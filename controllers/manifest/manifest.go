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

// Package manifest decodes Kubernetes YAML manifests (multi-document files, and folders of
// them) into the compiler's inputs. The standalone mode reads its configuration with it, and
// the compiler's golden tests read their cases with it.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

// Document is one decoded manifest.
type Document struct {
	// Source is "<file>#<index>" for error messages.
	Source string
	Kind   string
	Object any
}

func orNone(apiVersion string) string {
	if apiVersion == "" {
		return "no apiVersion"
	}
	return "apiVersion " + apiVersion
}

// ErrUnsupported marks a document of a kind Portico does not read; Decode skips those.
var ErrUnsupported = errors.New("unsupported kind")

// Validator defaults and validates a decoded object in place (see controllers/schema).
type Validator interface {
	Knows(apiVersion, kind string) bool
	DefaultAndValidate(obj map[string]any) field.ErrorList
}

// Decode decodes every YAML document in data. source names the data in errors. Unknown
// fields are errors: a misspelt field in a file must not be silently dropped.
func Decode(data []byte, source string) ([]Document, error) {
	return DecodeValidated(data, source, nil)
}

// DecodeValidated is Decode that, with a non-nil validator, first applies the schema's
// defaults to each Portico object and refuses it when it is invalid, as an API server would.
func DecodeValidated(data []byte, source string, v Validator) ([]Document, error) {
	var docs []Document
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, i+1, err)
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			continue
		}
		doc, err := decodeOne(raw, fmt.Sprintf("%s#%d", source, i+1), v)
		if errors.Is(err, ErrUnsupported) {
			continue // another component's object (a Deployment...): not Portico's business
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
}

func decodeOne(raw []byte, source string, v Validator) (Document, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(raw, &tm); err != nil {
		return Document{}, fmt.Errorf("%s: %w", source, err)
	}
	if v != nil && v.Knows(tm.APIVersion, tm.Kind) {
		defaulted, err := validate(raw, v)
		if err != nil {
			return Document{}, fmt.Errorf("%s: %s: %w", source, tm.Kind, err)
		}
		raw = defaulted
	}
	var obj any
	switch {
	case tm.APIVersion == apiv1.GroupVersion.String() && tm.Kind == "RestApi":
		obj = &apiv1.RestApi{}
	case tm.APIVersion == apiv1.GroupVersion.String() && tm.Kind == "Route":
		obj = &apiv1.Route{}
	case tm.APIVersion == apiv1.GroupVersion.String() && tm.Kind == "Authorizer":
		obj = &apiv1.Authorizer{}
	case tm.APIVersion == apiv1.GroupVersion.String() && tm.Kind == "UsagePlan":
		obj = &apiv1.UsagePlan{}
	case tm.APIVersion == apiv1.GroupVersion.String() && tm.Kind == "Stage":
		obj = &apiv1.Stage{}
	case tm.APIVersion == apiv1.GroupVersion.String() && tm.Kind == "DomainName":
		obj = &apiv1.DomainName{}
	case tm.APIVersion == "v1" && tm.Kind == "Secret":
		obj = &corev1.Secret{}
	case tm.APIVersion == "v1" && tm.Kind == "ConfigMap":
		obj = &corev1.ConfigMap{}
	case tm.APIVersion == "v1" && tm.Kind == "Service":
		obj = &corev1.Service{}
	case tm.APIVersion == "discovery.k8s.io/v1" && tm.Kind == "EndpointSlice":
		obj = &discoveryv1.EndpointSlice{}
	case tm.APIVersion == apiv1.GroupVersion.String() || tm.APIVersion == "":
		// A misspelt kind of Portico's own group, or a document with no type at all, is a
		// mistake to report, not another component's object to skip.
		return Document{}, fmt.Errorf("%s: unknown kind %q of %s: Portico reads RestApi, Route, Authorizer, UsagePlan, Stage and DomainName, and Secrets, ConfigMaps, Services and EndpointSlices", source, tm.Kind, orNone(tm.APIVersion))
	default:
		return Document{Source: source, Kind: tm.Kind}, fmt.Errorf("%s: %w %s %q", source, ErrUnsupported, tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(raw, obj); err != nil {
		return Document{}, fmt.Errorf("%s: %s: %w", source, tm.Kind, err)
	}
	return Document{Source: source, Kind: tm.Kind, Object: obj}, nil
}

// validate defaults and validates one object, returning it as JSON with the defaults.
func validate(raw []byte, v Validator) ([]byte, error) {
	data, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	// apimachinery's JSON decoding keeps integers as int64, as the API server's does: the
	// schema validators tell integers from numbers.
	if err := utiljson.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	if errs := v.DefaultAndValidate(obj); len(errs) > 0 {
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		return nil, fmt.Errorf("%q is invalid: %w", name, errs.ToAggregate())
	}
	return json.Marshal(obj)
}

// AddTo appends the documents to the compiler inputs, placing objects without a namespace in
// namespace.
func AddTo(in *compile.Inputs, docs []Document, namespace string) {
	for _, d := range docs {
		if m, ok := d.Object.(metav1.Object); ok && m.GetNamespace() == "" {
			m.SetNamespace(namespace)
		}
		switch o := d.Object.(type) {
		case *apiv1.RestApi:
			in.RestApis = append(in.RestApis, *o)
		case *apiv1.Route:
			in.Routes = append(in.Routes, *o)
		case *apiv1.Authorizer:
			in.Authorizers = append(in.Authorizers, *o)
		case *apiv1.UsagePlan:
			in.UsagePlans = append(in.UsagePlans, *o)
		case *apiv1.Stage:
			in.Stages = append(in.Stages, *o)
		case *apiv1.DomainName:
			in.DomainNames = append(in.DomainNames, *o)
		case *corev1.Secret:
			in.Secrets = append(in.Secrets, withStringData(*o))
		case *corev1.ConfigMap:
			in.ConfigMaps = append(in.ConfigMaps, *o)
		case *corev1.Service:
			in.Services = append(in.Services, *o)
		case *discoveryv1.EndpointSlice:
			in.EndpointSlices = append(in.EndpointSlices, *o)
		}
	}
}

// Files lists the .yaml, .yml and .json files of path: the file itself, or every such file
// under a folder, recursively, sorted.
func Files(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != path {
			return filepath.SkipDir
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				out = append(out, p)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// withStringData is s as the API server stores it: stringData merged into data (its keys
// winning), as a kubernetes.io/tls Secret written with stringData: {tls.crt: ...} is read.
func withStringData(s corev1.Secret) corev1.Secret {
	if len(s.StringData) == 0 {
		return s
	}
	data := make(map[string][]byte, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		data[k] = v
	}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	s.Data, s.StringData = data, nil
	return s
}
