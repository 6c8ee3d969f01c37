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
	"errors"
	"net/http"
	"reflect"
	"sync"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// Step builds one step of a route's request path (an authorizer, a usage plan check, a
// throttle, request validation, the cache) in front of next, once per route and variant
// each time the route's stage is built (a configuration that leaves a stage unchanged
// reuses its routes as they are). What a step needs for every route of a stage alike (the
// key-to-plan map of its usage plans, a key index) it builds once per stage through
// rt.Scope. It returns next itself when the route does not need it, and an error when the
// configuration is invalid for it, which fails the stage's build.
//
// At request time a step reads the request's reqctx.From(r.Context()) (route, parameters,
// stage variables, source address), records what it established there (the authorizer's
// principal and context, the API key), and refuses a request by returning a typed
// *gatewayresponse.Refusal from its StepFunc, which Handler renders. State that must outlive a configuration (token buckets, caches) lives
// in stores the step's constructor closes over, keyed by stable identity, not in the handler
// a step returns.
type Step func(rt *Route, next http.Handler) (http.Handler, error)

// Guard builds a check that runs for every request to a stage, before its route is matched:
// the place for what applies to a whole API whether or not a route matches, such as the
// resource policy and CORS preflights (a browser's OPTIONS usually matches no route). It is
// built once per stage variant when a configuration is applied; nil means nothing to check.
// The check answers the request itself and returns true, or returns false to go on.
type Guard func(api *xdsv1alpha1.Api, responses *gatewayresponse.Set) (func(w http.ResponseWriter, r *http.Request) bool, error)

// Route is what a Step is built for.
type Route struct {
	// Stage is the stage's snapshot: variables, throttles, method settings, usage plans.
	Stage *xdsv1alpha1.StageSnapshot
	// API is the revision the variant serves (the canary's for a canary variant).
	API *xdsv1alpha1.Api
	// Route is the route.
	Route *xdsv1alpha1.Route
	// Variant is VariantStable or VariantCanary.
	Variant string
	// Variables are the variant's stage variables.
	Variables map[string]string
	// Responses are the API's gateway responses, for refusing requests.
	Responses *gatewayresponse.Set
	// Clusters resolve a backend cluster ("<namespace>/<service>:<port>") to its endpoints,
	// for steps that call a service themselves (an authorizer function with a backendRef).
	Clusters *integration.Clusters
	// Scope is shared by every route of the stage build, both variants: stage-wide state
	// built once.
	Scope *Scope
}

// Scope holds what the steps build once per stage build and share between its routes.
type Scope struct {
	mu   sync.Mutex
	memo map[any]scoped
}

type scoped struct {
	v   any
	err error
}

// Once returns what build returned the first time it was called with key in this scope.
// Keys are compared as map keys: use an unexported type of the step's own, so steps cannot
// collide. What build returns must depend on nothing but the stage snapshot (Route.Stage),
// which is the same for every route of the scope. A nil Scope (a Route built by hand, in
// tests) builds every time.
func (s *Scope) Once(key any, build func() (any, error)) (any, error) {
	if s == nil {
		return build()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.memo[key]; ok {
		return e.v, e.err
	}
	if s.memo == nil {
		s.memo = map[any]scoped{}
	}
	v, err := build()
	s.memo[key] = scoped{v: v, err: err}
	return v, err
}

// Variants of a stage.
const (
	VariantStable = "stable"
	VariantCanary = "canary"
)

// StepFunc is what a step does with one request: it passes the request on by calling the
// next handler itself and returns nil, or refuses it by returning a
// *gatewayresponse.Refusal (gatewayresponse.Refuse). A step never writes a gateway response:
// Handler renders the refusals, in one place, with the route's gateway responses.
type StepFunc func(w http.ResponseWriter, r *http.Request) error

// Handler is the http.Handler a Step returns for f: it runs f and renders what f refused. An
// error that is not a refusal is a bug in the step; the request gets 500, never the route.
func Handler(rt *Route, f StepFunc) http.Handler {
	responses := rt.Responses
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		var id string
		if rc := reqctx.From(r.Context()); rc != nil {
			id = rc.ID
		}
		var refusal *gatewayresponse.Refusal
		if !errors.As(err, &refusal) {
			refusal = gatewayresponse.Refuse(gatewayresponse.AuthorizerFailure)
		}
		refusal.Render(w, r, responses, id)
	})
}

// RequireAuthorization is the step after the authorization steps (pipeline declares it
// there). It refuses a route that names an authorizer unless an earlier step marked the
// request authorized, and a route that requires an API key unless an earlier step accepted
// one: a route is never served unprotected because the step that should protect it is
// missing or skipped it (500 AUTHORIZER_FAILURE, 403 INVALID_API_KEY). The proxy runs it
// right before the integration of a request path that does not declare it.
func RequireAuthorization(rt *Route, next http.Handler) (http.Handler, error) {
	a := rt.Route.GetAuthorization()
	needAuthorizer, needKey := a.GetAuthorizer() != "", a.GetApiKeyRequired()
	if !needAuthorizer && !needKey {
		return next, nil
	}
	return Handler(rt, func(w http.ResponseWriter, r *http.Request) error {
		rc := reqctx.From(r.Context())
		switch {
		case rc == nil || needAuthorizer && !rc.Authorizer.Authorized:
			return gatewayresponse.Refuse(gatewayresponse.AuthorizerFailure)
		case needKey && rc.APIKeyID == "":
			return gatewayresponse.Refuse(gatewayresponse.InvalidAPIKey)
		}
		next.ServeHTTP(w, r)
		return nil
	}), nil
}

// declares reports whether steps holds step (a top-level function).
func declares(steps []Step, step Step) bool {
	want := reflect.ValueOf(step).Pointer()
	for _, s := range steps {
		if reflect.ValueOf(s).Pointer() == want {
			return true
		}
	}
	return false
}
