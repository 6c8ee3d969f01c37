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

package gatewayresponse

import "net/http"

// Refusal is a step's typed error: the gateway response a request gets instead of going on.
// A step returns one (see proxy.StepFunc) and the request path renders it, in one place,
// with the API's overrides; no step writes a gateway response itself.
type Refusal struct {
	Type Type
	// Message replaces the type's default message when not empty (the missing parameters
	// of BAD_REQUEST_PARAMETERS). Headers a step sets on the response before it refuses
	// (Retry-After) stay.
	Message string
}

// Refuse returns the refusal of type t with its default message.
func Refuse(t Type) *Refusal { return &Refusal{Type: t} }

// RefuseMessage returns the refusal of type t with message.
func RefuseMessage(t Type, message string) *Refusal { return &Refusal{Type: t, Message: message} }

// RefuseRepeatedSource is the refusal of a request that carries an authorizer's identity
// source (header or query string parameter name) more than once: BAD_REQUEST_PARAMETERS,
// whose default message would name missing parameters where none is missing.
func RefuseRepeatedSource(name string) *Refusal {
	return RefuseMessage(BadRequestParameters, "Invalid request parameters: identity source "+name+" sent more than once")
}

func (r *Refusal) Error() string {
	if r.Message != "" {
		return r.Type.String() + ": " + r.Message
	}
	return r.Type.String()
}

// Render writes the refusal as the gateway response of its type under s.
func (r *Refusal) Render(w http.ResponseWriter, req *http.Request, s *Set, requestID string) {
	WriteMessage(w, req, r.Type, r.Message, s, requestID)
}
