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

package xds

import (
	"maps"
	"net"
	"slices"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// The translator copies every slice and map: the cache keeps the messages it is given and
// marshals them lazily, long after the compiler may have reused its IR.

// StageToProto translates one stage to its xDS resource. It returns nil for a nil stage.
func StageToProto(s *ir.Stage) *xdsv1alpha1.StageSnapshot {
	if s == nil {
		return nil
	}
	out := &xdsv1alpha1.StageSnapshot{
		Key:             s.Key,
		Namespace:       s.Namespace,
		StageName:       s.StageName,
		RestApi:         s.RestApi,
		Generation:      s.Generation,
		Revision:        s.Revision,
		Api:             apiToProto(s.API),
		Variables:       maps.Clone(s.Variables),
		Throttle:        throttleToProto(s.Throttle),
		Cache:           cacheToProto(s.Cache),
		Canary:          canaryToProto(s.Canary),
		AccessLogFormat: s.AccessLogFormat,
		Tracing:         s.Tracing,

		DisableDefaultEndpoint: s.DisableDefaultEndpoint,
		// Unset means every request without a traceparent is traced.
		TracingSamplingRatio: s.TracingSamplingRatio,
	}
	for i := range s.MethodSettings {
		out.MethodSettings = append(out.MethodSettings, methodSettingToProto(&s.MethodSettings[i]))
	}
	for i := range s.UsagePlans {
		out.UsagePlans = append(out.UsagePlans, usagePlanToProto(&s.UsagePlans[i]))
	}
	// WEBSOCKET APIs.
	for _, k := range s.WebSocketManagementKeys {
		out.WebsocketManagementKeys = append(out.WebsocketManagementKeys, &xdsv1alpha1.ApiKey{Id: k.ID, Sha256: k.SHA256})
	}
	return out
}

func apiToProto(a *ir.API) *xdsv1alpha1.Api {
	if a == nil {
		return nil
	}
	out := &xdsv1alpha1.Api{
		Protocol:                 a.Protocol,
		Hostnames:                slices.Clone(a.Hostnames),
		ApiKeySource:             a.APIKeySource,
		BinaryMediaTypes:         slices.Clone(a.BinaryMediaTypes),
		MinimumCompressionSize:   clonePtr(a.MinimumCompressionSize),
		RouteSelectionExpression: a.RouteSelectionExpression,
	}
	if c := a.CORS; c != nil {
		out.Cors = &xdsv1alpha1.Cors{
			AllowOrigins:     slices.Clone(c.AllowOrigins),
			AllowMethods:     slices.Clone(c.AllowMethods),
			AllowHeaders:     slices.Clone(c.AllowHeaders),
			ExposeHeaders:    slices.Clone(c.ExposeHeaders),
			MaxAgeSeconds:    clonePtr(c.MaxAgeSeconds),
			AllowCredentials: c.AllowCredentials,
		}
	}
	if ips := a.SourceIPs; ips != nil {
		out.SourceIps = &xdsv1alpha1.SourceIps{Allow: slices.Clone(ips.Allow), Deny: slices.Clone(ips.Deny)}
	}
	if len(a.GatewayResponses) > 0 {
		out.GatewayResponses = make(map[string]*xdsv1alpha1.GatewayResponse, len(a.GatewayResponses))
		for typ, gr := range a.GatewayResponses {
			out.GatewayResponses[typ] = &xdsv1alpha1.GatewayResponse{
				StatusCode:         gr.StatusCode,
				Headers:            maps.Clone(gr.Headers),
				ResponseParameters: maps.Clone(gr.ResponseParameters),
				Body:               clonePtr(gr.Body),
				Templates:          maps.Clone(gr.Templates),
			}
		}
	}
	for _, m := range a.Models {
		out.Models = append(out.Models, &xdsv1alpha1.Model{Name: m.Name, ContentType: m.ContentType, Schema: m.Schema})
	}
	for i := range a.Routes {
		out.Routes = append(out.Routes, routeToProto(&a.Routes[i]))
	}
	for i := range a.Authorizers {
		out.Authorizers = append(out.Authorizers, authorizerToProto(&a.Authorizers[i]))
	}
	// WEBSOCKET APIs.
	out.ApiKeySelectionExpression = a.APIKeySelectionExpression
	if w := a.WebSocket; w != nil {
		out.Websocket = &xdsv1alpha1.WebSocket{
			IdleTimeoutSeconds:   w.IdleTimeoutSeconds,
			MaxConnectionSeconds: w.MaxConnectionSeconds,
			MaxMessageBytes:      w.MaxMessageBytes,
		}
	}
	return out
}

func routeToProto(r *ir.Route) *xdsv1alpha1.Route {
	out := &xdsv1alpha1.Route{
		Name:     r.Name,
		Path:     r.Path,
		Methods:  slices.Clone(r.Methods),
		RouteKey: r.RouteKey,
		Authorization: &xdsv1alpha1.Authorization{
			Authorizer:     r.Authorization.Authorizer,
			Scopes:         slices.Clone(r.Authorization.Scopes),
			ApiKeyRequired: r.Authorization.APIKeyRequired,
		},
		Integration:        integrationToProto(&r.Integration),
		CacheKeyParameters: slices.Clone(r.CacheKeyParameters),
		// WEBSOCKET routes.
		RouteResponseSelectionExpression: r.RouteResponseSelectionExpression,
	}
	if v := r.Validation; v != nil {
		out.Validation = &xdsv1alpha1.RequestValidation{
			BodyModel:          v.BodyModel,
			RequiredParameters: slices.Clone(v.RequiredParameters),
			BodyModels:         maps.Clone(v.BodyModels),
		}
	}
	return out
}

func integrationToProto(in *ir.Integration) *xdsv1alpha1.Integration {
	out := &xdsv1alpha1.Integration{
		Type:                 in.Type,
		Uri:                  in.URI,
		Backend:              backendToProto(in.Backend),
		TimeoutMillis:        in.TimeoutMillis,
		PayloadFormatVersion: in.PayloadFormatVersion,
		RequestParameters:    maps.Clone(in.RequestParameters),
	}
	if m := in.Mock; m != nil {
		out.Mock = &xdsv1alpha1.Mock{StatusCode: m.StatusCode, Headers: maps.Clone(m.Headers), Body: m.Body}
	}
	modelToProto(in, out)
	return out
}

// modelToProto copies the request and response model of an HTTP integration.
func modelToProto(in *ir.Integration, out *xdsv1alpha1.Integration) {
	out.HttpMethod = in.HTTPMethod
	out.PassthroughBehavior = in.PassthroughBehavior
	out.RequestTemplates = maps.Clone(in.RequestTemplates)
	out.ContentHandling = in.ContentHandling
	for _, r := range in.Responses {
		out.Responses = append(out.Responses, &xdsv1alpha1.IntegrationResponse{
			SelectionPattern:   r.SelectionPattern,
			StatusCode:         r.StatusCode,
			ResponseParameters: maps.Clone(r.ResponseParameters),
			ResponseTemplates:  maps.Clone(r.ResponseTemplates),
		})
	}
}

func backendToProto(b *ir.Backend) *xdsv1alpha1.Backend {
	if b == nil {
		return nil
	}
	return &xdsv1alpha1.Backend{Cluster: b.Cluster, Path: b.Path}
}

func authorizerToProto(a *ir.Authorizer) *xdsv1alpha1.Authorizer {
	out := &xdsv1alpha1.Authorizer{
		Name:                         a.Name,
		Type:                         a.Type,
		IdentitySources:              slices.Clone(a.IdentitySources),
		IdentityValidationExpression: a.IdentityValidationExpression,
		ResultTtlSeconds:             a.ResultTTLSeconds,
	}
	if j := a.JWT; j != nil {
		out.Jwt = &xdsv1alpha1.Jwt{
			Issuer:           j.Issuer,
			Audiences:        slices.Clone(j.Audiences),
			JwksUri:          j.JWKSURI,
			ClockSkewSeconds: j.ClockSkewSeconds,
		}
	}
	if f := a.Function; f != nil {
		out.Function = &xdsv1alpha1.AuthorizerFunction{
			Uri:                   f.URI,
			Backend:               backendToProto(f.Backend),
			TimeoutMillis:         f.TimeoutMillis,
			PayloadFormatVersion:  f.PayloadFormatVersion,
			EnableSimpleResponses: f.EnableSimpleResponses,
		}
	}
	return out
}

func throttleToProto(t *ir.Throttle) *xdsv1alpha1.Throttle {
	if t == nil {
		return nil
	}
	return &xdsv1alpha1.Throttle{RateLimit: t.RateLimit, BurstLimit: t.BurstLimit}
}

func methodSettingToProto(m *ir.MethodSetting) *xdsv1alpha1.MethodSetting {
	out := &xdsv1alpha1.MethodSetting{Path: m.Path, Method: m.Method, Throttle: throttleToProto(m.Throttle)}
	if c := m.Caching; c != nil {
		out.Caching = &xdsv1alpha1.MethodCaching{Enabled: clonePtr(c.Enabled), TtlSeconds: clonePtr(c.TTLSeconds)}
	}
	if l := m.Logging; l != nil {
		out.Logging = &xdsv1alpha1.MethodLogging{Level: l.Level, DataTrace: l.DataTrace}
	}
	return out
}

func cacheToProto(c *ir.Cache) *xdsv1alpha1.Cache {
	if c == nil {
		return nil
	}
	return &xdsv1alpha1.Cache{
		Enabled:                                c.Enabled,
		CapacityBytes:                          c.CapacityBytes,
		TtlSeconds:                             c.TTLSeconds,
		RequireAuthorizationForCacheControl:    c.RequireAuthorizationForCacheControl,
		UnauthorizedCacheControlHeaderStrategy: c.UnauthorizedCacheControlHeaderStrategy,
		InvalidationScope:                      c.InvalidationScope,
	}
}

func canaryToProto(c *ir.Canary) *xdsv1alpha1.Canary {
	if c == nil {
		return nil
	}
	return &xdsv1alpha1.Canary{
		PercentTraffic: c.PercentTraffic,
		Revision:       c.Revision,
		Api:            apiToProto(c.API),
		Variables:      maps.Clone(c.Variables),
		UseStageCache:  c.UseStageCache,
	}
}

func usagePlanToProto(p *ir.UsagePlan) *xdsv1alpha1.UsagePlan {
	out := &xdsv1alpha1.UsagePlan{Name: p.Name, Throttle: throttleToProto(p.Throttle)}
	if q := p.Quota; q != nil {
		out.Quota = &xdsv1alpha1.Quota{Limit: q.Limit, Period: q.Period, Offset: q.Offset}
	}
	for _, mt := range p.MethodThrottles {
		out.MethodThrottles = append(out.MethodThrottles, &xdsv1alpha1.MethodThrottle{
			Path:     mt.Path,
			Method:   mt.Method,
			Throttle: throttleToProto(&mt.Throttle),
		})
	}
	for _, k := range p.Keys {
		out.Keys = append(out.Keys, &xdsv1alpha1.ApiKey{Id: k.ID, Sha256: k.SHA256})
	}
	return out
}

// EndpointsToCLA translates one backend's endpoint set to an EDS ClusterLoadAssignment named
// after the cluster. All addresses go in one locality, as HEALTHY: the compiler keeps only
// ready endpoints. An empty set yields an assignment with no endpoints, which tells the proxy
// the backend has none (rather than leaving it with stale ones). A malformed address (the
// compiler emits none) is dropped rather than sent as an endpoint nobody can reach.
func EndpointsToCLA(e ir.Endpoints) *endpointv3.ClusterLoadAssignment {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: e.Cluster}
	var lbs []*endpointv3.LbEndpoint
	for _, addr := range e.Addresses {
		host, portStr, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			continue
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil || port == 0 {
			continue
		}
		lbs = append(lbs, &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Protocol:      corev3.SocketAddress_TCP,
					Address:       host,
					PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(port)},
				}}},
			}},
			HealthStatus: corev3.HealthStatus_HEALTHY,
		})
	}
	if len(lbs) > 0 {
		cla.Endpoints = []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbs}}
	}
	return cla
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
