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

package proxy

import (
	"strings"

	"google.golang.org/protobuf/reflect/protopath"
	"google.golang.org/protobuf/reflect/protorange"
	"google.golang.org/protobuf/reflect/protoreflect"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// WantsHeaderNames reports whether the applied configuration has an event or a template
// that carries header names as clients spell them: a payload 1.0 LAMBDA_PROXY route, a
// REQUEST authorizer with payload 1.0, or a mapping template reading $input.params(). The
// HTTP and HTTPS listeners keep the names (rawheader.Listener, rawheader.TLSListener) only
// for connections accepted while it is true; other connections are followed for their
// framing alone.
func (p *Proxy) WantsHeaderNames() bool { return p.headerNames.Load() }

// wantsHeaderNames reports it for the stages g serves, each found when it was built: a walk
// of every string of every stage (mentions) on each apply made an endpoint change cost 13 ms
// and 141,000 allocations at 100 stages of 100 routes, where it costs microseconds.
func (g *graph) wantsHeaderNames() bool {
	for _, b := range g.stages {
		if b.headerNames {
			return true
		}
	}
	return false
}

func stageWantsHeaderNames(s *xdsv1alpha1.StageSnapshot) bool {
	return apiWantsHeaderNames(s.GetApi()) || apiWantsHeaderNames(s.GetCanary().GetApi())
}

func apiWantsHeaderNames(api *xdsv1alpha1.Api) bool {
	if api == nil {
		return false
	}
	// AWS's templates see $input.params().header keyed by the names as sent.
	if mentions(api.ProtoReflect(), "input.params()") {
		return true
	}
	for _, rt := range api.GetRoutes() {
		if in := rt.GetIntegration(); in.GetType() == "LAMBDA_PROXY" && in.GetPayloadFormatVersion() == "1.0" {
			return true
		}
	}
	for _, az := range api.GetAuthorizers() {
		// A function authorizer's payload format defaults to 1.0.
		if az.GetType() == "REQUEST" && az.GetFunction().GetPayloadFormatVersion() != "2.0" {
			return true
		}
	}
	return false
}

// mentions reports whether any string of m, its lists, maps and nested messages included,
// contains s: whether a template anywhere in an API reads a variable, found without knowing
// which of its fields hold templates.
func mentions(m protoreflect.Message, s string) bool {
	found := false
	_ = protorange.Range(m, func(p protopath.Values) error {
		if v, ok := p.Index(-1).Value.Interface().(string); ok && strings.Contains(v, s) {
			found = true
			return protorange.Terminate
		}
		return nil
	})
	return found
}
