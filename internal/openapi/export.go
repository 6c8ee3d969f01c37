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
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// xPorticoRoute names the Route an operation belongs to: a Route with several methods is
// several operations, and its name is part of what it compiles to (metrics, logs).
const xPorticoRoute = "x-portico-route"

// ExportInput is one RestApi with what it uses.
type ExportInput struct {
	RestApi *apiv1.RestApi
	// Routes of the RestApi; Authorizers of its namespace (those its routes name are written).
	Routes      []apiv1.Route
	Authorizers []apiv1.Authorizer
	// StageName, if set, is written as the servers' basePath, as AWS's exports do.
	StageName string
}

// Export writes in as OpenAPI 3.0 with the x-amazon-apigateway-* extensions, in YAML.
//
// Each part is written in AWS's form. Where that form would not import back to the same
// object (a Service backendRef, a second JWKS URI, a MOCK body with its own headers...), the
// exact Portico spec is written beside it as x-portico-*; Import reads that first. So an
// export imports back to the same revision, and AWS reads what it can.
func Export(in ExportInput) ([]byte, error) {
	api := in.RestApi
	if api.Spec.Protocol == apiv1.ProtocolWebSocket {
		return nil, fmt.Errorf("RestApi %s is a WEBSOCKET API; OpenAPI describes HTTP APIs only", api.Name)
	}
	doc := map[string]any{
		"openapi": "3.0.1",
		"info":    map[string]any{"title": api.Name, "description": api.Spec.Description, "version": "1.0"},
	}
	if api.Spec.Description == "" {
		delete(doc["info"].(map[string]any), "description")
	}
	if server := exportServer(in.StageName, &api.Spec); server != nil {
		doc["servers"] = []any{server}
	}
	exportAPISettings(doc, &api.Spec)
	schemas := map[string]any{}
	for _, name := range sortedKeys(api.Spec.Models) {
		var v any
		if err := json.Unmarshal(api.Spec.Models[name].Schema.Raw, &v); err != nil {
			return nil, fmt.Errorf("model %s: %w", name, err)
		}
		schemas[name] = v
		if ct := api.Spec.Models[name].ContentType; ct != "" && ct != "application/json" {
			if doc[xPorticoModels] == nil {
				doc[xPorticoModels] = map[string]string{}
			}
			doc[xPorticoModels].(map[string]string)[name] = ct
		}
	}
	schemes := map[string]any{}
	authz := map[string]*apiv1.Authorizer{}
	for i := range in.Authorizers {
		authz[in.Authorizers[i].Name] = &in.Authorizers[i]
	}
	paths := map[string]any{}
	ops := map[string]map[string]any{}
	validators := map[string]any{}
	routes := slices.Clone(in.Routes)
	slices.SortFunc(routes, func(a, b apiv1.Route) int { return strings.Compare(a.Name, b.Name) })
	for i := range routes {
		r := &routes[i]
		if r.Spec.RouteKey != "" {
			return nil, fmt.Errorf("the Route %s is a WEBSOCKET route", r.Name)
		}
		auth := apiv1.EffectiveAuthorization(r.Spec.Authorization, api.Spec.DefaultAuthorization)
		op := map[string]any{xPorticoRoute: r.Name}
		security := map[string]any{}
		if auth != nil && auth.APIKeyRequired {
			security["api_key"] = []string{}
			schemes["api_key"] = map[string]any{"type": "apiKey", "name": "x-api-key", "in": "header"}
		}
		if auth != nil && auth.Type != apiv1.AuthorizationNone && auth.AuthorizerRef != nil {
			a := authz[auth.AuthorizerRef.Name]
			if a == nil {
				return nil, fmt.Errorf("the Route %s names Authorizer %s, which is not in the input", r.Name, auth.AuthorizerRef.Name)
			}
			security[a.Name] = orEmpty(auth.Scopes)
			schemes[a.Name] = exportAuthorizer(a)
		}
		if len(security) > 0 {
			op["security"] = []any{security}
		}
		params := exportParameters(r)
		if len(params) > 0 {
			op["parameters"] = params
		}
		if v := r.Spec.RequestValidation; v != nil {
			body := v.Body != "" || len(v.Bodies) > 0
			name := map[[2]bool]string{{true, false}: "body", {false, true}: "params", {true, true}: "all"}[[2]bool{body, len(v.RequiredParameters) > 0}]
			if name != "" {
				validators[name] = map[string]any{"validateRequestBody": body, "validateRequestParameters": len(v.RequiredParameters) > 0}
				op[xRequestValidator] = name
			}
			content := map[string]any{}
			if v.Body != "" {
				// OpenAPI, like AWS, lists a body model under one content type: the one
				// the model says it describes.
				ct := "application/json"
				if m, ok := api.Spec.Models[v.Body]; ok && m.ContentType != "" {
					ct = m.ContentType
				}
				content[ct] = map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + v.Body}}
			}
			for ct, m := range v.Bodies {
				content[ct] = map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + string(m)}}
			}
			if len(content) > 0 {
				op["requestBody"] = map[string]any{"content": content}
			}
		}
		op["responses"] = map[string]any{"default": map[string]any{"description": "the integration's response"}}
		op[xIntegration] = exportIntegration(r)
		ops[r.Name] = op
		item, _ := paths[r.Spec.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[r.Spec.Path] = item
		}
		methods := r.Spec.Methods
		if len(methods) == 0 {
			methods = []apiv1.HTTPMethod{apiv1.MethodAny}
		}
		for _, m := range methods {
			key := strings.ToLower(string(m))
			if m == apiv1.MethodAny {
				key = xAnyMethod
			}
			item[key] = op
		}
	}
	doc["paths"] = paths
	if len(validators) > 0 {
		doc[xRequestValidators] = validators
	}
	components := map[string]any{}
	if len(schemas) > 0 {
		components["schemas"] = schemas
	}
	if len(schemes) > 0 {
		components["securitySchemes"] = schemes
	}
	if len(components) > 0 {
		doc["components"] = components
	}
	if err := addExact(doc, in, ops, schemes); err != nil {
		return nil, err
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(js)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// exportServer is the document's server, as AWS writes it: the stage as the basePath, and
// disableDefaultEndpoint as its endpoint configuration (OpenAPI 3 has it on a server, not
// at the root); nil when there is neither.
func exportServer(stageName string, s *apiv1.RestApiSpec) map[string]any {
	if stageName == "" && !s.DisableDefaultEndpoint {
		return nil
	}
	server := map[string]any{"url": "/"}
	if stageName != "" {
		server = map[string]any{"url": "/{basePath}", "variables": map[string]any{"basePath": map[string]any{"default": stageName}}}
	}
	if s.DisableDefaultEndpoint {
		server[xEndpointConfig] = map[string]any{"disableExecuteApiEndpoint": true}
	}
	return server
}

func exportAPISettings(doc map[string]any, s *apiv1.RestApiSpec) {
	if s.APIKeySource != "" {
		doc[xAPIKeySource] = string(s.APIKeySource)
	}
	if len(s.BinaryMediaTypes) > 0 {
		doc[xBinaryMediaTypes] = s.BinaryMediaTypes
	}
	if s.MinimumCompressionSize != nil {
		doc[xMinCompression] = *s.MinimumCompressionSize
	}
	if len(s.GatewayResponses) > 0 {
		grs := map[string]any{}
		for t, gr := range s.GatewayResponses {
			out := map[string]any{}
			if gr.StatusCode != nil {
				out["statusCode"] = strconv.Itoa(int(*gr.StatusCode))
			}
			params := map[string]string{}
			for h, v := range gr.Headers {
				params["gatewayresponse.header."+h] = "'" + v + "'"
			}
			for k, v := range gr.ResponseParameters {
				params["gatewayresponse."+k] = awsSource(string(v))
			}
			if len(params) > 0 {
				out["responseParameters"] = params
			}
			tpl := map[string]string{}
			for ct, v := range gr.Templates {
				tpl[ct] = string(v)
			}
			if gr.Body != nil && len(tpl) == 0 {
				tpl["application/json"] = *gr.Body
			}
			if len(tpl) > 0 {
				out["responseTemplates"] = tpl
			}
			grs[string(t)] = out
		}
		doc[xGatewayResponses] = grs
	}
	if c := s.CORS; c != nil {
		out := map[string]any{"allowOrigins": c.AllowOrigins, "allowHeaders": c.AllowHeaders, "exposeHeaders": c.ExposeHeaders, "allowCredentials": c.AllowCredentials}
		var ms []string
		for _, m := range c.AllowMethods {
			ms = append(ms, strings.Replace(string(m), "ANY", "*", 1))
		}
		out["allowMethods"] = ms
		if c.MaxAgeSeconds != nil {
			out["maxAge"] = *c.MaxAgeSeconds
		}
		doc[xCORS] = out
	}
	if p := s.Policy; p != nil && p.SourceIPs != nil {
		stmts := []any{map[string]any{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}}
		if len(p.SourceIPs.Allow) > 0 {
			stmts = append(stmts, map[string]any{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
				"Condition": map[string]any{"NotIpAddress": map[string]any{"aws:SourceIp": p.SourceIPs.Allow}}})
		}
		if len(p.SourceIPs.Deny) > 0 {
			stmts = append(stmts, map[string]any{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
				"Condition": map[string]any{"IpAddress": map[string]any{"aws:SourceIp": p.SourceIPs.Deny}}})
		}
		doc[xPolicy] = map[string]any{"Version": "2012-10-17", "Statement": stmts}
	}
}

// exportParameters declares the route's path parameters and its required ones.
func exportParameters(r *apiv1.Route) []any {
	var out []any
	for _, seg := range strings.Split(r.Spec.Path, "/") {
		if strings.HasPrefix(seg, "{") {
			out = append(out, map[string]any{"name": strings.TrimSuffix(strings.Trim(seg, "{}"), "+"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
	}
	if v := r.Spec.RequestValidation; v != nil {
		for _, p := range v.RequiredParameters {
			loc, name, _ := strings.Cut(p, ".")
			if loc == "querystring" {
				loc = "query"
			}
			if loc == "path" {
				continue
			}
			out = append(out, map[string]any{"name": name, "in": loc, "required": true, "schema": map[string]any{"type": "string"}})
		}
	}
	return out
}

// awsSource writes a Portico parameter source as a REST API's ($request.header.x is
// method.request.header.x).
func awsSource(s string) string {
	switch {
	case strings.HasPrefix(s, "$request."):
		return "method.request." + strings.TrimPrefix(s, "$request.")
	case strings.HasPrefix(s, "$"):
		return strings.TrimPrefix(s, "$")
	}
	return s
}

func exportIntegration(r *apiv1.Route) map[string]any {
	in := &r.Spec.Integration
	out := map[string]any{}
	if in.TimeoutMillis != 0 {
		out["timeoutInMillis"] = in.TimeoutMillis
	}
	uri := in.URI
	if in.BackendRef != nil {
		uri = fmt.Sprintf("http://%s:%d%s", in.BackendRef.Name, in.BackendRef.Port, in.BackendRef.Path)
	}
	method := "ANY"
	if len(r.Spec.Methods) == 1 {
		method = string(r.Spec.Methods[0])
	}
	switch in.Type {
	case apiv1.IntegrationLambdaProxy:
		out["type"], out["httpMethod"], out["uri"] = "aws_proxy", "POST", uri
		if in.PayloadFormatVersion != "" {
			out["payloadFormatVersion"] = in.PayloadFormatVersion
		}
	case apiv1.IntegrationHTTPProxy:
		out["type"], out["httpMethod"], out["uri"] = "http_proxy", method, uri
	case apiv1.IntegrationHTTP:
		out["type"], out["httpMethod"], out["uri"] = "http", method, uri
		if in.HTTPMethod != "" {
			out["httpMethod"] = in.HTTPMethod
		}
		if in.PassthroughBehavior != "" {
			out["passthroughBehavior"] = strings.ToLower(string(in.PassthroughBehavior))
		}
		if in.ContentHandling != "" {
			out["contentHandling"] = string(in.ContentHandling)
		}
		if len(in.RequestTemplates) > 0 {
			out["requestTemplates"] = in.RequestTemplates
		}
		resps := map[string]any{}
		for _, resp := range in.Responses {
			key := resp.SelectionPattern
			if key == "" {
				key = "default"
			}
			x := map[string]any{"statusCode": strconv.Itoa(int(resp.StatusCode))}
			params := map[string]string{}
			for k, v := range resp.ResponseParameters {
				params["method.response."+k] = string(v)
			}
			if len(params) > 0 {
				x["responseParameters"] = params
			}
			if len(resp.ResponseTemplates) > 0 {
				x["responseTemplates"] = resp.ResponseTemplates
			}
			resps[key] = x
		}
		if len(resps) > 0 {
			out["responses"] = resps
		}
	case apiv1.IntegrationMock:
		out["type"] = "mock"
		if m := in.Mock; m != nil {
			code := m.StatusCode
			if code == 0 {
				code = 200
			}
			out["requestTemplates"] = map[string]string{"application/json": fmt.Sprintf(`{"statusCode": %d}`, code)}
			resp := map[string]any{"statusCode": strconv.Itoa(int(code))}
			params := map[string]string{}
			ct := "application/json"
			for h, v := range m.Headers {
				params["method.response.header."+h] = "'" + v + "'"
				if strings.EqualFold(h, "content-type") {
					ct = v
				}
			}
			if len(params) > 0 {
				resp["responseParameters"] = params
			}
			if m.Body != "" {
				resp["responseTemplates"] = map[string]string{ct: m.Body}
			}
			out["responses"] = map[string]any{"default": resp}
		}
	}
	if len(in.RequestParameters) > 0 {
		params := map[string]string{}
		for k, v := range in.RequestParameters {
			params["integration.request."+k] = awsSource(string(v))
		}
		out["requestParameters"] = params
	}
	if len(r.Spec.CacheKeyParameters) > 0 {
		var keys []string
		for _, k := range r.Spec.CacheKeyParameters {
			keys = append(keys, "method.request."+k)
		}
		out["cacheKeyParameters"] = keys
	}
	return out
}

// exportAuthorizer writes an Authorizer as a security scheme.
func exportAuthorizer(a *apiv1.Authorizer) map[string]any {
	s := &a.Spec
	x := map[string]any{}
	var sources []string
	for _, src := range s.IdentitySources {
		sources = append(sources, awsSource(src))
	}
	header := "Authorization"
	if len(s.IdentitySources) > 0 {
		if h, ok := strings.CutPrefix(s.IdentitySources[0], "$request.header."); ok {
			header = h
		}
	}
	if len(sources) > 0 {
		x["identitySource"] = strings.Join(sources, ", ")
	}
	if s.ResultTTLSeconds != nil {
		x["authorizerResultTtlInSeconds"] = *s.ResultTTLSeconds
	}
	authType := "custom"
	switch s.Type {
	case apiv1.AuthorizerJWT:
		authType = "jwt"
		x["type"] = "jwt"
		if s.JWT != nil {
			x["jwtConfiguration"] = map[string]any{"issuer": s.JWT.Issuer, "audience": s.JWT.Audiences}
		}
	case apiv1.AuthorizerToken, apiv1.AuthorizerRequest:
		x["type"] = strings.ToLower(string(s.Type))
		if s.IdentityValidationExpression != "" {
			x["identityValidationExpression"] = s.IdentityValidationExpression
		}
		if f := s.Function; f != nil {
			uri := f.URI
			if f.BackendRef != nil {
				uri = fmt.Sprintf("http://%s:%d%s", f.BackendRef.Name, f.BackendRef.Port, f.BackendRef.Path)
			}
			x["authorizerUri"] = uri
			if f.PayloadFormatVersion != "" {
				x["authorizerPayloadFormatVersion"] = f.PayloadFormatVersion
			}
			if f.EnableSimpleResponses {
				x["enableSimpleResponses"] = true
			}
		}
	}
	scheme := map[string]any{"type": "apiKey", "name": header, "in": "header", xAuthType: authType, xAuthorizer: x}
	return scheme
}
