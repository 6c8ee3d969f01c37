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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/internal/vtl"
)

// WebSocket defaults: Amazon API Gateway's values.
const (
	defaultIdleTimeoutSeconds   = 600
	defaultMaxConnectionSeconds = 7200
	defaultMaxMessageBytes      = 128 << 10
)

// WebSocket route keys with a meaning of their own.
const (
	routeKeyConnect    = "$connect"
	routeKeyDisconnect = "$disconnect"
)

// websocketAPI fills the WEBSOCKET-only fields of out: connection limits with defaults
// (the file source applies no CRD defaults), and where $connect reads the API key.
func websocketAPI(s *apiv1.RestApiSpec, out *ir.API) {
	if s.Protocol != apiv1.ProtocolWebSocket {
		return
	}
	ws := &ir.WebSocket{
		IdleTimeoutSeconds:   defaultIdleTimeoutSeconds,
		MaxConnectionSeconds: defaultMaxConnectionSeconds,
		MaxMessageBytes:      defaultMaxMessageBytes,
	}
	if w := s.WebSocket; w != nil {
		ws.IdleTimeoutSeconds = orDefaultInt(w.IdleTimeoutSeconds, ws.IdleTimeoutSeconds)
		ws.MaxConnectionSeconds = orDefaultInt(w.MaxConnectionSeconds, ws.MaxConnectionSeconds)
		ws.MaxMessageBytes = orDefaultInt(w.MaxMessageBytes, ws.MaxMessageBytes)
	}
	out.WebSocket = ws
	switch e := s.APIKeySelectionExpression; {
	case e == "$context.authorizer.usageIdentifierKey":
		// The API key step already reads the authorizer's key for this source.
		out.APIKeySource = string(apiv1.APIKeySourceAuthorizer)
	case strings.EqualFold(e, "$request.header.x-api-key"):
		// What the API key step reads anyway.
	default:
		out.APIKeySelectionExpression = e
	}
}

// websocketDropHTTPOnly reports and drops what a WEBSOCKET API has no use for: the CRD's
// rules refuse these fields, so they reach the compiler only on objects stored before the
// rules or read from files. It returns the spec the rest of the API compiles from.
func websocketDropHTTPOnly(s *apiv1.RestApiSpec, out *ir.API, probs *problems) *apiv1.RestApiSpec {
	var fields []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"cors", s.CORS != nil},
		{"binaryMediaTypes", len(s.BinaryMediaTypes) > 0},
		{"minimumCompressionSize", s.MinimumCompressionSize != nil},
		{"models", len(s.Models) > 0},
	} {
		if f.set {
			fields = append(fields, f.name)
		}
	}
	if len(fields) == 0 {
		return s
	}
	probs.add(apiv1.ReasonUnsupported, fmt.Sprintf("%s: for HTTP APIs only; a WEBSOCKET API ignores them", strings.Join(fields, ", ")))
	out.BinaryMediaTypes, out.MinimumCompressionSize = nil, nil
	c := *s
	c.CORS, c.BinaryMediaTypes, c.MinimumCompressionSize, c.Models = nil, nil, nil, nil
	return &c
}

// websocketRoute checks what a WEBSOCKET route may set and compiles its two-way setting.
// Only $connect is authorized, so every other route ignores the API's defaultAuthorization;
// mappings, validation and caching have no meaning for messages and are refused rather than
// silently ignored.
func (c *apiCompiler) websocketRoute(r *apiv1.Route, out *ir.Route) (string, error) {
	s := &r.Spec
	if s.RouteKey != routeKeyConnect {
		if a := s.Authorization; a != nil && (a.AuthorizerRef != nil || a.APIKeyRequired) {
			return apiv1.ReasonRejected, fmt.Errorf("only $connect is authorized on a WEBSOCKET API (authorizerRef, apiKeyRequired); later messages carry the connection's identity")
		}
	}
	switch {
	case s.RequestValidation != nil:
		return apiv1.ReasonUnsupported, fmt.Errorf("requestValidation is not supported on WEBSOCKET routes")
	case len(s.CacheKeyParameters) > 0:
		return apiv1.ReasonUnsupported, fmt.Errorf("cacheKeyParameters do not apply to WEBSOCKET routes")
	case len(s.Integration.RequestParameters) > 0:
		return apiv1.ReasonUnsupported, fmt.Errorf("integration.requestParameters are not supported on WEBSOCKET routes")
	case s.Integration.Type == apiv1.IntegrationHTTP:
		return apiv1.ReasonUnsupported, fmt.Errorf("WEBSOCKET routes integrate with LAMBDA_PROXY, HTTP_PROXY or MOCK, not HTTP")
	case s.Integration.PayloadFormatVersion != "":
		return apiv1.ReasonUnsupported, fmt.Errorf("payloadFormatVersion does not apply to WEBSOCKET routes: functions receive Amazon API Gateway's WebSocket event")
	case len(s.Integration.RequestTemplates) > 0 || len(s.Integration.Responses) > 0 || s.Integration.PassthroughBehavior != "":
		return apiv1.ReasonUnsupported, fmt.Errorf("requestTemplates, responses and passthroughBehavior are not supported on WEBSOCKET routes: a MOCK answers with mock")
	}
	if field := templatedMock(s.Integration.Mock); field != "" {
		return apiv1.ReasonUnsupported, fmt.Errorf("%s is a mapping template, which WEBSOCKET routes do not evaluate: a MOCK sends its values as written", field)
	}
	if e := s.RouteResponseSelectionExpression; e != "" {
		switch {
		case s.RouteKey == routeKeyConnect || s.RouteKey == routeKeyDisconnect:
			return apiv1.ReasonRejected, fmt.Errorf("%s cannot be a two-way route: there is no open connection to answer on", s.RouteKey)
		case e != "$default":
			return apiv1.ReasonRejected, fmt.Errorf("routeResponseSelectionExpression is $default or unset, not %q", e)
		case s.Integration.Type == apiv1.IntegrationMock && (s.Integration.Mock == nil || s.Integration.Mock.Body == ""):
			return apiv1.ReasonRejected, fmt.Errorf("a two-way MOCK route needs mock.body: it is the answer sent back")
		}
		out.RouteResponseSelectionExpression = e
	}
	return "", nil
}

// templatedMock names the first of m's body and header values that is a template with
// something to evaluate (a reference, a directive), or returns "".
func templatedMock(m *apiv1.MockResponse) string {
	if m == nil {
		return ""
	}
	static := func(src string) bool {
		t, err := vtl.Parse(src)
		return err == nil && t.Static()
	}
	if !static(m.Body) {
		return "integration.mock.body"
	}
	for _, k := range sortedKeys(m.Headers) {
		if !static(m.Headers[k]) {
			return "integration.mock.headers[" + k + "]"
		}
	}
	return ""
}

// managementKeys resolves the API key Secrets of a WEBSOCKET API's managementApiKeys to
// their hashes, sorted by id; problems go to probs.
func (w *world) managementKeys(api *apiv1.RestApi, probs *problems) []ir.APIKey {
	ws := api.Spec.WebSocket
	if api.Spec.Protocol != apiv1.ProtocolWebSocket || ws == nil {
		return nil
	}
	var out []ir.APIKey
	seen := map[string]bool{}
	for _, ref := range ws.ManagementAPIKeys {
		if seen[ref.Name] {
			continue
		}
		seen[ref.Name] = true
		s := w.secrets[nsName{api.Namespace, ref.Name}]
		switch {
		case s == nil:
			probs.add(apiv1.ReasonInvalidAPIKey, fmt.Sprintf("websocket.managementApiKeys: Secret %s does not exist", ref.Name))
			continue
		case s.Type != apiv1.APIKeySecretType:
			probs.add(apiv1.ReasonInvalidAPIKey, fmt.Sprintf("websocket.managementApiKeys: Secret %s is of type %q, not %s", ref.Name, s.Type, apiv1.APIKeySecretType))
			continue
		}
		if enabled, problem := keyEnabled(s); !enabled {
			if problem != "" {
				probs.add(apiv1.ReasonInvalidAPIKey, "websocket.managementApiKeys: "+problem)
			}
			continue
		}
		value, ok := apiKeyValue(s)
		if !ok {
			continue // empty: the controller generates a key into it
		}
		sum := sha256.Sum256([]byte(value))
		out = append(out, ir.APIKey{ID: ref.Name, SHA256: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(out, func(a, b ir.APIKey) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
