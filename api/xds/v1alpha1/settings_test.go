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

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// One ranking for every key: an exact method beats ANY beats "*" on the route's path, which
// all beat "*/*"; ANY applies to an ANY route only, not to a [GET] route of the same path.
func TestMostSpecific(t *testing.T) {
	ms := func(path, method string) *MethodSetting {
		return &MethodSetting{Path: path, Method: method, Caching: &MethodCaching{Enabled: proto.Bool(true)}}
	}
	get, anyM, star, all := ms("/p", "GET"), ms("/p", "ANY"), ms("/p", "*"), ms("*", "*")
	echo := ms("echo", "*")
	throttleOnly := &MethodSetting{Path: "/p", Method: "GET", Throttle: &Throttle{RateLimit: 1}}
	anyRoute := &Route{Path: "/p", Methods: []string{"ANY"}}
	getRoute := &Route{Path: "/p", Methods: []string{"GET"}}
	caching := func(s *MethodSetting) bool { return s.GetCaching() != nil }
	for _, tc := range []struct {
		name     string
		settings []*MethodSetting
		route    *Route
		method   string
		want     *MethodSetting
	}{
		{"exact beats ANY, whatever the order", []*MethodSetting{anyM, get}, anyRoute, "GET", get},
		{"ANY beats *", []*MethodSetting{all, star, anyM}, anyRoute, "POST", anyM},
		{"* beats */*", []*MethodSetting{all, star}, anyRoute, "POST", star},
		{"*/* last", []*MethodSetting{all}, getRoute, "GET", all},
		{"ANY is not a [GET] route's", []*MethodSetting{anyM, all}, getRoute, "GET", all},
		{"a setting without the field does not hide a broader one", []*MethodSetting{throttleOnly, star}, getRoute, "GET", star},
		{"another path", []*MethodSetting{ms("/q", "GET"), ms("/q", "*")}, getRoute, "GET", nil},
		{"an empty method list is ANY", []*MethodSetting{anyM}, &Route{Path: "/p"}, "PUT", anyM},
		{"a WebSocket route by its key", []*MethodSetting{all, echo}, &Route{RouteKey: "echo"}, "POST", echo},
		{"another route key", []*MethodSetting{ms("send", "*"), all}, &Route{RouteKey: "echo"}, "POST", all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MostSpecific(tc.settings, tc.route, tc.method, caching); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Plan throttles rank the same way, and nil has takes every one.
	mts := []*MethodThrottle{{Path: "/p", Method: "*"}, {Path: "/p", Method: "GET"}}
	if got := MostSpecific(mts, getRoute, "GET", nil); got != mts[1] {
		t.Errorf("method throttles: got %v, want /p/GET", got)
	}
}

// Caching resolves field by field: enabled from the most specific setting that sets it, else
// on; the TTL from the most specific that sets it, else the stage's.
func TestCachingOf(t *testing.T) {
	secs := func(n int32) *int32 { return &n }
	route := &Route{Path: "/p", Methods: []string{"GET"}}
	for _, tc := range []struct {
		name     string
		settings []*MethodSetting
		enabled  bool
		ttl      int32
	}{
		{"none: the stage's", nil, true, 300},
		{"a TTL alone keeps caching on", []*MethodSetting{{Path: "/p", Method: "GET", Caching: &MethodCaching{TtlSeconds: secs(5)}}}, true, 5},
		{"a TTL alone under a broader off", []*MethodSetting{
			{Path: "/p", Method: "GET", Caching: &MethodCaching{TtlSeconds: secs(5)}},
			{Path: "*", Method: "*", Caching: &MethodCaching{Enabled: proto.Bool(false)}},
		}, false, 5},
		{"on over a broader off, its TTL kept", []*MethodSetting{
			{Path: "/p", Method: "*", Caching: &MethodCaching{Enabled: proto.Bool(true)}},
			{Path: "*", Method: "*", Caching: &MethodCaching{Enabled: proto.Bool(false), TtlSeconds: secs(60)}},
		}, true, 60},
		{"a throttle-only setting hides nothing", []*MethodSetting{
			{Path: "/p", Method: "GET", Throttle: &Throttle{RateLimit: 1}},
			{Path: "*", Method: "*", Caching: &MethodCaching{Enabled: proto.Bool(false)}},
		}, false, 300},
	} {
		if enabled, ttl := CachingOf(tc.settings, route, "GET", 300); enabled != tc.enabled || ttl != tc.ttl {
			t.Errorf("%s: enabled %v ttl %d, want %v %d", tc.name, enabled, ttl, tc.enabled, tc.ttl)
		}
	}
}
