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

package cache

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/tracing"
)

// HeaderCache tells a client whether its response came from the cache ("Hit") or not
// ("Miss"), on every response of a route the stage caches.
const HeaderCache = "X-Cache"

// warning is sent, under SUCCEED_WITH_RESPONSE_HEADER, to a client whose Cache-Control:
// max-age=0 was ignored because it may not invalidate entries: its authorizer did not grant
// execute-api:InvalidateCache (reqctx.Authorizer.InvalidateCache).
const warning = `199 - "Cache-Control header ignored because the caller is not authorized to invalidate the cache"`

// The unauthorizedCacheControlHeaderStrategy values of API.md.
const (
	FailWith403                  = "FAIL_WITH_403"
	SucceedWithResponseHeader    = "SUCCEED_WITH_RESPONSE_HEADER"
	SucceedWithoutResponseHeader = "SUCCEED_WITHOUT_RESPONSE_HEADER"
)

const (
	defaultTTL = 300 * time.Second
	maxTTL     = 3600 * time.Second
)

// Options configure the cache step.
type Options struct {
	// Log receives configuration notes at V(1).
	Log logr.Logger
	// Registerer receives portico_cache_requests_total. Default: a private registry.
	Registerer prometheus.Registerer
}

// NewStep returns the step that serves a route's GET and HEAD requests from store when its
// stage caches them. Put it after the authorizers, API keys and throttles, so that a cached
// answer is only given to a caller who may have it and still counts against its limits, as
// in AWS.
func NewStep(store *Store, opts Options) proxy.Step {
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	requests := register(opts.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_cache_requests_total",
		Help: "Requests to routes a stage caches, by API, stage and result (hit, miss, bypass).",
	}, []string{"api", "stage", "result"}))
	return func(rt *proxy.Route, next http.Handler) (http.Handler, error) {
		c := rt.Stage.GetCache()
		if !c.GetEnabled() || c.GetCapacityBytes() <= 0 || rt.Route.GetRouteKey() != "" {
			return next, nil
		}
		ttls := methodTTLs(rt.Stage, rt.Route)
		if len(ttls) == 0 {
			return next, nil
		}
		strategy := c.GetUnauthorizedCacheControlHeaderStrategy()
		switch strategy {
		case "":
			strategy = SucceedWithResponseHeader
		case FailWith403, SucceedWithResponseHeader, SucceedWithoutResponseHeader:
		default:
			return nil, fmt.Errorf("unknown unauthorizedCacheControlHeaderStrategy %q", strategy)
		}
		params, err := compileParams(rt.Route.GetCacheKeyParameters())
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", rt.Route.GetName(), err)
		}
		api := rt.Stage.GetNamespace() + "/" + rt.Stage.GetRestApi()
		a := rt.Route.GetAuthorization()
		h := &handler{
			next:          next,
			cache:         store.stage(rt.Stage.GetKey(), api, c.GetCapacityBytes()),
			getTTL:        ttls[http.MethodGet],
			headTTL:       ttls[http.MethodHead],
			params:        params,
			path:          rt.Route.GetPath(),
			requireAuth:   c.GetRequireAuthorizationForCacheControl(),
			strategy:      strategy,
			needAuthorize: a.GetAuthorizer() != "",
			needKey:       a.GetApiKeyRequired(),
			hits:          requests.WithLabelValues(api, rt.Stage.GetStageName(), "hit"),
			misses:        requests.WithLabelValues(api, rt.Stage.GetStageName(), "miss"),
			bypasses:      requests.WithLabelValues(api, rt.Stage.GetStageName(), "bypass"),
		}
		// A canary keeps its own entries unless it shares the stage's: its revision may answer
		// differently.
		// Entries are those of the revision that answered: a promotion, a rollback or a pin
		// never serves an answer of another revision. Rolling back finds the earlier
		// revision's entries still there if they have not expired.
		for _, p := range params {
			h.byPrincipal = h.byPrincipal || p.full == ParamPrincipal
			h.byKeyID = h.byKeyID || p.full == ParamAPIKeyID
		}
		h.revision = rt.Stage.GetRevision()
		answering := rt.Stage.GetApi()
		if rt.Variant == proxy.VariantCanary && !rt.Stage.GetCanary().GetUseStageCache() {
			h.variant = proxy.VariantCanary
			h.revision = rt.Stage.GetCanary().GetRevision()
			answering = rt.API
		}
		// The revision's content as well as its number: numbers start again at 1 where
		// revisions are not kept (standalone without --state-dir), and a shared cache's
		// entries outlive the process that made them.
		d, err := rt.Scope.Once(apiDigestKey{h.variant}, func() (any, error) { return apiDigest(answering) })
		if err != nil {
			return nil, err
		}
		h.apiDigest = d.(string)
		opts.Log.V(1).Info("route cached", "stage", rt.Stage.GetKey(), "route", rt.Route.GetName(), "variant", rt.Variant)
		return proxy.Handler(rt, h.serve), nil
	}
}

// methodTTLs resolves, for GET and HEAD when the route serves them, the entry lifetime the
// stage's method settings give (xdsv1alpha1.CachingOf: each field from the most specific
// setting that sets it); a method whose caching is off or whose TTL is 0 is left out. Other
// methods are never cached: their key would ignore the request body (the compiler reports a
// setting that asks for it).
func methodTTLs(s *xdsv1alpha1.StageSnapshot, r *xdsv1alpha1.Route) map[string]time.Duration {
	// A TTL of 0 turns the stage's caching off, as in AWS; the compiler fills in the default.
	stageTTL := s.GetCache().GetTtlSeconds()
	if stageTTL < 0 {
		stageTTL = int32(defaultTTL / time.Second)
	}
	out := map[string]time.Duration{}
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		if !slices.Contains(r.GetMethods(), m) && !slices.Contains(r.GetMethods(), "ANY") {
			continue
		}
		enabled, secs := xdsv1alpha1.CachingOf(s.GetMethodSettings(), r, m, stageTTL)
		ttl := min(time.Duration(secs)*time.Second, maxTTL)
		if enabled && ttl > 0 {
			out[m] = ttl
		}
	}
	// The router answers HEAD on a GET route; such a HEAD caches as its GET does.
	if _, ok := out[http.MethodGet]; ok && !slices.Contains(r.GetMethods(), http.MethodHead) && !slices.Contains(r.GetMethods(), "ANY") {
		out[http.MethodHead] = out[http.MethodGet]
	}
	return out
}

// register registers c, or returns the collector already registered under its name (one
// registry shared by several steps, as tests make).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

// handler is the cache in front of one route and variant.
type handler struct {
	next  http.Handler
	cache *stageCache
	// getTTL and headTTL are methodTTLs' lifetimes, 0 for a method not cached: two fields
	// rather than its map, whose lookup by method cost each hit about 130 instructions.
	getTTL, headTTL time.Duration
	params          []param
	path            string
	variant         string
	revision        int64  // of the API that answers, part of the key
	apiDigest       string // its content's, part of the key too
	strategy        string

	requireAuth            bool
	needAuthorize, needKey bool
	// byPrincipal and byKeyID: the key names the caller's principal or API key id. A
	// request without one (an authorizer that returned no principalId, a JWT without sub)
	// bypasses the cache: its entry would be shared by every such caller.
	byPrincipal, byKeyID bool

	hits, misses, bypasses prometheus.Counter
}

// ttl is the lifetime of method's entries; cacheable is false when it has none.
func (h *handler) ttl(method string) (ttl time.Duration, cacheable bool) {
	switch method {
	case http.MethodGet:
		ttl = h.getTTL
	case http.MethodHead:
		ttl = h.headTTL
	}
	return ttl, ttl > 0
}

// callerless reports whether the key names a caller identity that rc has not.
func (h *handler) callerless(rc *reqctx.Request) bool {
	return (h.byPrincipal && rc.Authorizer.PrincipalID == "") || (h.byKeyID && rc.APIKeyID == "")
}

// ServeHTTP answers from the cache, waits for a call already filling the entry, or calls the
// backend and stores its answer.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) error {
	rc := reqctx.From(r.Context())
	ttl, cacheable := h.ttl(r.Method)
	// A request the authorization steps did not let through goes on to be refused there:
	// the cache never answers for a missing authorizer or key step.
	if !cacheable || rc == nil || (h.needAuthorize && !rc.Authorizer.Authorized) || (h.needKey && rc.APIKeyID == "") || h.callerless(rc) {
		h.bypasses.Inc()
		w.Header().Set(HeaderCache, "Miss")
		h.next.ServeHTTP(w, r)
		return nil
	}
	invalidate := false
	// The name is canonical already: Header.Values would canonicalize it again on every
	// request, which costs as much as the rest of a hit's lookup.
	if maxAgeZero(r.Header["Cache-Control"]) {
		switch {
		// Being authorized to call the method is not enough, as in AWS: the authorizer
		// must have granted the permission to invalidate (a policy allowing
		// execute-api:InvalidateCache on the method's ARN, or the stage's JWT scope). A
		// route without an authorizer has nobody to grant it, so nobody may.
		case !h.requireAuth || (h.needAuthorize && rc.Authorizer.InvalidateCache):
			invalidate = true
		case h.strategy == FailWith403:
			h.bypasses.Inc()
			return gatewayresponse.Refuse(gatewayresponse.AccessDenied)
		case h.strategy == SucceedWithResponseHeader:
			w.Header().Add("Warning", warning)
		}
	}
	var buf [512]byte // on the stack for the usual key: a hit allocates nothing for it
	key := h.appendKey(buf[:0], r, rc)
	_, span := tracing.Start(r.Context(), "cache lookup", trace.SpanKindInternal)
	e, f, leader := h.cache.lookup(key, invalidate)
	if e != nil {
		endLookup(span, "hit")
		h.hits.Inc()
		serve(w, r, e, h.arrival(rc))
		return nil
	}
	if !leader {
		select {
		case <-f.done:
		case <-r.Context().Done():
			// The client left while waiting; nobody reads an answer.
			endLookup(span, "abandoned")
			h.bypasses.Inc()
			return nil
		}
		if f.entry != nil {
			endLookup(span, "hit")
			h.hits.Inc()
			serve(w, r, f.entry, h.arrival(rc))
			return nil
		}
		endLookup(span, "miss")
		h.misses.Inc()
		w.Header().Set(HeaderCache, "Miss")
		h.next.ServeHTTP(w, r)
		return nil
	}
	// A local miss: the shared level, when there is one, may hold what another replica
	// fetched.
	if e := h.cache.fromShared(r.Context(), key, f, invalidate); e != nil {
		endLookup(span, "hit")
		h.cache.finish(f, e)
		h.hits.Inc()
		serve(w, r, e, h.arrival(rc))
		return nil
	}
	endLookup(span, "miss")
	h.misses.Inc()
	h.fill(w, r, rc, f, ttl)
	return nil
}

// fill calls the backend for the leader of a flight, streaming its answer to the client
// while capturing it, and stores it when it is cacheable. A panic (an aborted response)
// releases the followers with nothing stored.
func (h *handler) fill(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, f *flight, ttl time.Duration) {
	var stored *entry
	defer func() {
		// The followers are released first: they need not wait for the shared level.
		h.cache.finish(f, stored)
		if stored != nil {
			h.cache.toShared(r.Context(), stored)
		}
	}()
	w.Header().Set(HeaderCache, "Miss")
	cw := newCapture(w)
	h.next.ServeHTTP(cw, r)
	if e := cw.entry(r, rc); e != nil {
		e.stored = h.cache.now()
		e.expires = e.stored.Add(ttl)
		stored = e
	}
}

// hitHeader is the X-Cache value of every hit, shared rather than allocated per hit (the
// key is canonical already). Capacity 1: a writer adding a value appends to a copy.
var hitHeader = []string{"Hit"}

// arrival is when the request came (its Age is counted to then), without another read of
// the clock when the request path has one.
func (h *handler) arrival(rc *reqctx.Request) time.Time {
	if !rc.Start.IsZero() {
		return rc.Start
	}
	return h.cache.now()
}

// ageValues are the Age values of the first ten minutes, made once: a hit does not format
// and allocate its own.
var ageValues = sync.OnceValue(func() [][]string {
	v := make([][]string, 600)
	for i := range v {
		v[i] = []string{strconv.Itoa(i)}
	}
	return v
})

// ageValue is the Age header's value for an entry age seconds old.
func ageValue(age int64) []string {
	if age < 600 {
		return ageValues()[age]
	}
	return []string{strconv.FormatInt(age, 10)}
}

// serve answers from e at now: with the current Date (the server's, not the backend's
// stored one, up to an hour old) and an Age, as RFC 9111 has a cache answer.
func serve(w http.ResponseWriter, r *http.Request, e *entry, now time.Time) {
	hdr := w.Header()
	for _, f := range e.header {
		switch f.Name {
		case "Date", "Age":
			continue
		}
		// Clipped, so that a writer adding a value copies rather than writes into the entry
		// other requests read.
		hdr[f.Name] = slices.Clip(f.Values)
	}
	hdr[HeaderCache] = hitHeader
	hdr["Age"] = ageValue(max(int64(now.Sub(e.stored)/time.Second), 0))
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(e.body)
	}
}

// endLookup ends a traced request's cache lookup span with its result.
func endLookup(span trace.Span, result string) {
	if span == nil {
		return
	}
	span.SetAttributes(attribute.String("portico.cache.result", result))
	span.End()
}

type apiDigestKey struct{ variant string }

// apiDigest is the first 16 bytes of the SHA-256 of api's deterministic encoding.
func apiDigest(api proto.Message) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(api)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return string(sum[:16]), nil
}
