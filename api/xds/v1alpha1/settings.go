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

package xdsv1alpha1

import "cmp"

// Method settings (a stage's) and method throttles (a usage plan's) are keyed by a path, "*"
// for every path, and a method: an HTTP method, "ANY" or "*". As in Amazon API Gateway, ANY
// is a method of its own: that of a route that answers every method, and not of a [GET]
// route beside it on the same path, which the router prefers for GET. "*" is every method of
// the path. The throttle, the cache and the execution logs pick a setting with the same
// ranking, Specificity, so that one key means the same to all three.

// pathMethod is what ranking needs of a setting: MethodSetting and MethodThrottle.
type pathMethod interface {
	GetPath() string
	GetMethod() string
}

// Specificity ranks a setting's key, 0 the most specific: for the same path an exact method
// beats ANY, which beats "*", and any setting of the route's path beats every "*" path one.
// A route's settings apply by Applies; among those that do, the lowest rank wins.
func Specificity(path, method string) int {
	rank := 0
	switch method {
	case "ANY":
		rank = 1
	case "*":
		rank = 2
	}
	if path == "*" {
		rank += 3
	}
	return rank
}

// AnswersAny reports whether r is an ANY route: it lists ANY, or nothing (which the compiler
// never sends, and the proxy reads as ANY).
func AnswersAny(r *Route) bool {
	for _, m := range r.GetMethods() {
		if m == "ANY" {
			return true
		}
	}
	return len(r.GetMethods()) == 0
}

// Applies reports whether a setting keyed settingPath and settingMethod applies to requests
// of method on route r: its path is r's or "*", and its method is method, "*", or ANY on an
// ANY route.
func Applies(settingPath, settingMethod string, r *Route, method string) bool {
	if settingPath != "*" && settingPath != cmp.Or(r.GetPath(), r.GetRouteKey()) { // a WEBSOCKET route by its key
		return false
	}
	switch settingMethod {
	case "*":
		return true
	case "ANY":
		return AnswersAny(r)
	}
	return settingMethod == method
}

// CachingOf resolves the caching of requests of method on route r, field by field as Amazon
// API Gateway's method overrides patch the stage's settings: enabled from the most specific
// setting that sets it, else on (the stage cache caches every GET); the TTL in seconds from
// the most specific setting that sets it, else stageTTL. The proxy's cache and the
// compiler's warnings both read caching through it.
func CachingOf(settings []*MethodSetting, r *Route, method string, stageTTL int32) (enabled bool, ttl int32) {
	enabled, ttl = true, stageTTL
	if ms := MostSpecific(settings, r, method, func(ms *MethodSetting) bool { return ms.GetCaching() != nil && ms.GetCaching().Enabled != nil }); ms != nil {
		enabled = ms.GetCaching().GetEnabled()
	}
	if ms := MostSpecific(settings, r, method, func(ms *MethodSetting) bool { return ms.GetCaching() != nil && ms.GetCaching().TtlSeconds != nil }); ms != nil {
		ttl = ms.GetCaching().GetTtlSeconds()
	}
	return enabled, ttl
}

// MostSpecific returns the setting that applies to requests of method on route r, among
// those for which has is true (all when has is nil): the one of lowest Specificity, the first
// of them on a tie (the compiler sends no two of one key); nil when none applies. A more
// specific setting without the field asked for (a throttle only, when caching is asked) does
// not hide a broader one that has it.
func MostSpecific[T pathMethod](settings []T, r *Route, method string, has func(T) bool) T {
	var best T
	bestRank := -1
	for _, s := range settings {
		if (has != nil && !has(s)) || !Applies(s.GetPath(), s.GetMethod(), r, method) {
			continue
		}
		if rank := Specificity(s.GetPath(), s.GetMethod()); bestRank < 0 || rank < bestRank {
			best, bestRank = s, rank
		}
	}
	return best
}
