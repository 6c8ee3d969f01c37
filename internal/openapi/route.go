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
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/mapping"
)

// operation imports one method of one path as a Route, or reports why it is left out.
func (im *importer) operation(path, method string, op *openapi3.Operation, ptr string) error {
	what := method + " " + path
	if path == "/$default" {
		// An HTTP API's catch-all route: every path no other route matches.
		im.omit(ptr, "route $default", "imported as "+method+" /{proxy+}, which answers every path but the root")
		path = "/{proxy+}"
	}
	if !routePath.MatchString(path) && path != "/" {
		im.omit(ptr, what, "the path is not one Portico routes: segments are literals or {param} with letters, digits and _, and a greedy {name+} only last")
		return nil
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if path == "/" {
		segs = []string{"root"}
	}
	var name string
	if _, err := ext(op.Extensions, xPorticoRoute, &name); err != nil || dnsName(name, "") != name {
		name = ""
	}
	if name != "" {
		// A Portico export: the operations of one Route with several methods share its name.
		for i := range im.res.Routes {
			if r := &im.res.Routes[i]; r.Name == name && r.Spec.Path == path {
				r.Spec.Methods = append(r.Spec.Methods, apiv1.HTTPMethod(method))
				return nil
			}
		}
		name = im.routes.take(name, method+" "+path)
	} else {
		name = im.routes.take(dnsName(im.api+"-"+strings.ToLower(method)+"-"+strings.Join(segs, "-"), "route"), method+" "+path)
	}
	r := apiv1.Route{TypeMeta: typeMeta("Route"), ObjectMeta: im.meta(name)}
	r.Spec.RestApiRef = apiv1.LocalObjectReference{Name: im.api}
	r.Spec.Path = path
	r.Spec.Methods = []apiv1.HTTPMethod{apiv1.HTTPMethod(method)}

	authz, why := im.authorization(op, ptr)
	if why != "" {
		im.omit(ptr, what, why)
		return nil
	}
	r.Spec.Authorization = authz

	pathParams := map[string]bool{}
	for _, s := range strings.Split(path, "/") {
		if strings.HasPrefix(s, "{") {
			n := strings.Trim(s, "{}")
			greedy := strings.HasSuffix(n, "+")
			pathParams[strings.TrimSuffix(n, "+")] = greedy
		}
	}
	var integ integrationExt
	has, err := im.integrationExt(op, ptr, &integ)
	if err != nil {
		return err
	}
	var portico portico
	hasPortico, err := ext(op.Extensions, xPortico, &portico)
	if err != nil {
		return &Error{File: im.file, Pointer: ptr + "/" + xPortico, Err: err}
	}
	switch {
	case hasPortico:
		r.Spec.Integration = portico.Integration
		r.Spec.CacheKeyParameters = portico.CacheKeyParameters
	case has:
		in, keys, why, err := im.integration(&integ, method, pathParams, ptr+"/"+xIntegration)
		if err != nil {
			return err
		}
		if why != "" {
			im.omit(ptr, what, why)
			return nil
		}
		r.Spec.Integration, r.Spec.CacheKeyParameters = in, keys
	default:
		im.omit(ptr, what, "no x-amazon-apigateway-integration: the method has nothing to call")
		return nil
	}
	if hasPortico && portico.RequestValidation != nil {
		r.Spec.RequestValidation = portico.RequestValidation
	} else {
		r.Spec.RequestValidation = im.validation(op, ptr)
	}
	for _, k := range sortedKeys(op.Extensions) {
		switch k {
		case xIntegration, xRequestValidator, xAuth, xPortico, xPorticoRoute:
		default:
			if strings.HasPrefix(k, "x-amazon-apigateway-") {
				im.omit(ptr+"/"+k, k, "not an operation extension Portico knows")
			}
		}
	}
	im.routeAt[r.Name] = operationAt{ptr, what}
	im.res.Routes = append(im.res.Routes, r)
	return nil
}

// integrationExt decodes op's x-amazon-apigateway-integration into out: the operation's
// own, or the one of components' x-amazon-apigateway-integrations it names with a $ref (as
// AWS's HTTP API exports reuse them). Fields Portico does not know are reported.
func (im *importer) integrationExt(op *openapi3.Operation, ptr string, out *integrationExt) (bool, error) {
	at := ptr + "/" + xIntegration
	raw, ok := op.Extensions[xIntegration]
	if !ok {
		return false, nil
	}
	var fields map[string]any
	b, err := json.Marshal(raw)
	if err == nil {
		err = json.Unmarshal(b, &fields)
	}
	if err != nil {
		return false, &Error{File: im.file, Pointer: at, Err: fmt.Errorf("not an object: %w", err)}
	}
	if ref, isRef := fields["$ref"].(string); isRef {
		name, found := strings.CutPrefix(ref, "#/components/"+xIntegrations+"/")
		target, named := im.integrations[name]
		if !found || !named {
			return false, &Error{File: im.file, Pointer: at + "/$ref", Err: fmt.Errorf("$ref %s names no integration of components/%s", ref, xIntegrations)}
		}
		fields, at = target, pointer("components", xIntegrations, name)
		im.usedIntegrations[name] = true
	}
	for _, k := range sortedKeys(fields) {
		if !integrationFields[k] {
			im.omit(at+"/"+k, k, "not an integration field Portico knows")
		}
	}
	if b, err = json.Marshal(fields); err == nil {
		err = json.Unmarshal(b, out)
	}
	if err != nil {
		return false, &Error{File: im.file, Pointer: at, Err: err}
	}
	if strings.EqualFold(out.ResponseTransferMode, "STREAM") {
		im.omit(at+"/responseTransferMode", "responseTransferMode STREAM", "Portico streams an HTTP backend's answer as it comes, and sends a function's once it is complete")
	}
	return true, nil
}

// portico is the x-portico-integration extension an export writes.
type portico struct {
	Integration        apiv1.Integration `json:"integration"`
	CacheKeyParameters []string          `json:"cacheKeyParameters,omitempty"`
	// RequestValidation, when set, is the Route's as it is: OpenAPI lists body models
	// by content type, without telling a body for any content type from one for the
	// model's own.
	RequestValidation *apiv1.RequestValidation `json:"requestValidation,omitempty"`
}

// validation maps the operation's request validator: the body models by content type, and
// the required parameters.
func (im *importer) validation(op *openapi3.Operation, ptr string) *apiv1.RequestValidation {
	var name string
	if _, err := ext(im.doc.Extensions, xRequestValidator, &name); err != nil {
		im.omit(pointer(xRequestValidator), xRequestValidator, err.Error())
	}
	if _, err := ext(op.Extensions, xRequestValidator, &name); err != nil {
		im.omit(ptr+"/"+xRequestValidator, xRequestValidator, err.Error())
	}
	if name == "" {
		return nil
	}
	v, ok := im.validators[name]
	if !ok {
		im.omit(ptr+"/"+xRequestValidator, "request validator "+name, "not defined in x-amazon-apigateway-request-validators")
		return nil
	}
	out := &apiv1.RequestValidation{}
	if v.ValidateRequestParameters {
		for _, p := range op.Parameters {
			if p == nil || p.Value == nil || !p.Value.Required {
				continue
			}
			loc := p.Value.In
			if loc == "query" {
				loc = "querystring"
			}
			switch loc {
			case "querystring", "header":
				// Path parameters are there whenever the route matches.
				out.RequiredParameters = append(out.RequiredParameters, loc+"."+p.Value.Name)
			}
		}
	}
	if v.ValidateRequestBody && op.RequestBody != nil && op.RequestBody.Value != nil {
		for _, ct := range sortedKeys(op.RequestBody.Value.Content) {
			mt := op.RequestBody.Value.Content[ct]
			if mt == nil || mt.Schema == nil {
				continue
			}
			model, ok := im.models[refName(mt.Schema.Ref)]
			if mt.Schema.Ref == "" || !ok {
				im.omit(ptr+"/requestBody/content/"+strings.ReplaceAll(ct, "/", "~1"), "body validation for "+ct,
					"the schema is not a model of the document (an inline schema or a missing one); name it under components/schemas")
				continue
			}
			if out.Bodies == nil {
				out.Bodies = map[string]apiv1.ModelName{}
			}
			out.Bodies[ct] = apiv1.ModelName(model)
		}
	}
	if out.Body == "" && len(out.Bodies) == 0 && len(out.RequiredParameters) == 0 {
		return nil
	}
	if len(out.Bodies) > 0 {
		// Models' content types, and which single body is a body, once every use is known:
		// modelContentTypes.
		im.bodies = append(im.bodies, out)
	}
	return out
}

var lambdaARN = regexp.MustCompile(`(arn:aws[a-z-]*:lambda:[^/]*?:function:([A-Za-z0-9_-]+)(:[A-Za-z0-9_$-]+)?)`)

// functionURL is the URL Portico calls for a Lambda integration or authorizer URI: the one
// --function gives for its ARN or name, else a PORTICO_FUNCTION_<NAME> placeholder.
func (im *importer) functionURL(uri string) (string, string) {
	if uri == "" {
		return "", "no function URI"
	}
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		return uri, "" // already an HTTP function (a Portico export)
	}
	arn, unqualified, name, qualified := uri, "", "", ""
	if m := lambdaARN.FindStringSubmatch(uri); m != nil {
		// An alias or version (…:function:orders:live) still takes what --function gives the
		// function's unqualified ARN or name, unless it gives the qualified one (the ARN, or
		// orders:live).
		arn, unqualified, name = m[1], strings.TrimSuffix(m[1], m[3]), m[2]
		if m[3] != "" {
			qualified = m[2] + m[3]
		}
	} else if i := strings.Index(uri, "/functions/"); i >= 0 {
		arn = strings.TrimSuffix(uri[i+len("/functions/"):], "/invocations")
		name = arn
	} else if !strings.HasPrefix(uri, "arn:") {
		name = uri
	} else {
		return "", fmt.Sprintf("%q is not a Lambda function ARN", uri)
	}
	for _, k := range []string{uri, arn, qualified, unqualified, name} {
		if u, ok := im.opts.Functions[k]; ok && k != "" {
			im.usedFunctions[k] = true
			return u, ""
		}
	}
	ph := "PORTICO_FUNCTION_" + envName(name)
	if envName(name) == "" {
		ph = "PORTICO_FUNCTION_" + strings.ToUpper(digest(uri))
	}
	im.placeholder[ph+"="+arn] = true
	return "http://" + ph + "/2015-03-31/functions/function/invocations", ""
}

// integration maps x-amazon-apigateway-integration; why is set when the route is left out,
// err when the document is invalid (input AWS's import refuses too).
func (im *importer) integration(x *integrationExt, method string, pathParams map[string]bool, ptr string) (apiv1.Integration, []string, string, error) {
	var out apiv1.Integration
	if x.TimeoutInMillis != 0 {
		t := int32(min(max(x.TimeoutInMillis, 50), 29000))
		if int64(t) != int64(x.TimeoutInMillis) {
			im.omit(ptr+"/timeoutInMillis", fmt.Sprintf("timeoutInMillis %d", x.TimeoutInMillis), fmt.Sprintf("Portico takes 50..29000; set to %d", t))
		}
		out.TimeoutMillis = t
	}
	for field, set := range map[string]bool{
		"credentials":        x.Credentials != "",
		"tlsConfig":          len(x.TLSConfig) > 0,
		"cacheNamespace":     x.CacheNamespace != "",
		"responseParameters": len(x.ResponseParameters) > 0,
	} {
		if set {
			im.omit(ptr+"/"+field, field, omittedIntegrationFields[field])
		}
	}
	if strings.EqualFold(x.ConnectionType, "VPC_LINK") {
		im.omit(ptr+"/connectionType", "connectionType VPC_LINK", "Portico reaches backends directly; point the uri at the Service the VPC link fronted")
	}
	typ := strings.ToLower(x.Type)
	switch typ {
	case "aws_proxy":
		if x.IntegrationSubtype != "" {
			return out, nil, "integrationSubtype " + x.IntegrationSubtype + ": AWS service integrations have no Portico form", nil
		}
		uri, why := im.functionURL(x.URI)
		if why != "" {
			return out, nil, why, nil
		}
		out.Type, out.URI, out.PayloadFormatVersion = apiv1.IntegrationLambdaProxy, uri, string(x.PayloadFormatVersion)
	case "http_proxy", "http":
		if x.URI == "" {
			// As AWS's import, which refuses the document.
			return out, nil, "", &Error{File: im.file, Pointer: ptr, Err: fmt.Errorf("an %s integration needs a uri", typ)}
		}
		uri, err := im.backendURI(x, pathParams)
		if err != "" {
			return out, nil, err, nil
		}
		out.URI = uri
		out.Type = apiv1.IntegrationHTTPProxy
		if typ == "http" {
			out.Type = apiv1.IntegrationHTTP
			// The request's method is the default: leave it implicit.
			if m := strings.ToUpper(x.HTTPMethod); m != "ANY" && m != method {
				out.HTTPMethod = m
			}
		} else if m := strings.ToUpper(x.HTTPMethod); m != "" && m != "ANY" && m != method {
			im.omit(ptr+"/httpMethod", "httpMethod "+m, "an HTTP_PROXY integration sends the client's method")
		}
	case "mock":
		out.Type = apiv1.IntegrationMock
		im.mock(x, ptr, &out)
	case "aws":
		return out, nil, "an AWS service integration (" + x.URI + ") has no Portico form; front the service with an HTTP integration", nil
	default:
		// A type AWS has not: its import refuses the document too.
		return out, nil, "", &Error{File: im.file, Pointer: ptr + "/type", Err: fmt.Errorf("integration type %q is not aws_proxy, http_proxy, http, mock or aws", x.Type)}
	}
	switch {
	case typ == "http" || typ == "http_proxy":
		out.RequestParameters = im.requestParameters(x.RequestParameters, pathParams, ptr)
	case len(x.RequestParameters) > 0:
		// A function gets the request as it came in its event, and a MOCK calls nothing:
		// Portico refuses requestParameters on both rather than ignore them.
		im.omit(ptr+"/requestParameters", "requestParameters", "a "+typ+" integration has nothing they map into (Portico refuses them on LAMBDA_PROXY and MOCK routes)")
	}
	if typ == "http" {
		out.PassthroughBehavior = apiv1.PassthroughBehavior(strings.ToUpper(x.PassthroughBehavior))
		out.ContentHandling = apiv1.ContentHandling(strings.ToUpper(x.ContentHandling))
		out.RequestTemplates = templates(x.RequestTemplates)
		out.Responses = im.responses(x.Responses, ptr)
	} else if typ != "mock" {
		// Proxy integrations pass the backend's answer through, in AWS as in Portico; an
		// export's responses: {default: {statusCode: 200}} says nothing more.
		for _, k := range sortedKeys(x.Responses) {
			r := x.Responses[k]
			if k != "default" || len(r.ResponseParameters)+len(r.ResponseTemplates) > 0 {
				im.omit(ptr+"/responses/"+k, "integration response "+k, "proxy integrations pass the backend's response through (AWS ignores these too)")
			}
		}
		if x.ContentHandling != "" {
			im.omit(ptr+"/contentHandling", "contentHandling", "applies to HTTP integrations only in Portico")
		}
		if len(x.RequestTemplates) > 0 {
			im.omit(ptr+"/requestTemplates", "requestTemplates", "proxy integrations send the request as it is (AWS ignores these too)")
		}
	}
	var keys []string
	for _, k := range x.CacheKeyParameters {
		p := strings.TrimPrefix(k, "method.request.")
		if !cacheKey.MatchString(p) {
			im.omit(ptr+"/cacheKeyParameters", "cache key "+k, "not path, querystring or header")
			continue
		}
		keys = append(keys, p)
	}
	return out, keys, "", nil
}

var cacheKey = regexp.MustCompile(`^(path|querystring|header)\.[A-Za-z0-9_.~-]+$`)

var omittedIntegrationFields = map[string]string{
	"credentials":        "the IAM role API Gateway assumes has no meaning for an HTTP backend",
	"tlsConfig":          "backend TLS verification follows the proxy's trust store",
	"cacheNamespace":     "Portico keys its cache by route and cacheKeyParameters",
	"responseParameters": "HTTP API response mappings are not carried over",
}

// backendURI is the uri of an HTTP integration, with {x} renamed where requestParameters map
// a path parameter of another name onto it.
func (im *importer) backendURI(x *integrationExt, pathParams map[string]bool) (string, string) {
	uri := x.URI
	for k, v := range x.RequestParameters {
		target, ok := strings.CutPrefix(k, "integration.request.path.")
		src, ok2 := strings.CutPrefix(v, "method.request.path.")
		if !ok || !ok2 || target == src {
			continue
		}
		uri = strings.ReplaceAll(uri, "{"+target+"}", "{"+src+"}")
		uri = strings.ReplaceAll(uri, "{"+target+"+}", "{"+src+"}")
	}
	if _, err := mapping.ParseTemplate(uri, mapping.URIParams(pathParams, mappedTargets(x.RequestParameters))); err != nil {
		return "", "uri " + x.URI + ": " + err.Error()
	}
	return uri, ""
}

// mappedTargets is requestParameters keyed by Portico's targets (path.x for AWS's
// integration.request.path.x and an HTTP API's overwrite:path.x).
func mappedTargets(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		t, ok := strings.CutPrefix(k, "integration.request.")
		if !ok {
			t, _ = strings.CutPrefix(k, "overwrite:")
		}
		out[t] = v
	}
	return out
}

// requestParameters maps integration.request.* = method.request.* (REST) and
// overwrite:header.* = $request.* (HTTP APIs) to Portico's form.
func (im *importer) requestParameters(in map[string]string, pathParams map[string]bool, ptr string) map[string]apiv1.ParameterSource {
	var out map[string]apiv1.ParameterSource
	for _, k := range sortedKeys(in) {
		v := in[k]
		target, ok := strings.CutPrefix(k, "integration.request.")
		if !ok {
			target, ok = strings.CutPrefix(k, "overwrite:")
		}
		if strings.HasPrefix(v, "method.request.path.") && strings.HasPrefix(target, "path.") {
			continue // the uri names the route's parameter already
		}
		src := mapping.FromRESTSyntax(v)
		if strings.HasPrefix(src, "$request.path.") && strings.HasPrefix(target, "path.") && strings.TrimPrefix(src, "$request.path.") == strings.TrimPrefix(target, "path.") {
			continue
		}
		var err error
		if !ok {
			err = fmt.Errorf("only integration.request.* and overwrite:* targets are mapped")
		} else {
			_, err = mapping.ParseMapping(target, src, pathParams)
		}
		if err != nil {
			im.omit(ptr+"/requestParameters/"+strings.ReplaceAll(k, "/", "~1"), k+" = "+v, err.Error())
			continue
		}
		if out == nil {
			out = map[string]apiv1.ParameterSource{}
		}
		out[target] = apiv1.ParameterSource(src)
	}
	return out
}

// marshalJSON is json.Marshal for values that cannot fail.
func marshalJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
