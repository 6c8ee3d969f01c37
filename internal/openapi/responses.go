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
	"fmt"
	"regexp"
	"strconv"
	"strings"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/mapping"
)

func templates(in map[string]string) map[string]apiv1.MappingTemplate {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]apiv1.MappingTemplate, len(in))
	for k, v := range in {
		out[k] = apiv1.MappingTemplate(v)
	}
	return out
}

// responses maps integration responses: "default" has no selection pattern.
func (im *importer) responses(in map[string]integrationResp, ptr string) []apiv1.IntegrationResponse {
	var out []apiv1.IntegrationResponse
	for _, k := range sortedKeys(in) {
		r := in[k]
		resp := apiv1.IntegrationResponse{StatusCode: int32(r.StatusCode), ResponseTemplates: templates(r.ResponseTemplates)}
		if k != "default" {
			resp.SelectionPattern = k
		}
		for _, pk := range sortedKeys(r.ResponseParameters) {
			h, ok := strings.CutPrefix(pk, "method.response.")
			if _, err := mapping.ParseResponseMapping(h, r.ResponseParameters[pk]); !ok || err != nil {
				why := "only method.response.header.* targets are mapped"
				if err != nil {
					why = err.Error()
				}
				im.omit(ptr+"/responses/"+k+"/responseParameters", pk, why)
				continue
			}
			if resp.ResponseParameters == nil {
				resp.ResponseParameters = map[string]apiv1.ParameterSource{}
			}
			resp.ResponseParameters[h] = apiv1.ParameterSource(r.ResponseParameters[pk])
		}
		if r.ContentHandling != "" {
			im.omit(ptr+"/responses/"+k+"/contentHandling", "response contentHandling", "Portico converts on the integration, not per response")
		}
		out = append(out, resp)
	}
	return out
}

var mockStatus = regexp.MustCompile(`^\s*\{\s*"statusCode"\s*:\s*"?([0-9]{3})"?\s*\}\s*$`)

// mock maps a MOCK integration onto out. One that always answers the same (request
// templates that are a constant {"statusCode": N}, and a selected response with one body and
// static headers) becomes mock, the form that answers without running a template per
// request; any other is carried as AWS has it, request templates and integration responses,
// which Portico's MOCK runs as AWS's does (a template choosing the status per request).
func (im *importer) mock(x *integrationExt, ptr string, out *apiv1.Integration) {
	if m, ok := im.staticMock(x); ok {
		out.Mock = m
		return
	}
	out.RequestTemplates = templates(x.RequestTemplates)
	out.Responses = im.responses(x.Responses, ptr)
	out.PassthroughBehavior = apiv1.PassthroughBehavior(strings.ToUpper(x.PassthroughBehavior))
	if len(out.RequestTemplates) == 0 {
		out.Mock = &apiv1.MockResponse{StatusCode: 200} // AWS's status without a template
	}
}

// staticMock is x as a mock answer, when x always answers the same.
func (im *importer) staticMock(x *integrationExt) (*apiv1.MockResponse, bool) {
	status := 200
	for i, ct := range sortedKeys(x.RequestTemplates) {
		m := mockStatus.FindStringSubmatch(x.RequestTemplates[ct])
		if m == nil {
			return nil, false
		}
		n, _ := strconv.Atoi(m[1])
		if i > 0 && n != status {
			return nil, false
		}
		status = n
	}
	code := fmt.Sprint(status)
	chosen := ""
	for _, k := range sortedKeys(x.Responses) {
		if k == "default" && chosen == "" {
			chosen = k
		}
		if re, err := mapping.CompileSelectionPattern(k); err == nil && k != "default" && re.MatchString(code) {
			chosen = k
			break
		}
	}
	out := &apiv1.MockResponse{StatusCode: int32(status)}
	if chosen == "" {
		return out, true
	}
	r := x.Responses[chosen]
	if len(r.ResponseTemplates) > 1 || r.ContentHandling != "" {
		return nil, false
	}
	for k, v := range r.ResponseParameters {
		if !strings.HasPrefix(k, "method.response.header.") || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
			return nil, false
		}
	}
	// The other responses are never selected: the status is always code.
	if r.StatusCode != 0 {
		out.StatusCode = int32(r.StatusCode)
	}
	for _, k := range sortedKeys(r.ResponseParameters) {
		v := r.ResponseParameters[k]
		if out.Headers == nil {
			out.Headers = map[string]string{}
		}
		out.Headers[strings.TrimPrefix(k, "method.response.header.")] = v[1 : len(v)-1]
	}
	for ct, body := range r.ResponseTemplates {
		out.Body = body
		if out.Headers["Content-Type"] == "" && out.Headers["content-type"] == "" && out.Body != "" {
			if out.Headers == nil {
				out.Headers = map[string]string{}
			}
			out.Headers["Content-Type"] = ct
		}
	}
	return out, true
}
