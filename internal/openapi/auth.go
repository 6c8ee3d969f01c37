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
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/mapping"
)

// securitySchemes turns each scheme with x-amazon-apigateway-authorizer into an Authorizer,
// and notes API-key schemes. A scheme that cannot be carried over is remembered with its
// reason: the routes it protects are then left out rather than served unprotected.
func (im *importer) securitySchemes() error {
	if im.doc.Components == nil {
		return nil
	}
	names := nameSet{}
	schemes := im.doc.Components.SecuritySchemes
	for _, name := range sortedKeys(schemes) {
		ref := schemes[name]
		ptr := pointer("components", "securitySchemes", name)
		if im.swagger {
			ptr = pointer("securityDefinitions", name)
		}
		if ref == nil || ref.Value == nil {
			continue
		}
		s := ref.Value
		var a authorizerExt
		has, err := ext(s.Extensions, xAuthorizer, &a)
		if err != nil {
			return &Error{File: im.file, Pointer: ptr + "/" + xAuthorizer, Err: err}
		}
		var authType string
		if _, err := ext(s.Extensions, xAuthType, &authType); err != nil {
			return &Error{File: im.file, Pointer: ptr + "/" + xAuthType, Err: err}
		}
		var exact apiv1.AuthorizerSpec
		hasExact, err := ext(s.Extensions, xPorticoAuthorizer, &exact)
		if err != nil {
			return &Error{File: im.file, Pointer: ptr + "/" + xPorticoAuthorizer, Err: err}
		}
		switch {
		case hasExact:
			a := &apiv1.Authorizer{TypeMeta: typeMeta("Authorizer"), ObjectMeta: im.meta(names.take(dnsName(name, "authorizer"), name)), Spec: exact}
			im.authorizers[name] = a
			im.res.Authorizers = append(im.res.Authorizers, *a)
		case has:
			authz, why := im.authorizer(names.take(dnsName(name, "authorizer"), name), s, &a, ptr+"/"+xAuthorizer)
			if why == "" {
				if refused := im.checkAuthorizer(authz); refused != "" {
					why = "the Authorizer would be refused (" + refused + ")"
				}
			}
			if why != "" {
				im.refused[name] = why
				im.omit(ptr, "authorizer "+name, why+"; the routes it protects are left out rather than served unprotected")
				continue
			}
			im.authorizers[name] = authz
			im.res.Authorizers = append(im.res.Authorizers, *authz)
		case strings.EqualFold(authType, "awsSigv4") || strings.EqualFold(authType, "aws_iam"):
			im.refused[name] = "IAM (SigV4) authorization has no Portico form; use an Authorizer"
			im.omit(ptr, "security scheme "+name, im.refused[name]+"; the routes it protects are left out")
		case s.Type == "apiKey" && strings.EqualFold(s.In, "header") && strings.EqualFold(s.Name, "x-api-key"):
			im.apiKey[name] = true
		default:
			im.refused[name] = fmt.Sprintf("a %s security scheme without x-amazon-apigateway-authorizer is not enforced by Amazon API Gateway either; Portico needs an Authorizer", s.Type)
			im.omit(ptr, "security scheme "+name, im.refused[name]+"; the routes it protects are left out")
		}
	}
	return nil
}

var cognitoPool = regexp.MustCompile(`^arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):[0-9]*:userpool/([A-Za-z0-9_-]+)$`)

// authorizer maps one x-amazon-apigateway-authorizer; why is set when it cannot be.
func (im *importer) authorizer(name string, s *openapi3.SecurityScheme, a *authorizerExt, ptr string) (*apiv1.Authorizer, string) {
	out := &apiv1.Authorizer{TypeMeta: typeMeta("Authorizer"), ObjectMeta: im.meta(name)}
	spec := &out.Spec
	spec.IdentitySources = identitySources(a.IdentitySource)
	if len(spec.IdentitySources) == 0 && s != nil && s.Type == "apiKey" && strings.EqualFold(s.In, "header") && s.Name != "" {
		spec.IdentitySources = []string{"$request.header." + s.Name}
	}
	if a.AuthorizerResultTTLInSeconds != nil {
		ttl := int32(min(max(*a.AuthorizerResultTTLInSeconds, 0), 3600))
		spec.ResultTTLSeconds = &ttl
	}
	if a.AuthorizerCredentials != "" {
		im.omit(ptr+"/authorizerCredentials", "authorizerCredentials", "the IAM role API Gateway assumes to invoke the function has no meaning for an HTTP function")
	}
	if a.Type == "" && a.AuthorizerURI != "" {
		a.Type = "request" // what HTTP APIs' Lambda authorizers are, and leave unsaid
	}
	switch strings.ToLower(a.Type) {
	case "token", "request":
		spec.Type = apiv1.AuthorizerToken
		if strings.EqualFold(a.Type, "request") {
			spec.Type = apiv1.AuthorizerRequest
		}
		spec.IdentityValidationExpression = a.IdentityValidationExpression
		if spec.Type == apiv1.AuthorizerRequest && spec.IdentityValidationExpression != "" {
			im.omit(ptr+"/identityValidationExpression", "identityValidationExpression", "applies to TOKEN authorizers only, as in AWS")
			spec.IdentityValidationExpression = ""
		}
		uri, why := im.functionURL(a.AuthorizerURI)
		if why != "" {
			return nil, why
		}
		spec.Function = &apiv1.AuthorizerFunction{
			URI: uri, PayloadFormatVersion: a.AuthorizerPayloadFormatVersion, EnableSimpleResponses: a.EnableSimpleResponses,
		}
	case "cognito_user_pools":
		spec.Type = apiv1.AuthorizerJWT
		if len(a.ProviderARNs) == 0 {
			return nil, "a Cognito authorizer without providerARNs"
		}
		m := cognitoPool.FindStringSubmatch(a.ProviderARNs[0])
		if m == nil {
			return nil, fmt.Sprintf("providerARNs[0] %q is not a Cognito user pool ARN", a.ProviderARNs[0])
		}
		if len(a.ProviderARNs) > 1 {
			im.omit(ptr+"/providerARNs", "user pools after the first", "a Portico JWT authorizer trusts one issuer; import the others as Authorizers of their own")
		}
		// Cognito's REST authorizer checks the pool, not the audience; Portico's checks both,
		// so the app client IDs have to be filled in.
		spec.JWT = &apiv1.JWTConfig{Issuer: fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", m[1], m[2]), Audiences: []string{"PORTICO_COGNITO_APP_CLIENT_ID"}}
		im.omit(ptr, "Cognito app client IDs", "Portico checks the token's audience: replace PORTICO_COGNITO_APP_CLIENT_ID in Authorizer "+name+" by the pool's app client IDs")
	case "jwt":
		spec.Type = apiv1.AuthorizerJWT
		if a.JWTConfiguration == nil || a.JWTConfiguration.Issuer == "" || len(a.JWTConfiguration.Audience) == 0 {
			return nil, "a JWT authorizer needs jwtConfiguration.issuer and audience"
		}
		spec.JWT = &apiv1.JWTConfig{Issuer: a.JWTConfiguration.Issuer, Audiences: a.JWTConfiguration.Audience}
		if _, err := mapping.JWKSURI(spec.JWT.Issuer, ""); err != nil {
			return nil, err.Error() + " (a template placeholder left in?)"
		}
	default:
		return nil, fmt.Sprintf("authorizer type %q is not token, request, cognito_user_pools or jwt", a.Type)
	}
	if _, err := mapping.CheckIdentitySources(string(spec.Type), spec.IdentitySources); err != nil {
		return nil, err.Error()
	}
	if spec.Type != apiv1.AuthorizerRequest && len(spec.IdentitySources) == 1 && spec.IdentitySources[0] == mapping.DefaultIdentitySource {
		spec.IdentitySources = nil // the default; an export writes it back the same way
	}
	return out, ""
}

// identitySources converts AWS's comma-separated identity sources (method.request.header.X
// for REST APIs, $request.header.X for HTTP APIs) to Portico's.
func identitySources(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part != "" {
			out = append(out, mapping.FromRESTSyntax(part))
		}
	}
	return out
}

// authorization maps an operation's security requirements; why is set when the route must
// be left out (its only protection cannot be carried over).
func (im *importer) authorization(op *openapi3.Operation, ptr string) (*apiv1.Authorization, string) {
	reqs := op.Security
	if reqs == nil {
		reqs = &im.doc.Security
	}
	var legacy struct {
		Type string `json:"type"`
	}
	if ok, _ := ext(op.Extensions, xAuth, &legacy); ok && strings.EqualFold(legacy.Type, "aws_iam") {
		return nil, "x-amazon-apigateway-auth aws_iam: IAM authorization has no Portico form"
	}
	if len(*reqs) == 0 {
		return nil, ""
	}
	// Amazon API Gateway exports a method's protections as separate requirements
	// ([{api_key: []}, {my-authorizer: []}]) and applies every one of them, where OpenAPI
	// would read alternatives: so do we, as taking one would drop the others' protection.
	merged := openapi3.SecurityRequirement{}
	for _, req := range *reqs {
		for name, scopes := range req {
			for _, s := range scopes {
				if !slices.Contains(merged[name], s) {
					merged[name] = append(merged[name], s)
				}
			}
			if merged[name] == nil {
				merged[name] = []string{}
			}
		}
	}
	out := &apiv1.Authorization{}
	for _, name := range sortedKeys(merged) {
		scopes := merged[name]
		if why, bad := im.refused[name]; bad {
			return nil, "security scheme " + name + ": " + why
		}
		switch {
		case im.apiKey[name]:
			out.APIKeyRequired = true
		case im.authorizers[name] != nil:
			if out.AuthorizerRef != nil {
				return nil, "two authorizers on one method (" + out.AuthorizerRef.Name + " and " + im.authorizers[name].Name + "); Portico routes take one, as AWS methods do"
			}
			a := im.authorizers[name]
			out.AuthorizerRef = &apiv1.LocalObjectReference{Name: a.Name}
			if len(scopes) > 0 {
				if a.Spec.Type == apiv1.AuthorizerJWT {
					out.Scopes = scopes
				} else {
					im.omit(ptr+"/security", "scopes of "+name, "scopes apply to JWT authorizers only")
				}
			}
		default:
			return nil, "security scheme " + name + " is not defined"
		}
	}
	if out.AuthorizerRef == nil && !out.APIKeyRequired {
		return nil, ""
	}
	return out, ""
}
