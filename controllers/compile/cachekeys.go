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
	"slices"
	"strings"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// The cache key parameters that name the caller, beyond AWS's request values: the proxy
// reads them from what the authorizer and the API key step verified.
const (
	paramPrincipal = "context.authorizer.principalId"
	paramAPIKeyID  = "context.identity.apiKeyId"
)

// callerCaching collects, per Route, the stages that cache it while an authorizer or an API
// key guards it, split by whether its cache key names the caller. A stage serves the Route as
// its deployed revision (or canary's) compiled it, which may be older than the Route's spec.
type callerCaching map[objectKey]*cachedBy

type cachedBy struct {
	route          *apiv1.Route
	keyed, unkeyed []string // stage object names
	// guard says what guards the route where it is not keyed by caller.
	guard string
}

// note records how stage s caches the routes of the revisions it serves.
func (cc callerCaching) note(w *world, s *ir.Stage) {
	if s.Cache == nil || !s.Cache.Enabled || s.Cache.CapacityBytes <= 0 {
		return
	}
	apis := []*ir.API{s.API}
	if s.Canary != nil && s.Canary.API != nil {
		apis = append(apis, s.Canary.API)
	}
	_, stage, _ := strings.Cut(s.Key, "/")
	for _, api := range apis {
		for i := range api.Routes {
			r := &api.Routes[i]
			a := r.Authorization
			if a.Authorizer == "" && !a.APIKeyRequired || !cachesRoute(s, r) {
				continue
			}
			obj := w.route(s.Namespace, s.RestApi, r.Name)
			if obj == nil {
				continue
			}
			k := objectKey{KindRoute, obj.Namespace, obj.Name}
			by := cc[k]
			if by == nil {
				by = &cachedBy{route: obj}
				cc[k] = by
			}
			if keyedByCaller(api, r) {
				by.keyed = appendOnce(by.keyed, stage)
				continue
			}
			by.unkeyed = appendOnce(by.unkeyed, stage)
			if by.guard == "" {
				by.guard = guard(a)
			}
		}
	}
}

// apply sets CacheKeyedByCaller on every Route noted. It is a warning, not a refusal: a
// route whose answer is the same for every caller may share it knowingly.
func (cc callerCaching) apply(st statuses) {
	for _, by := range cc {
		s := st.of(KindRoute, by.route)
		if len(by.unkeyed) > 0 {
			s.set(apiv1.ConditionCacheKeyedByCaller, false, apiv1.ReasonCacheNotKeyedByCaller, fmt.Sprintf(
				"cached by %s behind %s, but cacheKeyParameters name no caller: one caller's cached answer is served to the others; "+
					"add %s or %s to cacheKeyParameters, or turn caching off for its methods, unless every caller may see the same answer",
				stageList(by.unkeyed), by.guard, paramPrincipal, paramAPIKeyID))
			continue
		}
		s.set(apiv1.ConditionCacheKeyedByCaller, true, apiv1.ReasonCacheKeyedByCaller,
			"cached by "+stageList(by.keyed)+", with cacheKeyParameters that keep answers per caller")
	}
}

// guard names what guards a route, for messages.
func guard(a ir.Authorization) string {
	switch {
	case a.Authorizer != "" && a.APIKeyRequired:
		return "authorizer " + a.Authorizer + " and an API key"
	case a.Authorizer != "":
		return "authorizer " + a.Authorizer
	}
	return "an API key"
}

func stageList(names []string) string {
	slices.Sort(names)
	if len(names) == 1 {
		return "Stage " + names[0]
	}
	return "Stages " + strings.Join(names, ", ")
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// route returns the Route named name of RestApi api in namespace, or nil.
func (w *world) route(namespace, api, name string) *apiv1.Route {
	for _, r := range w.routesOf(namespace, api) {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// keyedByCaller reports whether a route's cache key names its caller: the principal or the
// API key id, or a request value the caller is identified by (an identity source of its
// authorizer, the API key header), which differ between callers as well.
func keyedByCaller(api *ir.API, r *ir.Route) bool {
	var identities []string
	if name := r.Authorization.Authorizer; name != "" {
		identities = append(identities, paramPrincipal)
		for _, az := range api.Authorizers {
			if az.Name != name {
				continue
			}
			for _, src := range az.IdentitySources {
				if p, ok := strings.CutPrefix(src, "$request.header."); ok {
					identities = append(identities, "header."+p)
				} else if p, ok := strings.CutPrefix(src, "$request.querystring."); ok {
					identities = append(identities, "querystring."+p)
				}
			}
		}
	}
	if r.Authorization.APIKeyRequired {
		identities = append(identities, paramAPIKeyID)
		if api.APIKeySource != string(apiv1.APIKeySourceAuthorizer) {
			identities = append(identities, "header.x-api-key")
		}
	}
	for _, p := range r.CacheKeyParameters {
		for _, id := range identities {
			// Header names compare without case, as the proxy reads them.
			if p == id || strings.HasPrefix(id, "header.") && strings.EqualFold(p, id) {
				return true
			}
		}
	}
	return false
}

// cachesRoute reports whether stage s caches GET or HEAD answers of r, as the proxy decides
// it, with the same function (xdsv1alpha1.CachingOf): the stage's TTL and caching on, each
// overridden by the most specific method setting that sets it, a TTL of 0 turning caching off.
func cachesRoute(s *ir.Stage, r *ir.Route) bool {
	if r.RouteKey != "" {
		return false
	}
	var settings []*xdsv1alpha1.MethodSetting
	for _, ms := range s.MethodSettings {
		if c := ms.Caching; c != nil {
			settings = append(settings, &xdsv1alpha1.MethodSetting{Path: ms.Path, Method: ms.Method,
				Caching: &xdsv1alpha1.MethodCaching{Enabled: c.Enabled, TtlSeconds: c.TTLSeconds}})
		}
	}
	route := &xdsv1alpha1.Route{Path: r.Path, Methods: r.Methods}
	for _, m := range []string{"GET", "HEAD"} {
		if !slices.Contains(r.Methods, m) && !slices.Contains(r.Methods, string(apiv1.MethodAny)) {
			continue
		}
		if enabled, ttl := xdsv1alpha1.CachingOf(settings, route, m, s.Cache.TTLSeconds); enabled && ttl > 0 {
			return true
		}
	}
	return false
}
