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

// Package gatewayresponse writes the errors the gateway answers itself: JSON
// {"message": "..."} with the status of API.md's table, an x-portico-error-type header and the
// request id, as overridden by the API's gatewayResponses. Every step of the request path
// that refuses a request (routing, authorization, throttling, validation, integration) answers
// through Write, so that overrides apply everywhere alike.
package gatewayresponse

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/mapping"
)

// Type is a gateway response type.
type Type int

// The response types of API.md, in its order, then AWS's API_CONFIGURATION_ERROR (a mapping
// template that fails at run time), which API.md's table leaves out. DEFAULT_4XX and
// DEFAULT_5XX are not types a step answers with: they are overrides that apply to every type
// of their class.
const (
	ResourceNotFound Type = iota
	MissingAuthenticationToken
	InvalidAPIKey
	AccessDenied
	Unauthorized
	ExpiredToken
	AuthorizerFailure
	Throttled
	QuotaExceeded
	BadRequestBody
	BadRequestParameters
	RequestTooLarge
	UnsupportedMediaType
	IntegrationFailure
	IntegrationTimeout
	APIConfigurationError
	numTypes
)

// HeaderErrorType names the response type on every gateway response.
const HeaderErrorType = "X-Portico-Error-Type"

// HeaderRequestID carries the request id on every response.
const HeaderRequestID = "X-Request-Id"

// Default4XX and Default5XX are the names of the class-wide overrides.
const (
	Default4XX = "DEFAULT_4XX"
	Default5XX = "DEFAULT_5XX"
)

var defaults = [numTypes]struct {
	name    string
	status  int
	message string
}{
	ResourceNotFound:           {"RESOURCE_NOT_FOUND", 404, "Not Found"},
	MissingAuthenticationToken: {"MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token"},
	InvalidAPIKey:              {"INVALID_API_KEY", 403, "Forbidden"},
	AccessDenied:               {"ACCESS_DENIED", 403, "User is not authorized to access this resource"},
	Unauthorized:               {"UNAUTHORIZED", 401, "Unauthorized"},
	ExpiredToken:               {"EXPIRED_TOKEN", 401, "Unauthorized"},
	AuthorizerFailure:          {"AUTHORIZER_FAILURE", 500, "Authorizer error"},
	Throttled:                  {"THROTTLED", 429, "Too Many Requests"},
	QuotaExceeded:              {"QUOTA_EXCEEDED", 429, "Limit Exceeded"},
	BadRequestBody:             {"BAD_REQUEST_BODY", 400, "Invalid request body"},
	BadRequestParameters:       {"BAD_REQUEST_PARAMETERS", 400, "Missing required request parameters: []"},
	RequestTooLarge:            {"REQUEST_TOO_LARGE", 413, "Request Too Long (10 MB limit)"},
	UnsupportedMediaType:       {"UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type"},
	IntegrationFailure:         {"INTEGRATION_FAILURE", 502, "Internal server error"},
	IntegrationTimeout:         {"INTEGRATION_TIMEOUT", 504, "Endpoint request timed out"},
	APIConfigurationError:      {"API_CONFIGURATION_ERROR", 500, "Internal server error"},
}

// String is the type's name as users write it ("THROTTLED").
func (t Type) String() string {
	if t < 0 || t >= numTypes {
		return "Type(" + strconv.Itoa(int(t)) + ")"
	}
	return defaults[t].name
}

// Status is the type's default status code.
func (t Type) Status() int { return defaults[t].status }

// Message is the type's default message.
func (t Type) Message() string { return defaults[t].message }

// Types lists every type, for tests and documentation.
func Types() []Type {
	out := make([]Type, numTypes)
	for i := range out {
		out[i] = Type(i)
	}
	return out
}

// Parse returns the type named name.
func Parse(name string) (Type, bool) {
	for i := range defaults {
		if defaults[i].name == name {
			return Type(i), true
		}
	}
	return 0, false
}

// response is one resolved response: the default with its override applied.
type response struct {
	status int
	// statusSet is set when an override chose the status.
	statusSet bool
	headers   http.Header // added after the defaults, canonical keys
	// params are the headers from the request (responseParameters), set after headers.
	params []mapping.GatewayResponseMapping
	body   []byte // nil: the default body with the message
	// templated is set when body holds $context variables to substitute.
	templated bool
	// templates are the mapping templates by content type; they take precedence over body.
	templates *templateSet
}

// Set is the gateway responses of one API, resolved for every type. The zero value and nil
// are the defaults. A Set is immutable.
type Set struct {
	byType [numTypes]response
}

// Compile resolves an API's gatewayResponses. It fails on an unknown type name or an
// invalid status code.
func Compile(overrides map[string]*xdsv1alpha1.GatewayResponse) (*Set, error) {
	for name, o := range overrides {
		if _, ok := Parse(name); !ok && name != Default4XX && name != Default5XX {
			return nil, fmt.Errorf("gateway response %q is not a response type", name)
		}
		if o == nil {
			continue
		}
		if o.GetStatusCode() != 0 && (o.GetStatusCode() < 100 || o.GetStatusCode() > 599) {
			return nil, fmt.Errorf("gateway response %s: status code %d is not an HTTP status", name, o.GetStatusCode())
		}
		for k, v := range o.GetHeaders() {
			if !validHeader(k, v) {
				return nil, fmt.Errorf("gateway response %s: header %q is not a valid header", name, k)
			}
		}
	}
	params := make(map[string][]mapping.GatewayResponseMapping, len(overrides))
	for name, o := range overrides {
		for _, k := range slices.Sorted(maps.Keys(o.GetResponseParameters())) {
			m, err := mapping.ParseGatewayResponseMapping(k, o.GetResponseParameters()[k])
			if err != nil {
				return nil, fmt.Errorf("gateway response %s: %w", name, err)
			}
			if !mapping.ReservedHeader(m.Header) { // the compiler reports them
				params[name] = append(params[name], m)
			}
		}
	}
	s := &Set{}
	var err error
	for t := range numTypes {
		r := response{status: defaults[t].status}
		name := defaults[t].name
		if overrides[name] == nil {
			name = Default5XX
			if r.status < 500 {
				name = Default4XX
			}
		}
		if o := overrides[name]; o != nil {
			r.params = params[name]
			if o.GetStatusCode() != 0 {
				r.status, r.statusSet = int(o.GetStatusCode()), true
			}
			if len(o.GetHeaders()) > 0 {
				r.headers = make(http.Header, len(o.GetHeaders()))
				for k, v := range o.GetHeaders() {
					if !mapping.ReservedHeader(textproto.CanonicalMIMEHeaderKey(k)) { // the compiler reports them
						r.headers.Set(k, v)
					}
				}
			}
			if o.Body != nil {
				r.body = []byte(o.GetBody())
				r.templated = strings.Contains(o.GetBody(), "$context.")
			}
			if r.templates, err = compileTemplates(defaults[t].name, o.GetTemplates()); err != nil {
				return nil, err
			}
		}
		s.byType[t] = r
	}
	return s, nil
}

func validHeader(k, v string) bool {
	// The compiler's functions, which refuse the header with a condition on the RestApi.
	return mapping.ValidHeaderName(k) && mapping.ValidHeaderValue(v)
}

// Status is the status code the Set answers t with.
func (s *Set) Status(t Type) int {
	if s == nil {
		return defaults[t].status
	}
	return s.byType[t].status
}

// Write answers r with the gateway response t, as overridden by s (nil for the defaults),
// and records it in the request's reqctx for the access log. It must be called before
// anything else was written to w.
func Write(w http.ResponseWriter, r *http.Request, t Type, s *Set, requestID string) {
	WriteMessage(w, r, t, "", s, requestID)
}

// WriteMessage is Write with a message in place of the type's default, such as the missing
// parameters of BAD_REQUEST_PARAMETERS. An empty message keeps the default.
func WriteMessage(w http.ResponseWriter, r *http.Request, t Type, message string, s *Set, requestID string) {
	WriteAs(w, r, t, 0, message, s, requestID)
}

// WriteAs is WriteMessage with another default status than the type's (0 keeps it): a
// payload 2.0 function's failure is INTEGRATION_FAILURE answered 500 "Internal Server
// Error", as HTTP APIs answer it. An override of the type, or DEFAULT_4XX/5XX by the type's
// class, still applies; its status, when it sets one, wins.
func WriteAs(w http.ResponseWriter, r *http.Request, t Type, status int, message string, s *Set, requestID string) {
	if t < 0 || t >= numTypes {
		t = IntegrationFailure
	}
	if message == "" {
		message = defaults[t].message
	}
	resp := response{status: defaults[t].status}
	if s != nil {
		resp = s.byType[t]
	}
	if status != 0 && !resp.statusSet {
		resp.status = status
	}
	rc := reqctx.From(r.Context())
	validation := ""
	if rc != nil {
		rc.Error = reqctx.Error{Type: defaults[t].name, Message: message, ValidationErrorString: rc.Error.ValidationErrorString}
		validation = rc.Error.ValidationErrorString
		if requestID == "" {
			requestID = rc.ID
		}
	}

	var body []byte
	contentType := "application/json"
	rendered := false
	if resp.templates != nil {
		var ct string
		if ct, body, rendered = resp.templates.render(r, rc, t, message, requestID); rendered {
			contentType = ct
		}
	}
	switch {
	case rendered:
	case resp.body == nil:
		body = defaultBody(message)
	case resp.templated:
		body = []byte(substitute(string(resp.body), t, message, requestID, validation))
	default:
		body = resp.body
	}

	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set(HeaderErrorType, defaults[t].name)
	if requestID != "" {
		h.Set(HeaderRequestID, requestID)
	}
	if t == Throttled && h.Get("Retry-After") == "" {
		// The throttling step sets the exact wait; "1" when it did not.
		h.Set("Retry-After", "1")
	}
	for k, v := range resp.headers {
		h[k] = v
	}
	if len(resp.params) > 0 {
		setParams(h, resp.params, r, rc)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Content-Encoding")
	w.WriteHeader(resp.status)
	_, _ = w.Write(body)
}

// setParams sets the headers responseParameters map from the request. A value the request has
// not got leaves its header out, and so does one that cannot be a header's (a query string
// parameter decoded to a line break), rather than end the response's head early.
func setParams(h http.Header, params []mapping.GatewayResponseMapping, r *http.Request, rc *reqctx.Request) {
	if rc == nil {
		rc = &reqctx.Request{} // a refusal before the request's state exists: no route, no stage
	}
	var query url.Values
	for _, p := range params {
		if v := rc.Value(p.Source, r, &query); v != "" && mapping.ValidHeaderValue(v) {
			h.Set(p.Header, v)
		}
	}
}

func defaultBody(message string) []byte {
	m, _ := json.Marshal(message) // a string always marshals
	b := make([]byte, 0, len(m)+14)
	b = append(b, `{"message":`...)
	b = append(b, m...)
	return append(b, '}')
}

// substitute fills the $context variables Amazon API Gateway offers in gateway response
// templates. messageString is the message as a quoted JSON string, as in AWS.
func substitute(body string, t Type, message, requestID, validation string) string {
	quoted, _ := json.Marshal(message)
	return strings.NewReplacer(
		"$context.error.validationErrorString", validation,
		"$context.error.messageString", string(quoted),
		"$context.error.message", message,
		"$context.error.responseType", defaults[t].name,
		"$context.requestId", requestID,
	).Replace(body)
}
