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
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"sigs.k8s.io/yaml"
)

// maxDocumentBytes bounds what is read: the largest AWS exports are a few MB.
const maxDocumentBytes = 16 << 20

// document is a loaded export: the OpenAPI 3 form and what the conversion from Swagger 2.0
// would otherwise lose.
type document struct {
	file    string
	doc     *openapi3.T
	swagger bool
	// basePath is the export's stage path ("/prod"), if it says one.
	basePath string
	// schemas are the document's schemas as written (components/schemas or definitions):
	// models are taken from these rather than from kin-openapi's typed form, which would
	// drop keywords OpenAPI does not know ($schema, definitions).
	schemas map[string]json.RawMessage
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// load parses data, YAML or JSON, as Swagger 2.0 or OpenAPI 3.x.
func load(file string, data []byte) (*document, error) {
	if len(data) > maxDocumentBytes {
		return nil, &Error{File: file, Pointer: "#", Err: fmt.Errorf("the document is larger than %d bytes", maxDocumentBytes)}
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		if e := jsonSyntaxError(file, data); e != nil {
			return nil, e
		}
		return nil, syntaxError(file, err)
	}
	var head struct {
		Swagger any `json:"swagger"`
		OpenAPI any `json:"openapi"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return nil, &Error{File: file, Pointer: "#", Err: errors.New("the document is not an object")}
	}
	if e := danglingRef(file, js); e != nil {
		return nil, e
	}
	d := &document{file: file}
	var raw struct {
		Definitions map[string]json.RawMessage `json:"definitions"`
		Components  struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, &Error{File: file, Pointer: "#/components/schemas", Err: err}
	}
	d.schemas = raw.Components.Schemas
	if head.Swagger != nil {
		d.schemas = raw.Definitions
	}
	switch {
	case head.Swagger != nil:
		if v, _ := head.Swagger.(string); v != "2.0" {
			return nil, &Error{File: file, Pointer: "#/swagger", Err: fmt.Errorf("swagger %v is not 2.0", head.Swagger)}
		}
		var d2 openapi2.T
		if err := json.Unmarshal(js, &d2); err != nil {
			return nil, &Error{File: file, Pointer: "#", Err: fmt.Errorf("not a Swagger 2.0 document: %w", err)}
		}
		d.swagger, d.basePath = true, d2.BasePath
		if d.doc, err = openapi2conv.ToV3(&d2); err != nil {
			return nil, &Error{File: file, Pointer: "#", Err: fmt.Errorf("converting Swagger 2.0: %w", err)}
		}
	case head.OpenAPI != nil:
		if v, _ := head.OpenAPI.(string); !strings.HasPrefix(v, "3.") {
			return nil, &Error{File: file, Pointer: "#/openapi", Err: fmt.Errorf("openapi %v is not 3.x", head.OpenAPI)}
		}
		loader := openapi3.NewLoader()
		// An export stands alone; a reference to another file or URL is not followed.
		loader.IsExternalRefsAllowed = false
		if d.doc, err = loader.LoadFromData(js); err != nil {
			return nil, &Error{File: file, Pointer: "#", Err: fmt.Errorf("not an OpenAPI 3 document: %w", err)}
		}
		for _, s := range d.doc.Servers {
			if s == nil {
				continue
			}
			if v := s.Variables["basePath"]; v != nil {
				d.basePath = v.Default
				break
			}
		}
	default:
		return nil, &Error{File: file, Pointer: "#", Err: errors.New("neither swagger: \"2.0\" nor openapi: \"3.x\"; not an OpenAPI document")}
	}
	if d.doc.Paths == nil {
		d.doc.Paths = openapi3.NewPaths()
	}
	return d, nil
}

// jsonSyntaxError is a JSON document's syntax error at the line it is on, or nil for a
// document that is not JSON (YAML) or has none: the YAML reader, which reads JSON too, names
// the line of the object an error is in (a missing comma on line 10 of an object opened on
// line 9 was "line 9").
func jsonSyntaxError(file string, data []byte) *Error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil
	}
	var v any
	var se *json.SyntaxError
	if err := json.Unmarshal(data, &v); !errors.As(err, &se) {
		return nil
	}
	return &Error{File: file, Line: bytes.Count(data[:se.Offset], []byte("\n")) + 1, Err: se}
}

// syntaxError gives a YAML or JSON syntax error the line it names.
func syntaxError(file string, err error) *Error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	e := &Error{File: file, Err: errors.New(msg)}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
	} else {
		e.Line = 1
	}
	return e
}

// ext decodes the extension name of exts into out; ok is false when it is absent.
func ext(exts map[string]any, name string, out any) (ok bool, err error) {
	v, ok := exts[name]
	if !ok {
		return false, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return true, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return true, fmt.Errorf("%s: %w", name, err)
	}
	return true, nil
}

// danglingRef is the first local $ref of the document (js, JSON) that names nothing in it,
// as an error at the $ref itself: the OpenAPI loader's own error names only the target.
func danglingRef(file string, js []byte) *Error {
	var root any
	if json.Unmarshal(js, &root) != nil {
		return nil // the loaders report it
	}
	var walk func(v any, at []string) *Error
	walk = func(v any, at []string) *Error {
		switch t := v.(type) {
		case map[string]any:
			if ref, ok := t["$ref"].(string); ok && strings.HasPrefix(ref, "#/") && !resolves(root, ref) {
				return &Error{File: file, Pointer: pointer(append(at, "$ref")...), Err: fmt.Errorf("$ref %s names nothing in the document", ref)}
			}
			for _, k := range sortedKeys(t) {
				if e := walk(t[k], append(at, k)); e != nil {
					return e
				}
			}
		case []any:
			for i, e := range t {
				if err := walk(e, append(at, strconv.Itoa(i))); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, nil)
}

// resolves reports whether the JSON pointer of ref ("#/a/b~1c") names a value of root.
func resolves(root any, ref string) bool {
	v := root
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		if u, err := url.PathUnescape(tok); err == nil {
			tok = u
		}
		switch t := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = t[tok]; !ok {
				return false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return false
			}
			v = t[i]
		default:
			return false
		}
	}
	return true
}
