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

package compile

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/textproto"
	"slices"
	"sort"
	"strings"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/internal/jsonmodel"
	"github.com/portico-dev/portico/internal/mapping"
	"github.com/portico-dev/portico/internal/routepath"
)

// apiCompiler compiles one RestApi with its Routes, Authorizers and models into an ir.API.
type apiCompiler struct {
	world  *world
	st     statuses
	api    *apiv1.RestApi
	models map[string]bool // valid models
	authzs map[string]*ir.Authorizer
}

func (w *world) compileAPI(st statuses, api *apiv1.RestApi) *ir.API {
	c := &apiCompiler{world: w, st: st, api: api, models: map[string]bool{}, authzs: map[string]*ir.Authorizer{}}
	s := &api.Spec
	out := &ir.API{
		Protocol:                 orDefault(string(s.Protocol), string(apiv1.ProtocolHTTP)),
		Hostnames:                sortedCopy(s.Hostnames),
		APIKeySource:             orDefault(string(s.APIKeySource), string(apiv1.APIKeySourceHeader)),
		BinaryMediaTypes:         sortedCopy(s.BinaryMediaTypes),
		MinimumCompressionSize:   s.MinimumCompressionSize,
		RouteSelectionExpression: s.RouteSelectionExpression,
	}
	websocketAPI(s, out)
	apiStatus := st.of(KindRestApi, api)
	var apiProblems problems
	if out.Protocol == string(apiv1.ProtocolWebSocket) {
		s = websocketDropHTTPOnly(s, out, &apiProblems)
	}
	if s.CORS != nil && s.CORS.AllowCredentials && slices.Contains(s.CORS.ExposeHeaders, "*") {
		apiProblems.add(apiv1.ReasonUnsupported, `cors.exposeHeaders "*" exposes no header with allowCredentials (browsers read it as a header named "*"): it is not sent; list the headers to expose`)
	}
	if s.CORS != nil {
		out.CORS = &ir.CORS{
			AllowOrigins: sortedCopy(s.CORS.AllowOrigins), AllowHeaders: sortedCopy(s.CORS.AllowHeaders),
			ExposeHeaders: sortedCopy(s.CORS.ExposeHeaders), MaxAgeSeconds: s.CORS.MaxAgeSeconds,
			AllowCredentials: s.CORS.AllowCredentials,
		}
		for _, m := range s.CORS.AllowMethods {
			if m == apiv1.MethodAny {
				// Every method, as the proxy's "*" means (the OpenAPI importer maps AWS's
				// '*' to ANY): sent literally, "ANY" would allow a method of that name
				// only, and browsers would refuse PUT, PATCH and DELETE preflights. With
				// credentials, the proxy echoes the method requested instead.
				m = "*"
			}
			out.CORS.AllowMethods = append(out.CORS.AllowMethods, string(m))
		}
		sort.Strings(out.CORS.AllowMethods)
		out.CORS.AllowMethods = slices.Compact(out.CORS.AllowMethods)
	}
	if p := s.Policy; p != nil && p.SourceIPs != nil {
		allow, errA := prefixes(p.SourceIPs.Allow)
		deny, errD := prefixes(p.SourceIPs.Deny)
		if err := firstErr(errA, errD); err != nil {
			// Fail closed: an unreadable allow list must not open the API to everyone.
			apiProblems.add(apiv1.ReasonRejected, "policy.sourceIPs: "+err.Error()+"; every request is denied until it is fixed")
			allow, deny = nil, []string{"0.0.0.0/0", "::/0"}
		}
		out.SourceIPs = &ir.SourceIPs{Allow: allow, Deny: deny}
	}
	if len(s.GatewayResponses) > 0 {
		out.GatewayResponses = map[string]ir.GatewayResponse{}
		for _, t := range sortedKeys(s.GatewayResponses) {
			r := s.GatewayResponses[t]
			gr := ir.GatewayResponse{
				Headers:            gatewayResponseHeaders(string(t), r.Headers, s.CORS != nil, &apiProblems),
				ResponseParameters: gatewayResponseParameters(string(t), r, s.CORS != nil, &apiProblems),
				Body:               r.Body,
			}
			if r.StatusCode != nil {
				gr.StatusCode = *r.StatusCode
			}
			templates, err := parseTemplates("gatewayResponses."+string(t)+".templates", r.Templates)
			if err != nil {
				// The type keeps its default answer rather than ship a template that fails.
				apiProblems.add(apiv1.ReasonInvalidTemplate, err.Error())
			}
			gr.Templates = templates
			out.GatewayResponses[string(t)] = gr
		}
	}
	// Models are compiled together: a $ref names another model of the API (AWS's
	// https://apigateway.amazonaws.com/restapis/{id}/models/{name}); one naming a missing
	// or refused model refuses the model that holds it.
	texts := make(map[string]string, len(s.Models))
	for name, m := range s.Models {
		texts[name] = string(m.Schema.Raw)
	}
	_, modelErrs := jsonmodel.CompileAll(texts)
	for _, name := range sortedKeys(s.Models) {
		m := s.Models[name]
		schema, err := canonicalSchema(m.Schema.Raw)
		if err == nil {
			err = modelErrs[name]
		}
		if err != nil {
			reason := apiv1.ReasonInvalidModel
			if errors.Is(err, jsonmodel.ErrMissingModel) {
				reason = apiv1.ReasonModelNotFound
			}
			apiProblems.add(reason, fmt.Sprintf("model %s: %v", name, err))
			continue
		}
		c.models[name] = true
		out.Models = append(out.Models, ir.Model{Name: name, ContentType: orDefault(m.ContentType, "application/json"), Schema: schema})
	}
	if d := s.DefaultAuthorization; d != nil && d.AuthorizerRef != nil && w.authorizer(api.Namespace, d.AuthorizerRef.Name) == nil {
		apiProblems.add(apiv1.ReasonAuthorizerNotFound, fmt.Sprintf("defaultAuthorization names Authorizer %q, which does not exist; routes relying on it are refused", d.AuthorizerRef.Name))
	}

	out.Routes = c.routes()
	if s.CORS != nil {
		routeCORSHeaders(w.routesOf(api.Namespace, api.Name), &apiProblems)
	}
	if d := s.DefaultAuthorization; out.Protocol == string(apiv1.ProtocolWebSocket) && d != nil && (d.AuthorizerRef != nil || d.APIKeyRequired) &&
		!slices.ContainsFunc(out.Routes, func(r ir.Route) bool { return r.RouteKey == routeKeyConnect }) {
		// Only $connect is authorized: without one, every connection is accepted.
		apiProblems.add(apiv1.ReasonUnsupported, "defaultAuthorization applies to the $connect route, and the API has none: every connection is accepted; add a $connect route (a MOCK answering 200 will do) to authorize connections")
	}
	for _, name := range sortedKeys(c.authzs) {
		out.Authorizers = append(out.Authorizers, *c.authzs[name])
	}
	n := int32(len(out.Routes))
	apiStatus.Routes = &n
	if apiProblems.reason != "" {
		apiStatus.set(apiv1.ConditionAccepted, false, apiProblems.reason, apiProblems.String())
	}
	return out
}

// routes compiles the API's routes, refusing conflicting and broken ones.
func (c *apiCompiler) routes() []ir.Route {
	type candidate struct {
		obj  *apiv1.Route
		ir   ir.Route
		keys []string // conflict keys: shape + method, or route key
	}
	var cands []*candidate
	websocket := c.api.Spec.Protocol == apiv1.ProtocolWebSocket
	for _, r := range c.world.routesOf(c.api.Namespace, c.api.Name) {
		st := c.st.of(KindRoute, r)
		route, keys, reason, err := c.route(r, websocket)
		if err != nil {
			st.refuse(reason, err.Error())
			continue
		}
		cands = append(cands, &candidate{obj: r, ir: route, keys: keys})
	}
	// Conflicts: every route sharing a key with another is refused, naming the others.
	owners := map[string][]string{}
	for _, cand := range cands {
		for _, k := range cand.keys {
			owners[k] = append(owners[k], cand.obj.Name)
		}
	}
	var out []ir.Route
	for _, cand := range cands {
		var others []string
		for _, k := range cand.keys {
			for _, o := range owners[k] {
				if o != cand.obj.Name && !slices.Contains(others, o) {
					others = append(others, o)
				}
			}
		}
		st := c.st.of(KindRoute, cand.obj)
		if len(others) > 0 {
			sort.Strings(others)
			what := "the same path (parameter names aside) and an overlapping method"
			if websocket {
				what = "the same route key"
			}
			st.refuse(apiv1.ReasonRouteConflict, fmt.Sprintf("conflicts with Route %s: %s; both are refused until one changes", strings.Join(others, ", "), what))
			continue
		}
		if a := cand.ir.Authorization.Authorizer; a != "" && c.authzs[a] == nil {
			c.authzs[a] = c.world.compileAuthorizer(c.st, c.world.authorizer(c.api.Namespace, a))
		}
		if cand.ir.Integration.Backend != nil {
			if msg := c.world.backendProblem(cand.ir.Integration.Backend.Cluster); msg != "" {
				st.set(apiv1.ConditionReady, false, apiv1.ReasonBackendNotFound, msg+"; the route answers 502 until it exists")
			}
		}
		st.accept("the route is valid", fmt.Sprintf("served by RestApi %s", c.api.Name))
		out = append(out, cand.ir)
	}
	sort.Slice(out, func(i, j int) bool { return routeLess(&out[i], &out[j]) })
	return out
}

func routeLess(a, b *ir.Route) bool {
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	if a.RouteKey != b.RouteKey {
		return a.RouteKey < b.RouteKey
	}
	if len(a.Methods) > 0 && len(b.Methods) > 0 && a.Methods[0] != b.Methods[0] {
		return a.Methods[0] < b.Methods[0]
	}
	return a.Name < b.Name
}

// route compiles one Route; on error it returns the condition reason.
func (c *apiCompiler) route(r *apiv1.Route, websocket bool) (ir.Route, []string, string, error) {
	s := &r.Spec
	out := ir.Route{Name: r.Name, CacheKeyParameters: sortedCopy(s.CacheKeyParameters)}
	var keys []string
	var pathParams map[string]bool
	switch {
	case websocket && s.Path != "":
		return out, nil, apiv1.ReasonProtocolMismatch, fmt.Errorf("RestApi %s is a WEBSOCKET API: use routeKey, not path", c.api.Name)
	case !websocket && s.RouteKey != "":
		return out, nil, apiv1.ReasonProtocolMismatch, fmt.Errorf("RestApi %s is an HTTP API: use path, not routeKey", c.api.Name)
	case websocket:
		out.RouteKey = s.RouteKey
		keys = []string{"key:" + s.RouteKey}
	default:
		segs, err := routepath.Parse(s.Path)
		if err != nil {
			return out, nil, apiv1.ReasonRejected, err
		}
		out.Path = s.Path
		pathParams = paramsOf(segs)
		methods := methodSet(s.Methods)
		out.Methods = methods
		shape := routepath.Shape(segs)
		// ANY is a key of its own: a specific method beside it on the same path wins over
		// it (the router looks the exact method up first), the shape the AWS console makes
		// for CORS (OPTIONS beside ANY). Only two ANY routes, or two of one method, conflict.
		for _, m := range methods {
			keys = append(keys, shape+" "+m)
		}
	}

	if websocket {
		if reason, err := c.websocketRoute(r, &out); err != nil {
			return out, nil, reason, err
		}
	} else if err := pathParametersExist(s, pathParams); err != nil {
		return out, nil, apiv1.ReasonRejected, err
	}
	authz, reason, err := c.authorization(s.Authorization)
	if websocket && s.RouteKey != routeKeyConnect {
		// Only $connect is authorized: the API's default does not reach messages.
		authz, reason, err = ir.Authorization{}, "", nil
	}
	if err != nil {
		return out, nil, reason, err
	}
	out.Authorization = authz

	if v := s.RequestValidation; v != nil {
		if v.Body != "" && !c.models[v.Body] {
			return out, nil, apiv1.ReasonModelNotFound, fmt.Errorf("requestValidation.body names model %q, which RestApi %s does not define (or defines invalidly)", v.Body, c.api.Name)
		}
		out.Validation = &ir.RequestValidation{BodyModel: v.Body, RequiredParameters: uniqueCopy(v.RequiredParameters)}
		for _, ct := range sortedKeys(v.Bodies) {
			name := string(v.Bodies[ct])
			if !c.models[name] {
				return out, nil, apiv1.ReasonModelNotFound, fmt.Errorf("requestValidation.bodies[%s] names model %q, which RestApi %s does not define (or defines invalidly)", ct, name, c.api.Name)
			}
			if out.Validation.BodyModels == nil {
				out.Validation.BodyModels = map[string]string{}
			}
			out.Validation.BodyModels[strings.ToLower(ct)] = name
		}
	}

	integ, reason, err := c.integration(r, pathParams)
	if err != nil {
		return out, nil, reason, err
	}
	out.Integration = integ
	return out, keys, "", nil
}

func methodSet(ms []apiv1.HTTPMethod) []string {
	if len(ms) == 0 {
		return []string{string(apiv1.MethodAny)}
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, string(m))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// authorization resolves a route's authorization against the API's default.
func (c *apiCompiler) authorization(a *apiv1.Authorization) (ir.Authorization, string, error) {
	a = apiv1.EffectiveAuthorization(a, c.api.Spec.DefaultAuthorization)
	if a == nil {
		return ir.Authorization{}, "", nil
	}
	out := ir.Authorization{APIKeyRequired: a.APIKeyRequired}
	// With apiKeySource AUTHORIZER the key is the usageIdentifierKey a function authorizer
	// returns: a route that requires a key without one could never be called.
	fromAuthorizer := a.APIKeyRequired && c.api.Spec.APIKeySource == apiv1.APIKeySourceAuthorizer
	if a.Type == apiv1.AuthorizationNone || a.AuthorizerRef == nil {
		if fromAuthorizer {
			return out, apiv1.ReasonRejected, errNoKeyFromAuthorizer("the route has none")
		}
		return out, "", nil
	}
	authz := c.world.authorizer(c.api.Namespace, a.AuthorizerRef.Name)
	if authz == nil {
		return out, apiv1.ReasonAuthorizerNotFound, fmt.Errorf("the Authorizer %q does not exist in namespace %s; the route is not served rather than served unprotected", a.AuthorizerRef.Name, c.api.Namespace)
	}
	if reason, err := authorizerProblem(authz); err != nil {
		return out, reason, fmt.Errorf("the Authorizer %s is refused: %w; the route is not served rather than served unprotected", authz.Name, err)
	}
	if fromAuthorizer && authz.Spec.Type == apiv1.AuthorizerJWT {
		return out, apiv1.ReasonRejected, errNoKeyFromAuthorizer(authz.Name + " is a JWT authorizer, which returns none")
	}
	if len(a.Scopes) > 0 && authz.Spec.Type != apiv1.AuthorizerJWT {
		return out, apiv1.ReasonRejected, fmt.Errorf("scopes need a JWT authorizer; %s is a %s authorizer", authz.Name, authz.Spec.Type)
	}
	out.Authorizer = authz.Name
	out.Scopes = sortedCopy(a.Scopes)
	return out, "", nil
}

// errNoKeyFromAuthorizer refuses a route that requires a key the API takes from a function
// authorizer, when why (it has none) no key can come.
func errNoKeyFromAuthorizer(why string) error {
	return fmt.Errorf("apiKeyRequired with the API's apiKeySource AUTHORIZER needs a function authorizer (its usageIdentifierKey is the key); %s, so every request would be refused", why)
}

func (c *apiCompiler) integration(r *apiv1.Route, pathParams map[string]bool) (ir.Integration, string, error) {
	in := &r.Spec.Integration
	out := ir.Integration{
		Type:          string(in.Type),
		TimeoutMillis: orDefaultInt(in.TimeoutMillis, 29000),
	}
	switch in.Type {
	case apiv1.IntegrationMock:
		if len(in.RequestParameters) > 0 {
			return out, apiv1.ReasonUnsupported, fmt.Errorf("integration.requestParameters set what is sent to a backend; a MOCK calls none")
		}
		if in.Mock == nil && len(in.RequestTemplates) == 0 && len(in.Responses) == 0 {
			return out, apiv1.ReasonRejected, fmt.Errorf("a MOCK integration needs mock, or requestTemplates and responses")
		}
		if in.Mock != nil {
			if c := in.Mock.StatusCode; c != 0 && (c < 200 || c > 599) {
				// The CRD's bounds, for manifests that did not pass through it: the proxy
				// would refuse the whole stage for it.
				return out, apiv1.ReasonRejected, fmt.Errorf("integration.mock.statusCode %d is not a final HTTP status (200-599)", c)
			}
			if reason, err := mockTemplates(in.Mock); err != nil {
				return out, reason, err
			}
			out.Mock = &ir.Mock{StatusCode: orDefaultInt(in.Mock.StatusCode, 200), Headers: in.Mock.Headers, Body: in.Mock.Body}
		}
		if reason, err := integrationModel(in, &out); err != nil {
			return out, reason, err
		}
		return out, "", nil
	case apiv1.IntegrationHTTPProxy, apiv1.IntegrationHTTP, apiv1.IntegrationLambdaProxy:
	default:
		return out, apiv1.ReasonRejected, fmt.Errorf("unknown integration type %q", in.Type)
	}
	if (in.URI == "") == (in.BackendRef == nil) {
		return out, apiv1.ReasonRejected, fmt.Errorf("set exactly one of integration.uri and integration.backendRef")
	}
	var uri *mapping.Template
	if in.URI != "" {
		// The proxy's own parser: a {param} before the path, a partial host from a stage
		// variable, and everything else it would not build is refused here.
		var err error
		if uri, err = mapping.ParseTemplate(in.URI, mapping.URIParams(pathParams, in.RequestParameters)); err != nil {
			return out, apiv1.ReasonInvalidTemplate, err
		}
		out.URI = in.URI
	} else {
		out.Backend = &ir.Backend{Cluster: clusterName(r.Namespace, in.BackendRef.Name, in.BackendRef.Port), Path: in.BackendRef.Path}
	}
	if in.Type == apiv1.IntegrationLambdaProxy && r.Spec.RouteKey == "" {
		// "1.0" as Amazon API Gateway REST APIs send, so that REST-style handlers get their
		// httpMethod, path and resource. (A WEBSOCKET route's event has no version.)
		out.PayloadFormatVersion = orDefault(in.PayloadFormatVersion, "1.0")
	}
	if len(in.RequestParameters) > 0 {
		if in.Type == apiv1.IntegrationLambdaProxy {
			// The function gets the whole request in its event; nothing is mapped into it.
			return out, apiv1.ReasonUnsupported, fmt.Errorf("integration.requestParameters apply to HTTP and HTTP_PROXY integrations, not LAMBDA_PROXY: the function's event carries the request as it came")
		}
		out.RequestParameters = map[string]string{}
		for _, k := range sortedKeys(in.RequestParameters) {
			v := string(in.RequestParameters[k])
			m, err := mapping.ParseMapping(k, v, pathParams)
			if err != nil {
				return out, apiv1.ReasonInvalidTemplate, err
			}
			// A path override fills the uri's {name}: without one it would change nothing.
			if m.Target.Kind == mapping.TargetPath && (uri == nil || !uri.HasParam(m.Target.Name)) {
				return out, apiv1.ReasonRejected, fmt.Errorf("integration.requestParameters[%s]: integration.uri has no {%s} for it to fill", k, m.Target.Name)
			}
			out.RequestParameters[k] = v
		}
	}
	if reason, err := integrationModel(in, &out); err != nil {
		return out, reason, err
	}
	return out, "", nil
}

// gatewayResponseHeaders returns the headers of a gateway response the proxy can send,
// leaving out, with a problem on the RestApi, those whose name is not an HTTP token or whose
// value holds CR, LF or NUL (the proxy would refuse the whole stage for one), and, on an API
// with a cors policy (withCORS), the CORS response headers, which the policy sets on every
// response, gateway responses included (AWS users set them here for REST APIs, which have no
// policy).
func gatewayResponseHeaders(typ string, headers map[string]string, withCORS bool, ps *problems) map[string]string {
	var out map[string]string
	for _, k := range sortedKeys(headers) {
		v := headers[k]
		switch {
		case withCORS && isCORSResponseHeader(k):
			ps.add(apiv1.ReasonUnsupported, fmt.Sprintf("gatewayResponses.%s.headers[%s]: the API's cors policy sets the CORS headers of every response, gateway responses included; it is not sent (remove it, or remove cors to send it)", typ, k))
			continue
		case !mapping.ValidHeaderName(k):
			ps.add(apiv1.ReasonRejected, fmt.Sprintf("gatewayResponses.%s.headers: %q is not a header name (an HTTP token); it is not sent", typ, k))
			continue
		case !mapping.ValidHeaderValue(v):
			ps.add(apiv1.ReasonRejected, fmt.Sprintf("gatewayResponses.%s.headers[%s]: the value holds CR, LF or NUL; it is not sent", typ, k))
			continue
		case mapping.ReservedHeader(textproto.CanonicalMIMEHeaderKey(k)):
			ps.add(apiv1.ReasonRejected, fmt.Sprintf("gatewayResponses.%s.headers[%s]: the proxy writes this header itself (framing, connection); it is not sent", typ, k))
			continue
		}
		if out == nil {
			out = make(map[string]string, len(headers))
		}
		out[k] = v
	}
	return out
}

// gatewayResponseParameters checks a gateway response's responseParameters with the
// grammar the proxy builds them with, and returns them keyed header.<canonical name>, each
// source in one spelling (mapping.Source.Expr), so that AWS's syntax and Routes' compile to
// the same revision. What it refuses is reported and not sent.
func gatewayResponseParameters(typ string, r apiv1.GatewayResponse, withCORS bool, ps *problems) map[string]string {
	var out map[string]string
	for _, k := range sortedKeys(r.ResponseParameters) {
		m, err := mapping.ParseGatewayResponseMapping(k, string(r.ResponseParameters[k]))
		switch {
		case err != nil:
			ps.add(apiv1.ReasonRejected, fmt.Sprintf("gatewayResponses.%s.%v; it is not sent", typ, err))
			continue
		case mapping.ReservedHeader(m.Header):
			ps.add(apiv1.ReasonRejected, fmt.Sprintf("gatewayResponses.%s.responseParameters[%s]: the proxy writes this header itself (framing, connection); it is not sent", typ, k))
			continue
		case withCORS && isCORSResponseHeader(m.Header):
			ps.add(apiv1.ReasonUnsupported, fmt.Sprintf("gatewayResponses.%s.responseParameters[%s]: the API's cors policy sets the CORS headers of every response, gateway responses included; it is not sent (remove it, or remove cors to send it)", typ, k))
			continue
		case hasHeaderFold(r.Headers, m.Header):
			ps.add(apiv1.ReasonRejected, fmt.Sprintf("gatewayResponses.%s.responseParameters[%s]: headers sets %s too; this one is not sent (keep one of them)", typ, k, m.Header))
			continue
		}
		if out == nil {
			out = make(map[string]string, len(r.ResponseParameters))
		}
		out["header."+m.Header] = m.Source.Expr()
	}
	return out
}

func hasHeaderFold(headers map[string]string, name string) bool {
	for k := range headers {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// pathParametersExist checks that the path parameters cacheKeyParameters and
// requestValidation.requiredParameters name are the route path's: AWS refuses others, which
// would key nothing (cacheKeyParameters) or refuse every request (requiredParameters).
func pathParametersExist(s *apiv1.RouteSpec, params map[string]bool) error {
	check := func(field string, list []string) error {
		for _, p := range list {
			if name, ok := strings.CutPrefix(p, "path."); ok {
				if _, has := params[name]; !has {
					return fmt.Errorf("%s names %q, but path %s has no {%s}", field, p, s.Path, name)
				}
			}
		}
		return nil
	}
	if err := check("cacheKeyParameters", s.CacheKeyParameters); err != nil {
		return err
	}
	if v := s.RequestValidation; v != nil {
		return check("requestValidation.requiredParameters", v.RequiredParameters)
	}
	return nil
}

// routeCORSHeaders reports the CORS headers routes set themselves (a MOCK's headers, an
// integration response's responseParameters, where AWS REST users set them) on an API whose
// cors policy sets them on every answer instead: they are not sent.
func routeCORSHeaders(routes []*apiv1.Route, ps *problems) {
	routes = slices.Clone(routes)
	slices.SortFunc(routes, func(a, b *apiv1.Route) int { return cmp.Compare(a.Name, b.Name) })
	for _, r := range routes {
		in := r.Spec.Integration
		if in.Mock != nil {
			for _, k := range sortedKeys(in.Mock.Headers) {
				if isCORSResponseHeader(k) {
					ps.add(apiv1.ReasonUnsupported, fmt.Sprintf("Route %s: integration.mock.headers[%s] is not sent: the API's cors policy sets the CORS headers of every answer (remove the header, or remove cors to send it)", r.Name, k))
				}
			}
		}
		for i, resp := range in.Responses {
			for _, k := range sortedKeys(resp.ResponseParameters) {
				if h, ok := strings.CutPrefix(k, "header."); ok && isCORSResponseHeader(h) {
					ps.add(apiv1.ReasonUnsupported, fmt.Sprintf("Route %s: integration.responses[%d].responseParameters[%s] is not sent: the API's cors policy sets the CORS headers of every answer (remove it, or remove cors to send it)", r.Name, i, k))
				}
			}
		}
	}
}

// isCORSResponseHeader reports whether name is a response header of the CORS protocol.
func isCORSResponseHeader(name string) bool {
	switch strings.ToLower(name) {
	case "access-control-allow-origin", "access-control-allow-credentials", "access-control-expose-headers",
		"access-control-allow-methods", "access-control-allow-headers", "access-control-max-age":
		return true
	}
	return false
}

// canonicalSchema returns a model's schema as canonical JSON; jsonmodel.CompileAll checks
// it is a JSON Schema (draft 4 without $schema, as Amazon API Gateway reads models).
func canonicalSchema(raw []byte) (string, error) {
	if len(raw) == 0 {
		return "", fmt.Errorf("schema is empty")
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	canon, err := json.Marshal(v) // encoding/json sorts object keys
	return string(canon), err
}

// prefixes normalizes addresses and CIDR ranges to canonical prefixes, sorted.
func prefixes(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked().String())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR range", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}
