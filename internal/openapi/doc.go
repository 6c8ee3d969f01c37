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

// Package openapi converts between Amazon API Gateway's OpenAPI exports (Swagger 2.0 and
// OpenAPI 3.0/3.1 with the x-amazon-apigateway-* extensions, of REST and HTTP APIs) and
// Portico's resources. Import maps every extension it can onto a RestApi, its Routes,
// Authorizers and a Stage, and reports each one it cannot, with the reason and where it is in
// the document: nothing is dropped silently. Export writes a RestApi and its Routes back as
// OpenAPI 3.0 with the same extensions, so that importing an export compiles to the same
// revision. Documents are read with kin-openapi; Swagger 2.0 is converted to 3.0 by its
// openapi2conv first, so that one mapping serves every version.
package openapi

import (
	"fmt"
	"strings"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Options tune an import.
type Options struct {
	// Name is the RestApi's name; empty derives it from info.title.
	Name string
	// Namespace is set on every object; empty leaves it unset (kubectl's current namespace).
	Namespace string
	// Stage is the stage name; empty takes the export's base path (servers' basePath
	// variable, or Swagger's basePath), else "prod".
	Stage string
	// Functions maps a Lambda function ARN, or a function name, to the URL Portico calls
	// for it (an HTTP service speaking the Lambda invoke contract, such as the Lambda
	// Runtime Interface Emulator: http://fn.ns.svc:8080/2015-03-31/functions/function/invocations).
	Functions map[string]string
}

// Result is what an import produces.
type Result struct {
	RestApi     *apiv1.RestApi
	Routes      []apiv1.Route
	Authorizers []apiv1.Authorizer
	Stage       *apiv1.Stage
	// Omissions are what was not carried over, each with its reason, in document order.
	Omissions []Omission
	// Placeholders are the Lambda functions no --function named: their URIs hold
	// PORTICO_FUNCTION_<NAME> hosts the user fills in.
	Placeholders []string
}

// Omission is one part of the document that was not carried over.
type Omission struct {
	// Pointer is where it is: a JSON pointer into the document (#/paths/~1pets/get/...).
	Pointer string
	// What names it, Why says why it is not carried over.
	What, Why string
}

func (o Omission) String() string { return fmt.Sprintf("%s: %s: %s", o.Pointer, o.What, o.Why) }

// Error is an invalid document: where, and what is wrong.
type Error struct {
	// File is the input's name; Line is set for syntax errors, Pointer for the others.
	File    string
	Line    int
	Pointer string
	Err     error
}

func (e *Error) Error() string {
	loc := e.File
	switch {
	case e.Line > 0:
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	case e.Pointer != "":
		loc += e.Pointer
	}
	return loc + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// pointer builds a JSON pointer from reference tokens, escaped per RFC 6901.
func pointer(tokens ...string) string {
	var b strings.Builder
	b.WriteString("#")
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}
