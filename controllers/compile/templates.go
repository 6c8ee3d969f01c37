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
	"fmt"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/internal/mapping"
	"github.com/portico-dev/portico/internal/vtl"
)

// The request and response model: mapping templates are parsed here with the proxy's own
// parser (internal/vtl), so that a template the proxy would fail on is refused with its line
// and column on the Route (or the RestApi), not shipped; selection patterns and response
// parameters likewise go through internal/mapping.

// parseTemplates parses each template of m; field names the map in messages.
func parseTemplates[T ~string](field string, m map[string]T) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for _, ct := range sortedKeys(m) {
		src := string(m[ct])
		if _, err := vtl.Parse(src); err != nil {
			return nil, fmt.Errorf("%s[%s]: %w", field, ct, err)
		}
		out[ct] = src
	}
	return out, nil
}

// parseTemplate parses one template.
func parseTemplate(field, src string) error {
	if _, err := vtl.Parse(src); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

// integrationModel compiles the request and response model of an HTTP or MOCK integration
// into out. A MOCK's request template decides its status ({"statusCode": 200}), as in AWS.
func integrationModel(in *apiv1.Integration, out *ir.Integration) (string, error) {
	hasModel := in.HTTPMethod != "" || in.PassthroughBehavior != "" || len(in.RequestTemplates) > 0 ||
		in.ContentHandling != "" || len(in.Responses) > 0
	if !hasModel {
		return "", nil
	}
	switch {
	case in.Type == apiv1.IntegrationMock && (in.HTTPMethod != "" || in.ContentHandling != ""):
		return apiv1.ReasonRejected, fmt.Errorf("httpMethod and contentHandling apply to HTTP integrations only, not MOCK")
	case in.Type != apiv1.IntegrationHTTP && in.Type != apiv1.IntegrationMock:
		return apiv1.ReasonRejected, fmt.Errorf("httpMethod, passthroughBehavior, requestTemplates, contentHandling and responses apply to HTTP and MOCK integrations only, not %s", in.Type)
	}
	out.HTTPMethod = in.HTTPMethod
	out.PassthroughBehavior = string(in.PassthroughBehavior)
	out.ContentHandling = string(in.ContentHandling)
	var err error
	if out.RequestTemplates, err = parseTemplates("integration.requestTemplates", in.RequestTemplates); err != nil {
		return apiv1.ReasonInvalidTemplate, err
	}
	defaults := 0
	for i, r := range in.Responses {
		field := fmt.Sprintf("integration.responses[%d]", i)
		resp := ir.IntegrationResponse{SelectionPattern: r.SelectionPattern, StatusCode: orDefaultInt(r.StatusCode, 200)}
		if r.SelectionPattern == "" {
			defaults++
		} else if _, err := mapping.CompileSelectionPattern(r.SelectionPattern); err != nil {
			return apiv1.ReasonInvalidTemplate, fmt.Errorf("%s: %w", field, err)
		}
		if len(r.ResponseParameters) > 0 {
			resp.ResponseParameters = map[string]string{}
			for _, k := range sortedKeys(r.ResponseParameters) {
				v := string(r.ResponseParameters[k])
				if _, err := mapping.ParseResponseMapping(k, v); err != nil {
					return apiv1.ReasonInvalidTemplate, fmt.Errorf("%s: %w", field, err)
				}
				resp.ResponseParameters[k] = v
			}
		}
		if resp.ResponseTemplates, err = parseTemplates(field+".responseTemplates", r.ResponseTemplates); err != nil {
			return apiv1.ReasonInvalidTemplate, err
		}
		out.Responses = append(out.Responses, resp)
	}
	if defaults > 1 {
		return apiv1.ReasonRejected, fmt.Errorf("integration.responses: %d responses have no selectionPattern; at most one is the default", defaults)
	}
	return "", nil
}

// mockTemplates parses a MOCK integration's body and header values, which are templates,
// and checks its header names as the proxy does: one that is not an HTTP token would fail
// the whole stage there. On error it returns the condition reason.
func mockTemplates(m *apiv1.MockResponse) (string, error) {
	if err := parseTemplate("integration.mock.body", m.Body); err != nil {
		return apiv1.ReasonInvalidTemplate, err
	}
	for _, k := range sortedKeys(m.Headers) {
		if !mapping.ValidHeaderName(k) {
			return apiv1.ReasonRejected, fmt.Errorf("integration.mock.headers: %q is not a header name (an HTTP token)", k)
		}
		if err := parseTemplate("integration.mock.headers["+k+"]", m.Headers[k]); err != nil {
			return apiv1.ReasonInvalidTemplate, err
		}
	}
	return "", nil
}
