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

var mockStatus = regexp.MustCompile(`"statusCode"\s*:\s*([0-9]{3})`)

// mock maps a MOCK integration: the status its request template selects, and the headers
// and body of the integration response for that status.
func (im *importer) mock(x *integrationExt, ptr string) *apiv1.MockResponse {
	status := 200
	for _, ct := range sortedKeys(x.RequestTemplates) {
		if m := mockStatus.FindStringSubmatch(x.RequestTemplates[ct]); m != nil {
			status, _ = strconv.Atoi(m[1])
			break
		}
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
	for _, k := range sortedKeys(x.Responses) {
		if k != chosen {
			im.omit(ptr+"/responses/"+k, "mock response "+k, "a Portico MOCK answers the one response its request template selects ("+code+")")
		}
	}
	if chosen == "" {
		return out
	}
	r := x.Responses[chosen]
	if r.StatusCode != 0 {
		out.StatusCode = int32(r.StatusCode)
	}
	for _, k := range sortedKeys(r.ResponseParameters) {
		v := r.ResponseParameters[k]
		h, ok := strings.CutPrefix(k, "method.response.header.")
		if !ok || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
			im.omit(ptr+"/responses/"+chosen+"/responseParameters", k, "MOCK headers are static values")
			continue
		}
		if out.Headers == nil {
			out.Headers = map[string]string{}
		}
		out.Headers[h] = v[1 : len(v)-1]
	}
	cts := sortedKeys(r.ResponseTemplates)
	if len(cts) > 0 {
		out.Body = r.ResponseTemplates[cts[0]]
		if out.Headers["Content-Type"] == "" && out.Headers["content-type"] == "" && out.Body != "" {
			if out.Headers == nil {
				out.Headers = map[string]string{}
			}
			out.Headers["Content-Type"] = cts[0]
		}
		for _, ct := range cts[1:] {
			im.omit(ptr+"/responses/"+chosen+"/responseTemplates/"+strings.ReplaceAll(ct, "/", "~1"), "mock template "+ct, "a MOCK answers one body; the first content type's is used")
		}
	}
	return out
}
