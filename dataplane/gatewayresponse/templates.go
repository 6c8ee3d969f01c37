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

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/vtl"
)

// Gateway response templates: RestApi.spec.gatewayResponses.<TYPE>.templates, mapping
// templates by content type, parsed once per build and chosen per response by the client's
// Accept header (application/json otherwise). They see $context.error.message,
// messageString, responseType and validationErrorString besides the request's $context.

type templateSet struct {
	byType map[string]*vtl.Template
	types  []string // sorted
}

func compileTemplates(name string, in map[string]string) (*templateSet, error) {
	if len(in) == 0 {
		return nil, nil
	}
	t := &templateSet{byType: map[string]*vtl.Template{}}
	for _, ct := range slices.Sorted(maps.Keys(in)) {
		tmpl, err := vtl.Parse(in[ct])
		if err != nil {
			return nil, fmt.Errorf("gateway response %s: templates[%s]: %w", name, ct, err)
		}
		mt := mediaType(ct)
		if !validHeader("Content-Type", mt) {
			return nil, fmt.Errorf("gateway response %s: %q is not a content type", name, ct)
		}
		t.byType[mt] = tmpl
		t.types = append(t.types, mt)
	}
	return t, nil
}

func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// pick chooses the template for an Accept header.
func (t *templateSet) pick(accept string) (string, *vtl.Template) {
	return ForAccept(t.byType, t.types, accept)
}

// FirstMediaType is the first media type of an Accept header, lower case, without
// parameters; "" for none. Amazon API Gateway honours only the first of several.
func FirstMediaType(accept string) string {
	first, _, _ := strings.Cut(accept, ",")
	return mediaType(first)
}

// ForAccept picks one of a set of templates by media type (byType; types, non-empty, in the
// order declared) for a client's Accept header: the first media type's (Amazon API Gateway
// honours only the first of several), else application/json's, else the first declared.
// Gateway responses and integration responses choose alike.
func ForAccept(byType map[string]*vtl.Template, types []string, accept string) (string, *vtl.Template) {
	if mt := FirstMediaType(accept); mt != "" {
		if tm := byType[mt]; tm != nil {
			return mt, tm
		}
	}
	if tm := byType["application/json"]; tm != nil {
		return "application/json", tm
	}
	return types[0], byType[types[0]]
}

// render evaluates the template for r; ok is false when it fails, and the caller falls back
// to the default body rather than answer an error with an error.
func (t *templateSet) render(r *http.Request, rc *reqctx.Request, typ Type, message, requestID string) (ct string, body []byte, ok bool) {
	ct, tmpl := t.pick(r.Header.Get("Accept"))
	quoted, _ := json.Marshal(message)
	errMap := vtl.NewMap()
	errMap.Set("message", message)
	errMap.Set("messageString", string(quoted))
	errMap.Set("responseType", defaults[typ].name)
	c := vtl.NewMap()
	c.Set("requestId", requestID)
	c.Set("httpMethod", r.Method)
	c.Set("error", errMap)
	if rc != nil {
		errMap.Set("validationErrorString", rc.Error.ValidationErrorString)
		identity := vtl.NewMap()
		identity.Set("sourceIp", rc.SourceIP)
		identity.Set("userAgent", r.UserAgent())
		c.Set("identity", identity)
		c.Set("stage", rc.Stage)
		c.Set("resourcePath", rc.ResourcePath)
		c.Set("path", rc.Path)
		c.Set("domainName", rc.Host)
		c.Set("domainPrefix", rc.DomainPrefix())
		account, api := rc.AccountAndAPI() // as templates and the Lambda events name them
		c.Set("accountId", account)
		c.Set("apiId", api)
		c.Set("canaryVariant", rc.Variant)
		c.Set("isCanaryRequest", rc.Variant == "canary") // AWS's, a boolean
	}
	env := vtl.Env{Context: c}
	if rc != nil && len(rc.Variables) > 0 {
		// $stageVariables, as AWS's gateway response templates read them: built here, on a
		// refusal's path, where the integrations' frozen map is not at hand.
		env.StageVariables = vtl.MapOf(rc.Variables)
	}
	res, err := tmpl.Eval(r.Context(), &env, &vtl.Options{MaxOutput: 1 << 20})
	if err != nil {
		return "", nil, false
	}
	return ct, []byte(res.Output), true
}
