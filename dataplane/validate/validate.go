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

// Package validate is the request validation step: a route's requiredParameters (query
// string, header and path) and its body models (JSON Schema, draft 4 unless the model says
// otherwise), checked after authorization and before the cache and the integration, as in
// Amazon API Gateway. A missing parameter answers 400 BAD_REQUEST_PARAMETERS
// {"message": "Missing required request parameters: [page, x-trace]"}; a body that is not
// JSON or breaks its model answers 400 BAD_REQUEST_BODY {"message": "Invalid request body"}.
// Either way $context.error.validationErrorString says what was wrong, for access logs and
// gateway response templates.
//
// Models are compiled once per stage build (shared by its routes through the build's
// Scope); the body is read once, bounded, and decoded once per request into the form the
// request template reads too (reqctx.Body.JSON).
package validate

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// modelsKey keys an API's compiled models in a stage build's Scope: the stable and canary
// variants may serve different revisions, each with its models.
type modelsKey struct{ api *xdsv1alpha1.Api }

// NewStep returns the validation step.
func NewStep() proxy.Step {
	return func(rt *proxy.Route, next http.Handler) (http.Handler, error) {
		v, err := build(rt)
		if err != nil || v == nil {
			return next, err
		}
		v.next = next
		return proxy.Handler(rt, v.serve), nil
	}
}

type location uint8

const (
	inQuery location = iota
	inHeader
	inPath
)

// required is one required parameter.
type required struct {
	in   location
	name string // canonical for a header
	show string // as the message names it: the name as written
}

// validator is one route's validation.
type validator struct {
	params    []required
	needQuery bool
	// byType are the schemas by media type; fallback applies to the others (nil: none).
	byType   map[string]*Model
	fallback *Model
	next     http.Handler
}

func build(rt *proxy.Route) (*validator, error) {
	rv := rt.Route.GetValidation()
	if rv == nil || (rv.GetBodyModel() == "" && len(rv.GetBodyModels()) == 0 && len(rv.GetRequiredParameters()) == 0) {
		return nil, nil
	}
	v := &validator{}
	for _, p := range rv.GetRequiredParameters() {
		kind, name, ok := strings.Cut(p, ".")
		if !ok || name == "" {
			return nil, fmt.Errorf("required parameter %q is not querystring.<name>, header.<name> or path.<name>", p)
		}
		switch kind {
		case "querystring":
			v.params = append(v.params, required{in: inQuery, name: name, show: name})
			v.needQuery = true
		case "header":
			v.params = append(v.params, required{in: inHeader, name: textproto.CanonicalMIMEHeaderKey(name), show: name})
		case "path":
			v.params = append(v.params, required{in: inPath, name: name, show: name})
		default:
			return nil, fmt.Errorf("required parameter %q is not querystring.<name>, header.<name> or path.<name>", p)
		}
	}
	if rv.GetBodyModel() == "" && len(rv.GetBodyModels()) == 0 {
		return v, nil
	}
	api := rt.API
	compiled, err := rt.Scope.Once(modelsKey{api}, func() (any, error) { return CompileModels(api.GetModels()) })
	if err != nil {
		return nil, err
	}
	models := compiled.(Models)
	lookup := func(name string) (*Model, error) {
		s := models[name]
		if s == nil {
			return nil, fmt.Errorf("request validation names model %q, which the API does not define", name)
		}
		return s, nil
	}
	if name := rv.GetBodyModel(); name != "" {
		if v.fallback, err = lookup(name); err != nil {
			return nil, err
		}
	}
	if len(rv.GetBodyModels()) > 0 {
		v.byType = make(map[string]*Model, len(rv.GetBodyModels()))
		for ct, name := range rv.GetBodyModels() {
			s, err := lookup(name)
			if err != nil {
				return nil, err
			}
			v.byType[integration.MediaType(ct)] = s
		}
	}
	return v, nil
}

func (v *validator) serve(w http.ResponseWriter, r *http.Request) error {
	rc := reqctx.From(r.Context())
	if missing := v.missing(r, rc); len(missing) > 0 {
		msg := "Missing required request parameters: [" + strings.Join(missing, ", ") + "]"
		rc.Error.ValidationErrorString = msg
		return gatewayresponse.RefuseMessage(gatewayresponse.BadRequestParameters, msg)
	}
	if s := v.schema(r); s != nil {
		if t, problem := v.body(r, rc, s); problem != "" {
			rc.Error.ValidationErrorString = problem
			return gatewayresponse.Refuse(t)
		}
	}
	rc.Validated = true
	v.next.ServeHTTP(w, r)
	return nil
}

// missing lists the required parameters the request lacks or leaves blank, in the route's
// order.
func (v *validator) missing(r *http.Request, rc *reqctx.Request) []string {
	var q url.Values
	if v.needQuery {
		q, _ = url.ParseQuery(r.URL.RawQuery)
	}
	var out []string
	for _, p := range v.params {
		var val string
		switch p.in {
		case inQuery:
			val = q.Get(p.name)
		case inHeader:
			if vs := r.Header[p.name]; len(vs) > 0 {
				val = vs[0]
			}
		case inPath:
			val, _ = rc.Params.Get(p.name)
		}
		if strings.TrimSpace(val) == "" {
			out = append(out, p.show)
		}
	}
	return out
}

// schema is the model the request's content type selects, or nil.
func (v *validator) schema(r *http.Request) *Model {
	if v.byType != nil {
		if s := v.byType[integration.MediaType(r.Header.Get("Content-Type"))]; s != nil {
			return s
		}
	}
	return v.fallback
}

// body validates the request body against s. It returns the gateway response and the
// validation error string of a refused body, or "" for a valid one.
func (v *validator) body(r *http.Request, rc *reqctx.Request, s *Model) (gatewayresponse.Type, string) {
	b, err := rc.ReadBody(r, integration.MaxBodyBytes)
	switch {
	case errors.Is(err, reqctx.ErrBodyTooLarge):
		return gatewayresponse.RequestTooLarge, "[the request body is larger than 10 MB]"
	case errors.Is(err, reqctx.ErrBadEncoding):
		return gatewayresponse.BadRequestBody, "[the request body does not decompress as its Content-Encoding says]"
	case err != nil:
		return gatewayresponse.BadRequestBody, "[the request body could not be read]"
	}
	doc, err := b.JSON()
	if err != nil {
		return gatewayresponse.BadRequestBody, "[Invalid JSON: " + err.Error() + "]"
	}
	if err := s.Validate(doc); err != nil {
		return gatewayresponse.BadRequestBody, ErrorString(err)
	}
	return 0, ""
}
