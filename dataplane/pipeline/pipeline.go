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

// Package pipeline declares, in one place, the order of the proxy's request path, as
// ARCHITECTURE.md lays it down: request id, route match (with the resource policy and CORS
// preflights checked first, for every request to a stage), then per route the authorizers,
// the API key, throttles, request validation, the cache, and the integration. `portico
// proxy`, `portico standalone` and the end-to-end tests all build their proxies from it, so
// they cannot drift apart.
package pipeline

import (
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico/dataplane/auth/apikey"
	"github.com/portico-dev/portico/dataplane/auth/jwt"
	"github.com/portico-dev/portico/dataplane/auth/lambda"
	"github.com/portico-dev/portico/dataplane/cache"
	"github.com/portico-dev/portico/dataplane/compress"
	"github.com/portico-dev/portico/dataplane/cors"
	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/policy"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/throttle"
	"github.com/portico-dev/portico/dataplane/validate"
)

// Options configure the steps that need install-wide settings.
type Options struct {
	// Region is written into authorizers' methodArns.
	Region string
	// HTTPClient fetches JWKS and calls authorizer functions; nil takes a default.
	HTTPClient *http.Client
	// Now is the clock of caches and token checks; time.Now when nil.
	Now func() time.Time
	Log logr.Logger
	// Store keeps token buckets and quota counters; nil turns throttling off (tests).
	Store limits.Store
	// Registerer gets the steps' metrics (the cache's); nil keeps them private.
	Registerer prometheus.Registerer
	// SharedCache, when not nil, is the response cache's level shared by every replica,
	// behind each proxy's own.
	SharedCache cache.Shared
}

// Guards run for every request to a stage before its route is matched, in this order: a
// refused address gets nothing, not even a CORS preflight answer.
func Guards() []proxy.Guard {
	return []proxy.Guard{policy.Guard, cors.Guard}
}

// Steps run before each route's integration, outermost first. Call it once per proxy: the
// stores the steps hold (JWKS, authorizer results, key maps, cached responses) outlive
// configuration changes.
func Steps(o Options) []proxy.Step {
	steps := []proxy.Step{
		// Outermost: whatever answers (integration, cache, refusal) is compressed alike,
		// and the cache keeps bodies as the integration made them.
		compress.NewStep(),
		cors.NewStep(), // CORS headers on every answer, refusals included
		jwt.NewStep(jwt.Options{HTTPClient: o.HTTPClient, Now: o.Now, Log: o.Log.WithName("jwt")}),
		// Function authorizers before the API key: a usageIdentifierKey they return is the
		// key when the API's apiKeySource is AUTHORIZER.
		lambda.NewStep(lambda.Options{Region: o.Region, HTTPClient: o.HTTPClient, Now: o.Now, Log: o.Log.WithName("lambda")}),
		apikey.NewStep(),
		// Once every authorization step ran: a route that needs an authorizer or a key is
		// never served without one.
		proxy.RequireAuthorization,
	}
	if o.Store != nil {
		// After the API key: usage plan throttles and quotas are per key.
		steps = append(steps, throttle.NewStep(throttle.Options{Store: o.Store, Now: o.Now, Log: o.Log.WithName("throttle")}))
	}
	// After authorization and throttling, before the cache: an invalid request is refused
	// before it can be answered from the cache, as in AWS.
	steps = append(steps, validate.NewStep())
	// Last: a cached answer is still authorized, throttled and counted first, as in AWS.
	responses := cache.NewStore(cache.StoreOptions{Now: o.Now, Shared: o.SharedCache})
	return append(steps, cache.NewStep(responses, cache.Options{Log: o.Log.WithName("cache"), Registerer: o.Registerer}))
}
