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
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/mapping"
)

// importer holds one import's state.
type importer struct {
	*document
	opts   Options
	res    Result
	api    string
	routes nameSet
	// authorizers maps a security scheme's name to its Authorizer, when it was carried over;
	// refused names the schemes that were not, with the reason.
	authorizers map[string]*apiv1.Authorizer
	refused     map[string]string
	apiKey      map[string]bool
	models      map[string]string          // schema name -> model name
	bodies      []*apiv1.RequestValidation // validations with body models
	validators  map[string]validatorExt
	placeholder map[string]bool
	// usedFunctions are the --function names an integration or authorizer took.
	usedFunctions map[string]bool
	// routeAt is where each Route's operation is, and what it is, for check's reports.
	routeAt map[string]operationAt
	// integrations are the components' x-amazon-apigateway-integrations, by name, and
	// usedIntegrations those an operation named.
	integrations     map[string]map[string]any
	usedIntegrations map[string]bool
	// modelTypes are the content types x-portico-models gives (an export's), by model.
	modelTypes map[string]string
}

type operationAt struct{ ptr, what string }

// Import turns an Amazon API Gateway export into Portico objects. file names the input in
// errors and omissions. An invalid document is an *Error; everything the document holds
// that Portico cannot take is in Result.Omissions.
func Import(file string, data []byte, opts Options) (*Result, error) {
	d, err := load(file, data)
	if err != nil {
		return nil, err
	}
	im := &importer{
		document: d, opts: opts, routes: nameSet{},
		authorizers: map[string]*apiv1.Authorizer{}, refused: map[string]string{}, apiKey: map[string]bool{},
		models: map[string]string{}, validators: map[string]validatorExt{}, placeholder: map[string]bool{}, usedFunctions: map[string]bool{},
		routeAt: map[string]operationAt{}, usedIntegrations: map[string]bool{},
	}
	if err := im.run(); err != nil {
		return nil, err
	}
	return &im.res, nil
}

func (im *importer) omit(ptr, what, why string) {
	im.res.Omissions = append(im.res.Omissions, Omission{Pointer: ptr, What: what, Why: why})
}

func (im *importer) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: im.opts.Namespace}
}

func (im *importer) run() error {
	title := ""
	if im.doc.Info != nil {
		title = im.doc.Info.Title
	}
	im.api = im.opts.Name
	if im.api == "" {
		im.api = dnsName(title, "api")
	} else if dnsName(im.api, "") != im.api {
		return &Error{File: im.file, Pointer: "#", Err: fmt.Errorf("--name %q is not a valid Kubernetes name (lower-case letters, digits and '-')", im.api)}
	}
	api := &apiv1.RestApi{TypeMeta: typeMeta("RestApi"), ObjectMeta: im.meta(im.api)}
	if im.doc.Info != nil {
		api.Spec.Description = strings.TrimSpace(im.doc.Info.Description)
		if api.Spec.Description == "" {
			api.Spec.Description = title
		}
	}
	im.res.RestApi = api
	if err := im.apiSettings(&api.Spec); err != nil {
		return err
	}
	if err := im.componentExtensions(); err != nil {
		return err
	}
	if err := im.modelsOf(&api.Spec); err != nil {
		return err
	}
	if _, err := ext(im.doc.Extensions, xPorticoModels, &im.modelTypes); err != nil {
		return &Error{File: im.file, Pointer: pointer(xPorticoModels), Err: err}
	}
	for name, ct := range im.modelTypes {
		if m, ok := api.Spec.Models[name]; ok {
			m.ContentType = ct
			api.Spec.Models[name] = m
		}
	}
	if ok, err := ext(im.doc.Extensions, xPorticoAPI, &api.Spec); ok && err != nil {
		return &Error{File: im.file, Pointer: pointer(xPorticoAPI), Err: err}
	}
	if err := im.securitySchemes(); err != nil {
		return err
	}
	if err := im.paths(); err != nil {
		return err
	}
	im.unusedIntegrations()
	im.modelContentTypes(&api.Spec)
	im.stage()
	if err := im.check(); err != nil {
		return err
	}
	for _, k := range sortedKeys(im.opts.Functions) {
		if !im.usedFunctions[k] {
			// A typo would leave the function's placeholder host in the routes unnoticed.
			im.omit("", "--function "+k, "no Lambda integration or authorizer of the document names this function (give its name, name:alias, or ARN)")
		}
	}
	for n := range im.placeholder {
		im.res.Placeholders = append(im.res.Placeholders, n)
	}
	slices.Sort(im.res.Placeholders)
	return nil
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiv1.GroupVersion.String(), Kind: kind}
}

// apiSettings maps the document-level extensions onto the RestApi.
func (im *importer) apiSettings(spec *apiv1.RestApiSpec) error {
	exts := im.doc.Extensions
	for _, k := range sortedKeys(exts) {
		ptr := pointer(k)
		var err error
		switch k {
		case xAPIKeySource:
			var s string
			if _, err = ext(exts, k, &s); err == nil {
				switch strings.ToUpper(s) {
				case "HEADER", "AUTHORIZER":
					spec.APIKeySource = apiv1.APIKeySource(strings.ToUpper(s))
				default:
					err = fmt.Errorf("%q is not HEADER or AUTHORIZER", s)
				}
			}
		case xBinaryMediaTypes:
			_, err = ext(exts, k, &spec.BinaryMediaTypes)
		case xMinCompression:
			var n flexInt
			if _, err = ext(exts, k, &n); err == nil {
				if n < 0 || n > 10485760 {
					err = fmt.Errorf("%d is not 0..10485760", n)
				} else {
					v := int32(n)
					spec.MinimumCompressionSize = &v
				}
			}
		case xGatewayResponses:
			err = im.gatewayResponses(spec)
		case xCORS:
			err = im.cors(spec)
		case xPolicy:
			err = im.policy(spec)
		case xRequestValidators:
			_, err = ext(exts, k, &im.validators)
		case xEndpointConfig:
			err = im.endpointConfig(exts[k], ptr, spec)
		case xLegacyDisableEndpoint:
			var disable bool
			if _, err = ext(exts, k, &disable); err == nil && disable {
				spec.DisableDefaultEndpoint = true
			}
		case xRequestValidator, xImportExport:
			// Read per operation; the version only says which import rules apply.
		case xPorticoAPI:
			// Applied last, over what the AWS extensions said.
		case xPorticoModels:
			// Read with the models.
		default:
			if strings.HasPrefix(k, "x-amazon-apigateway-") {
				why := omittedAPIExtensions[k]
				if why == "" {
					why = "not an extension Portico knows"
				}
				im.omit(ptr, k, why)
			}
		}
		if err != nil {
			return &Error{File: im.file, Pointer: ptr, Err: err}
		}
	}
	// AWS exports an API's tags as the document's tags, each with its value in
	// x-amazon-apigateway-tag-value.
	for i, tag := range im.doc.Tags {
		if tag == nil {
			continue
		}
		if _, ok := tag.Extensions[xTagValue]; ok {
			im.omit(pointer("tags", strconv.Itoa(i), xTagValue), "tag "+tag.Name, omittedAPIExtensions[xTagValue])
		}
	}
	// OpenAPI 3 exports put the endpoint configuration on the servers (Swagger 2.0 ones at
	// the root, read above).
	if im.swagger {
		return nil
	}
	for i, s := range im.doc.Servers {
		if s == nil {
			continue
		}
		if v, ok := s.Extensions[xEndpointConfig]; ok {
			ptr := pointer("servers", strconv.Itoa(i), xEndpointConfig)
			if err := im.endpointConfig(v, ptr, spec); err != nil {
				return &Error{File: im.file, Pointer: ptr, Err: err}
			}
		}
	}
	return nil
}

// endpointConfig maps an x-amazon-apigateway-endpoint-configuration at ptr:
// disableExecuteApiEndpoint is disableDefaultEndpoint (true on any server wins), the rest
// is AWS networking, reported.
func (im *importer) endpointConfig(v any, ptr string, spec *apiv1.RestApiSpec) error {
	var cfg map[string]any
	if _, err := ext(map[string]any{xEndpointConfig: v}, xEndpointConfig, &cfg); err != nil {
		return err
	}
	for _, k := range sortedKeys(cfg) {
		if k != "disableExecuteApiEndpoint" {
			why := omittedEndpointConfig[k]
			if why == "" {
				why = "not an endpoint configuration property Portico knows"
			}
			im.omit(ptr+strings.TrimPrefix(pointer(k), "#"), k, why)
			continue
		}
		disable, ok := cfg[k].(bool)
		if !ok {
			return fmt.Errorf("%s: disableExecuteApiEndpoint is %v, not true or false", xEndpointConfig, cfg[k])
		}
		if disable {
			spec.DisableDefaultEndpoint = true
		}
	}
	return nil
}

// omittedEndpointConfig say why endpoint configuration properties are left.
var omittedEndpointConfig = map[string]string{
	"vpcEndpointIds": "VPC endpoints are AWS networking; Portico is reached through its proxies (hostnames, DomainName)",
	"types":          "endpoint types (EDGE, REGIONAL, PRIVATE) are AWS networking; Portico is reached through its proxies (hostnames, DomainName)",
	"ipAddressType":  "the IP address types AWS's endpoint accepts are AWS networking; Portico's proxies listen as their Service does",
}

// omittedAPIExtensions say why document-level extensions without a Portico form are left.
var omittedAPIExtensions = map[string]string{
	"x-amazon-apigateway-documentation": "documentation parts are not served; keep the OpenAPI document as the API's documentation",
	xTagValue:                           "tags are AWS resource tags; use Kubernetes labels",
}

// componentExtensions reads an HTTP API's reusable x-amazon-apigateway-integrations, which
// operations name by $ref, and reports the other extensions under components.
func (im *importer) componentExtensions() error {
	if im.doc.Components == nil {
		return nil
	}
	if _, err := ext(im.doc.Components.Extensions, xIntegrations, &im.integrations); err != nil {
		return &Error{File: im.file, Pointer: pointer("components", xIntegrations), Err: err}
	}
	for _, k := range sortedKeys(im.doc.Components.Extensions) {
		// The operations that name one of x-amazon-apigateway-integrations by $ref take it.
		if strings.HasPrefix(k, "x-amazon-apigateway-") && k != xIntegrations {
			why := omittedAPIExtensions[k]
			if why == "" {
				why = "not a components extension Portico knows"
			}
			im.omit(pointer("components", k), k, why)
		}
	}
	return nil
}

// unusedIntegrations reports the components' x-amazon-apigateway-integrations no operation
// named: AWS exports the integrations attached to no route there too.
func (im *importer) unusedIntegrations() {
	for _, name := range sortedKeys(im.integrations) {
		if !im.usedIntegrations[name] {
			im.omit(pointer("components", xIntegrations, name), "integration "+name, "no operation names it (an integration attached to no route)")
		}
	}
}

func (im *importer) gatewayResponses(spec *apiv1.RestApiSpec) error {
	var grs map[string]gatewayResponseExt
	if _, err := ext(im.doc.Extensions, xGatewayResponses, &grs); err != nil {
		return err
	}
	known := map[apiv1.GatewayResponseType]bool{}
	for _, t := range gatewayResponseTypes {
		known[t] = true
	}
	for _, name := range sortedKeys(grs) {
		gr := grs[name]
		ptr := pointer(xGatewayResponses, name)
		t := apiv1.GatewayResponseType(name)
		if !known[t] {
			im.omit(ptr, "gateway response "+name, "Portico has no response of this type (see API.md, What clients see)")
			continue
		}
		out := apiv1.GatewayResponse{}
		if gr.StatusCode != 0 {
			code := int32(gr.StatusCode)
			out.StatusCode = &code
		}
		for _, k := range sortedKeys(gr.ResponseParameters) {
			v := gr.ResponseParameters[k]
			h, ok := strings.CutPrefix(k, "gatewayresponse.header.")
			if !ok {
				im.omit(pointer(xGatewayResponses, name, "responseParameters", k), k+": "+v,
					"a response has no path or query string to set; only gatewayresponse.header.<name> is carried over")
				continue
			}
			m, err := mapping.ParseGatewayResponseMapping("header."+h, v)
			if err != nil {
				im.omit(pointer(xGatewayResponses, name, "responseParameters", k), k+": "+v, err.Error())
				continue
			}
			if m.Source.Kind == mapping.Static {
				if out.Headers == nil {
					out.Headers = map[string]string{}
				}
				out.Headers[h] = m.Source.Name
				continue
			}
			if out.ResponseParameters == nil {
				out.ResponseParameters = map[string]apiv1.ParameterSource{}
			}
			out.ResponseParameters["header."+h] = apiv1.ParameterSource(v)
		}
		for _, ct := range sortedKeys(gr.ResponseTemplates) {
			if out.Templates == nil {
				out.Templates = map[string]apiv1.GatewayResponseTemplate{}
			}
			out.Templates[ct] = apiv1.GatewayResponseTemplate(gr.ResponseTemplates[ct])
		}
		if spec.GatewayResponses == nil {
			spec.GatewayResponses = map[apiv1.GatewayResponseType]apiv1.GatewayResponse{}
		}
		spec.GatewayResponses[t] = out
	}
	return nil
}

var gatewayResponseTypes = []apiv1.GatewayResponseType{
	apiv1.GatewayResponseDefault4XX, apiv1.GatewayResponseDefault5XX, apiv1.GatewayResponseResourceNotFound,
	apiv1.GatewayResponseMissingAuthenticationToken, apiv1.GatewayResponseInvalidAPIKey, apiv1.GatewayResponseAccessDenied,
	apiv1.GatewayResponseUnauthorized, apiv1.GatewayResponseExpiredToken, apiv1.GatewayResponseAuthorizerFailure,
	apiv1.GatewayResponseThrottled, apiv1.GatewayResponseQuotaExceeded, apiv1.GatewayResponseBadRequestBody,
	apiv1.GatewayResponseBadRequestParameters, apiv1.GatewayResponseRequestTooLarge, apiv1.GatewayResponseUnsupportedMediaType,
	apiv1.GatewayResponseIntegrationFailure, apiv1.GatewayResponseIntegrationTimeout, apiv1.GatewayResponseAPIConfigurationError,
}

func (im *importer) cors(spec *apiv1.RestApiSpec) error {
	var c corsExt
	if _, err := ext(im.doc.Extensions, xCORS, &c); err != nil {
		return err
	}
	out := &apiv1.CORSPolicy{AllowOrigins: c.AllowOrigins, AllowHeaders: c.AllowHeaders, ExposeHeaders: c.ExposeHeaders, AllowCredentials: c.AllowCredentials}
	for _, m := range c.AllowMethods {
		m = strings.ToUpper(m)
		if m == "*" {
			m = string(apiv1.MethodAny)
		}
		out.AllowMethods = append(out.AllowMethods, apiv1.HTTPMethod(m))
	}
	if c.MaxAge != nil {
		// AWS's -1 asks browsers not to cache the preflight, as 0 does.
		v := int32(max(*c.MaxAge, 0))
		out.MaxAgeSeconds = &v
	}
	spec.CORS = out
	return nil
}

// policy carries the source-IP conditions of a resource policy; the rest of IAM is reported.
func (im *importer) policy(spec *apiv1.RestApiSpec) error {
	var p policyExt
	if _, err := ext(im.doc.Extensions, xPolicy, &p); err != nil {
		return err
	}
	ips := &apiv1.SourceIPPolicy{}
	for i, s := range p.Statement {
		ptr := pointer(xPolicy, "Statement", fmt.Sprint(i))
		for _, op := range sortedKeys(s.Condition) {
			cidrs, ok := s.Condition[op]["aws:SourceIp"]
			if !ok || len(s.Condition[op]) != 1 {
				im.omit(ptr+"/Condition/"+op, "condition "+op, "only aws:SourceIp conditions have a Portico form (policy.sourceIPs)")
				continue
			}
			switch {
			case op == "IpAddress" && s.Effect == "Allow", op == "NotIpAddress" && s.Effect == "Deny":
				ips.Allow = append(ips.Allow, cidrs...)
			case op == "IpAddress" && s.Effect == "Deny", op == "NotIpAddress" && s.Effect == "Allow":
				ips.Deny = append(ips.Deny, cidrs...)
			default:
				im.omit(ptr+"/Condition/"+op, "condition "+op, "only IpAddress and NotIpAddress on aws:SourceIp have a Portico form")
			}
		}
		for _, r := range s.Resource {
			if !strings.HasSuffix(r, "/*") && r != "*" && !strings.HasSuffix(r, "*/*/*") {
				im.omit(ptr+"/Resource", "resource "+r, "a policy applies to the whole API in Portico, not to single methods")
			}
		}
		if len(s.Principal) > 0 && string(s.Principal) != `"*"` && string(s.Principal) != `{"AWS":"*"}` {
			im.omit(ptr+"/Principal", "principal "+string(s.Principal), "IAM principals have no Portico form; use an Authorizer")
		}
	}
	if len(ips.Allow) > 0 || len(ips.Deny) > 0 {
		spec.Policy = &apiv1.ResourcePolicy{SourceIPs: ips}
	}
	return nil
}

var methodOrder = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// routePath is the CRD's rule for Route.spec.path.
var routePath = regexp.MustCompile(`^(/([A-Za-z0-9._~!$&'()*,;=:@-]+|[{][A-Za-z_][A-Za-z0-9_]*[}]))*(/[{][A-Za-z_][A-Za-z0-9_]*[+][}])?$`)

// paths imports every operation, in path then method order.
func (im *importer) paths() error {
	pathMap := im.doc.Paths.Map()
	for _, path := range sortedKeys(pathMap) {
		item := pathMap[path]
		if item == nil {
			continue
		}
		ops := map[string]*openapi3.Operation{}
		for m, op := range item.Operations() {
			ops[strings.ToUpper(m)] = op
		}
		if raw, ok := item.Extensions[xAnyMethod]; ok {
			op, err := im.anyMethod(raw)
			if err != nil {
				return &Error{File: im.file, Pointer: pointer("paths", path, xAnyMethod), Err: err}
			}
			ops["ANY"] = op
		}
		for _, k := range sortedKeys(item.Extensions) {
			if strings.HasPrefix(k, "x-amazon-apigateway-") && k != xAnyMethod {
				im.omit(pointer("paths", path, k), k, "not a path-level extension Portico knows")
			}
		}
		for _, m := range append(slices.Clone(methodOrder), "ANY", "TRACE", "CONNECT", "QUERY") {
			op := ops[m]
			if op == nil {
				continue
			}
			key := strings.ToLower(m)
			if m == "ANY" {
				key = xAnyMethod
			}
			ptr := pointer("paths", path, key)
			if m == "TRACE" || m == "CONNECT" || m == "QUERY" {
				im.omit(ptr, m+" "+path, "Portico routes take GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY")
				continue
			}
			if err := im.operation(path, m, op, ptr); err != nil {
				return err
			}
		}
	}
	return nil
}

// anyMethod reads x-amazon-apigateway-any-method, which kin-openapi keeps as a raw extension,
// as an operation of the document's version.
func (im *importer) anyMethod(raw any) (*openapi3.Operation, error) {
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	if !im.swagger {
		op := openapi3.NewOperation()
		if err := json.Unmarshal(data, op); err != nil {
			return nil, err
		}
		return op, nil
	}
	var op2 openapi2.Operation
	if err := json.Unmarshal(data, &op2); err != nil {
		return nil, err
	}
	return openapi2conv.ToV3Operation(im.doc.Components, &openapi2.PathItem{}, &op2, nil)
}

// stage writes the Stage the export came from.
func (im *importer) stage() {
	name := im.opts.Stage
	if name == "" {
		name = strings.Trim(im.basePath, "/")
		if !stageName.MatchString(name) || name == "" {
			if name != "" {
				im.omit(im.basePathPointer(), "basePath "+im.basePath, "not a stage name (letters, digits, _ and -); the stage is prod (--stage names another)")
			}
			name = "prod"
		}
	}
	im.res.Stage = &apiv1.Stage{
		TypeMeta: typeMeta("Stage"), ObjectMeta: im.meta(dnsName(im.api+"-"+name, "stage")),
		Spec: apiv1.StageSpec{RestApiRef: apiv1.LocalObjectReference{Name: im.api}, StageName: name},
	}
}

var stageName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// basePathPointer is where the document says its base path: Swagger's basePath, or the
// servers' basePath variable.
func (im *importer) basePathPointer() string {
	if im.swagger {
		return pointer("basePath")
	}
	return pointer("servers", "0", "variables", "basePath", "default")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
