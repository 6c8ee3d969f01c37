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
	"reflect"
	"strconv"
	"strings"
)

// The x-amazon-apigateway-* extension names.
const (
	xIntegration       = "x-amazon-apigateway-integration"
	xAnyMethod         = "x-amazon-apigateway-any-method"
	xAuthorizer        = "x-amazon-apigateway-authorizer"
	xAuthType          = "x-amazon-apigateway-authtype"
	xAuth              = "x-amazon-apigateway-auth"
	xAPIKeySource      = "x-amazon-apigateway-api-key-source"
	xBinaryMediaTypes  = "x-amazon-apigateway-binary-media-types"
	xMinCompression    = "x-amazon-apigateway-minimum-compression-size"
	xGatewayResponses  = "x-amazon-apigateway-gateway-responses"
	xIntegrations      = "x-amazon-apigateway-integrations"
	xCORS              = "x-amazon-apigateway-cors"
	xPolicy            = "x-amazon-apigateway-policy"
	xRequestValidators = "x-amazon-apigateway-request-validators"
	xRequestValidator  = "x-amazon-apigateway-request-validator"
	xImportExport      = "x-amazon-apigateway-importexport-version"
	xTagValue          = "x-amazon-apigateway-tag-value"
	// xPortico carries what a Portico route has and OpenAPI with AWS's extensions cannot say
	// (a Service backendRef, a MOCK answer written out), so that an export imports back to
	// the same API.
	xPortico = "x-portico-integration"
	// xPorticoAPI and xPorticoAuthorizer do the same for a RestApi's and an Authorizer's spec.
	xPorticoAPI        = "x-portico-restapi"
	xPorticoAuthorizer = "x-portico-authorizer"
	// xPorticoModels keeps the content type of each model that is not application/json:
	// OpenAPI lists a schema without one.
	xPorticoModels = "x-portico-models"
	// xEndpointConfig is on a servers[] entry in OpenAPI 3 and at the root in Swagger 2.0;
	// its disableExecuteApiEndpoint is the RestApi's disableDefaultEndpoint.
	xEndpointConfig = "x-amazon-apigateway-endpoint-configuration"
	// xLegacyDisableEndpoint is not AWS's: Portico's earlier exports wrote it at the root
	// instead of xEndpointConfig. Import still reads it, so that those import back.
	xLegacyDisableEndpoint = "x-amazon-apigateway-disable-execute-api-endpoint"
)

// integrationExt is x-amazon-apigateway-integration.
type integrationExt struct {
	Type                 string                     `json:"type"`
	URI                  string                     `json:"uri,omitempty"`
	HTTPMethod           string                     `json:"httpMethod,omitempty"`
	PassthroughBehavior  string                     `json:"passthroughBehavior,omitempty"`
	RequestTemplates     map[string]string          `json:"requestTemplates,omitempty"`
	RequestParameters    map[string]string          `json:"requestParameters,omitempty"`
	Responses            map[string]integrationResp `json:"responses,omitempty"`
	ContentHandling      string                     `json:"contentHandling,omitempty"`
	TimeoutInMillis      flexInt                    `json:"timeoutInMillis,omitempty"`
	PayloadFormatVersion flexString                 `json:"payloadFormatVersion,omitempty"`
	CacheKeyParameters   []string                   `json:"cacheKeyParameters,omitempty"`
	CacheNamespace       string                     `json:"cacheNamespace,omitempty"`
	Credentials          string                     `json:"credentials,omitempty"`
	ConnectionType       string                     `json:"connectionType,omitempty"`
	ConnectionID         string                     `json:"connectionId,omitempty"`
	IntegrationSubtype   string                     `json:"integrationSubtype,omitempty"`
	TLSConfig            json.RawMessage            `json:"tlsConfig,omitempty"`
	ResponseParameters   json.RawMessage            `json:"responseParameters,omitempty"`
	ResponseTransferMode string                     `json:"responseTransferMode,omitempty"`
}

// integrationFields are integrationExt's JSON names: a field of the extension not among
// them is reported, not dropped silently.
var integrationFields = jsonNames(integrationExt{})

// jsonNames is the set of JSON field names of struct v.
func jsonNames(v any) map[string]bool {
	t := reflect.TypeOf(v)
	out := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = true
	}
	return out
}

type integrationResp struct {
	StatusCode         flexInt           `json:"statusCode,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	ContentHandling    string            `json:"contentHandling,omitempty"`
}

// authorizerExt is x-amazon-apigateway-authorizer.
type authorizerExt struct {
	Type                           string   `json:"type"`
	AuthorizerURI                  string   `json:"authorizerUri,omitempty"`
	AuthorizerCredentials          string   `json:"authorizerCredentials,omitempty"`
	IdentitySource                 string   `json:"identitySource,omitempty"`
	IdentityValidationExpression   string   `json:"identityValidationExpression,omitempty"`
	AuthorizerResultTTLInSeconds   *flexInt `json:"authorizerResultTtlInSeconds,omitempty"`
	ProviderARNs                   []string `json:"providerARNs,omitempty"`
	AuthorizerPayloadFormatVersion string   `json:"authorizerPayloadFormatVersion,omitempty"`
	EnableSimpleResponses          bool     `json:"enableSimpleResponses,omitempty"`
	JWTConfiguration               *struct {
		Issuer   string   `json:"issuer,omitempty"`
		Audience []string `json:"audience,omitempty"`
	} `json:"jwtConfiguration,omitempty"`
}

// gatewayResponseExt is one entry of x-amazon-apigateway-gateway-responses.
type gatewayResponseExt struct {
	StatusCode         flexInt           `json:"statusCode,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
}

// corsExt is x-amazon-apigateway-cors (HTTP APIs).
type corsExt struct {
	AllowOrigins     []string `json:"allowOrigins,omitempty"`
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAge           *flexInt `json:"maxAge,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
}

// validatorExt is one entry of x-amazon-apigateway-request-validators.
type validatorExt struct {
	ValidateRequestBody       bool `json:"validateRequestBody"`
	ValidateRequestParameters bool `json:"validateRequestParameters"`
}

// policyExt is x-amazon-apigateway-policy, an IAM policy document.
type policyExt struct {
	Statement oneOrMany[policyStatement] `json:"Statement"`
}

type policyStatement struct {
	Effect    string                                  `json:"Effect"`
	Action    oneOrMany[string]                       `json:"Action,omitempty"`
	Resource  oneOrMany[string]                       `json:"Resource,omitempty"`
	Condition map[string]map[string]oneOrMany[string] `json:"Condition,omitempty"`
	Principal json.RawMessage                         `json:"Principal,omitempty"`
}

// flexInt reads a number written as a number or a string ("200"), as exports do both.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}

// flexString reads a string also written as a number (payloadFormatVersion: 1.0).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	s = n.String()
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	*f = flexString(s)
	return nil
}

// oneOrMany reads a value IAM policies write either alone or in a list.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	var many []T
	if err := json.Unmarshal(b, &many); err == nil {
		*o = many
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}
