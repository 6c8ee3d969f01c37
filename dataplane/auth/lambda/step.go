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

package lambda

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/singleflight"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/tracing"
	"github.com/portico-dev/portico/internal/mapping"
)

// Defaults of Options and of an authorizer's settings.
const (
	DefaultRegion       = "us-east-1"
	DefaultCacheEntries = 10000
	DefaultCacheBytes   = 64 << 20
	// DefaultTimeout applies when an authorizer's function sets none.
	DefaultTimeout = 10 * time.Second
	// maxAnswer bounds a function's answer; a policy document is a few kilobytes.
	maxAnswer = 1 << 20
)

// Options configure the step.
type Options struct {
	// Region is the region of every methodArn; DefaultRegion when empty.
	Region string
	// HTTPClient calls the functions. When nil the step makes its own, which does not follow
	// redirects: a redirect is not an authorizer's answer, so it fails as one.
	HTTPClient *http.Client
	// Now is the cache's clock; time.Now when nil.
	Now func() time.Time
	// Log receives the reasons of authorizer failures, at V(1).
	Log logr.Logger
	// CacheEntries and CacheBytes bound the result cache, shared by every authorizer;
	// DefaultCacheEntries and DefaultCacheBytes when zero.
	CacheEntries, CacheBytes int
}

// step is the state every configuration's handlers share: the cache of decisions, the HTTP
// client and its connections, and the calls in flight.
type step struct {
	opts   Options
	client *http.Client
	cache  *cache
	flight singleflight.Group
	// joined, when set, is called by each request about to wait on a shared call: a test
	// hook that makes call sharing observable without sleeping.
	joined func()
}

// NewStep returns the step of TOKEN and REQUEST authorizers. Call it once per proxy: the
// cache and connections it holds outlive configurations, so a reload keeps cached results.
func NewStep(opts Options) proxy.Step {
	return newStep(opts).build
}

func newStep(opts Options) *step {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheEntries == 0 {
		opts.CacheEntries = DefaultCacheEntries
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	client := opts.HTTPClient
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		client = &http.Client{
			Transport: t,
			// A redirect answer is not an authorizer answer: it fails as one.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	// A copy: the caller's client is not changed. Traced requests' calls are child spans
	// carrying their traceparent to the function.
	traced := *client
	traced.Transport = tracing.Transport(client.Transport, "authorizer")
	return &step{opts: opts, client: &traced, cache: newCache(opts.CacheEntries, opts.CacheBytes)}
}

func (s *step) build(rt *proxy.Route, next http.Handler) (http.Handler, error) {
	name := rt.Route.GetAuthorization().GetAuthorizer()
	if name == "" {
		return next, nil
	}
	var az *xdsv1alpha1.Authorizer
	for _, a := range rt.API.GetAuthorizers() {
		if a.GetName() == name {
			az = a
			break
		}
	}
	if az == nil {
		return nil, fmt.Errorf("route %q names authorizer %q, which its API does not have", rt.Route.GetName(), name)
	}
	if t := az.GetType(); t != "TOKEN" && t != "REQUEST" {
		return next, nil
	}
	h, err := s.newHandler(rt, az, next)
	if err != nil {
		return nil, fmt.Errorf("authorizer %q: %w", name, err)
	}
	return proxy.Handler(rt, h.serve), nil
}

// handler authorizes one route's requests with one authorizer.
type handler struct {
	s    *step
	next http.Handler
	name string

	token    bool
	sources  []source
	validate *regexp.Regexp
	// ttl is zero when results are not cached.
	ttl time.Duration
	// keyParts identify the authorizer and its function in cache keys, ahead of the values.
	keyParts []string

	version string
	simple  bool
	timeout time.Duration
	// uri is the function's address, or empty for a cluster; uriErr is why the stage's
	// variables make none (each call fails, AUTHORIZER_FAILURE).
	uri     string
	uriErr  error
	cluster string
	// path is the function's invocation path on the cluster's endpoints (backendRef.path).
	path     string
	clusters *integration.Clusters

	namespace, restAPI, stage, routeName string
	// routeKey is set for a WEBSOCKET route.
	routeKey string
}

func (s *step) newHandler(rt *proxy.Route, az *xdsv1alpha1.Authorizer, next http.Handler) (*handler, error) {
	fn := az.GetFunction()
	if fn == nil {
		return nil, fmt.Errorf("a %s authorizer needs a function", az.GetType())
	}
	h := &handler{
		s: s, next: next, name: az.GetName(),
		token:     az.GetType() == "TOKEN",
		ttl:       time.Duration(az.GetResultTtlSeconds()) * time.Second,
		version:   fn.GetPayloadFormatVersion(),
		simple:    fn.GetEnableSimpleResponses(),
		timeout:   time.Duration(fn.GetTimeoutMillis()) * time.Millisecond,
		namespace: rt.Stage.GetNamespace(), restAPI: rt.Stage.GetRestApi(), stage: rt.Stage.GetStageName(),
		routeName: rt.Route.GetName(),
		routeKey:  rt.Route.GetRouteKey(),
	}
	if h.version == "" {
		h.version = "1.0"
	}
	if h.version != "1.0" && h.version != "2.0" {
		return nil, fmt.Errorf("payloadFormatVersion %q is neither 1.0 nor 2.0", h.version)
	}
	if h.simple && h.version != "2.0" {
		return nil, fmt.Errorf("enableSimpleResponses needs payloadFormatVersion 2.0")
	}
	if h.timeout <= 0 {
		h.timeout = DefaultTimeout
	}
	if h.ttl < 0 {
		h.ttl = 0
	}

	for _, raw := range az.GetIdentitySources() {
		src, err := parseSource(raw)
		if err != nil {
			return nil, err
		}
		h.sources = append(h.sources, src)
	}
	if h.token {
		if len(h.sources) != 1 || h.sources[0].Kind != mapping.Header {
			return nil, fmt.Errorf("a TOKEN authorizer reads exactly one header, not %q", az.GetIdentitySources())
		}
		if expr := az.GetIdentityValidationExpression(); expr != "" {
			// Anchored, with the compiler's function, which refuses the Authorizer for an
			// expression this would fail on.
			re, err := mapping.CompileIdentityValidation(expr)
			if err != nil {
				return nil, err
			}
			h.validate = re
		}
	}
	if len(h.sources) == 0 {
		// Nothing identifies the caller, so one cached answer would serve everyone.
		h.ttl = 0
	}

	switch {
	case fn.GetBackend().GetCluster() != "":
		h.cluster, h.clusters = fn.GetBackend().GetCluster(), rt.Clusters
		h.path = fn.GetBackend().GetPath()
		if h.path == "" {
			h.path = "/"
		}
		if !strings.HasPrefix(h.path, "/") || strings.ContainsAny(h.path, "%?#") {
			return nil, fmt.Errorf("backend path %q is not an absolute path", h.path)
		}
	case fn.GetUri() != "":
		// The integrations' template and guard: a stage variable's value that is no host,
		// or that climbs out of the path, fails this authorizer's calls (500, the operator's
		// value), not the stage.
		tmpl, err := mapping.ParseTemplate(fn.GetUri(), nil)
		if err != nil {
			return nil, err
		}
		bound, err := tmpl.Bind(rt.Variables)
		if err == nil {
			u, _ := bound.Static()
			err = checkURI(u)
			h.uri = u
		}
		if err != nil {
			h.uriErr = fmt.Errorf("function uri: %w", err)
		}
	default:
		return nil, fmt.Errorf("the function has neither a uri nor a backend")
	}

	h.keyParts = []string{
		h.namespace, h.restAPI, rt.Stage.GetKey(), h.name, az.GetType(), h.version,
		fmt.Sprint(h.simple), h.uri, h.cluster + h.path, strings.Join(az.GetIdentitySources(), "\n"),
	}
	return h, nil
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) error {
	rc := reqctx.From(r.Context())
	if rc == nil {
		// The proxy always sets one; without it nothing could carry the principal.
		return gatewayresponse.Refuse(gatewayresponse.AuthorizerFailure)
	}
	if name := repeated(h.sources, r); name != "" {
		return gatewayresponse.RefuseRepeatedSource(name)
	}
	values, ok := h.identity(r, rc)
	if !ok {
		return refuse(rc, gatewayresponse.Unauthorized, "", 0)
	}
	arn := methodArn(h.s.opts.Region, h.namespace, h.restAPI, h.stage, r.Method, rc.StagePath)
	if h.routeKey != "" {
		// A WEBSOCKET route ($connect): AWS's methodArn ends with the route key.
		arn = "arn:aws:execute-api:" + h.s.opts.Region + ":" + h.namespace + ":" + h.restAPI + "/" + h.stage + "/" + h.routeKey
	}
	in := &eventInput{
		r: r, rc: rc, arn: arn, namespace: h.namespace, restAPI: h.restAPI,
		resourceID: h.routeName, identity: values,
	}
	start := h.s.opts.Now()
	d, err := h.decide(in)
	latency := h.s.opts.Now().Sub(start)
	switch {
	case err == nil:
	case errors.Is(err, errUnauthorized):
		return refuse(rc, gatewayresponse.Unauthorized, "", latency)
	case r.Context().Err() != nil:
		// The client left; nobody reads an answer.
		w.WriteHeader(integration.StatusClientClosedRequest)
		return nil
	default:
		h.s.opts.Log.V(1).Info("authorizer failed", "authorizer", h.name, "route", rc.RouteName,
			"requestId", rc.ID, "error", err.Error())
		return refuse(rc, gatewayresponse.AuthorizerFailure, "", latency)
	}
	if !d.allows(arn) {
		if d.simple {
			// {"isAuthorized": false}: AWS's HTTP APIs answer {"message": "Forbidden"}.
			return refuse(rc, gatewayresponse.AccessDenied, "Forbidden", latency)
		}
		return refuse(rc, gatewayresponse.AccessDenied, "", latency)
	}
	rc.Authorizer = reqctx.Authorizer{
		Authorized:  true,
		PrincipalID: d.principalID,
		// A copy: the decision may be cached and shared, and later steps may add keys.
		Context:            maps.Clone(d.context),
		UsageIdentifierKey: d.usageKey,
		Values:             d.values,
		InvalidateCache:    d.mayInvalidate(arn),
		Latency:            latency,
		Status:             http.StatusOK,
	}
	h.next.ServeHTTP(w, r)
	return nil
}

// refuse records a refusal of the authorizer's for access logs ($context.authorizer.status,
// .error, .latency) and returns it, with message in place of the type's when set.
func refuse(rc *reqctx.Request, t gatewayresponse.Type, message string, latency time.Duration) error {
	msg := t.Message()
	if message != "" {
		msg = message
	}
	rc.Authorizer.Status, rc.Authorizer.Error, rc.Authorizer.Latency = t.Status(), msg, latency
	if message != "" {
		return gatewayresponse.RefuseMessage(t, message)
	}
	return gatewayresponse.Refuse(t)
}

// identity reads the identity sources; false when one is missing or empty, or when a
// token does not match the identityValidationExpression.
func (h *handler) identity(r *http.Request, rc *reqctx.Request) ([]string, bool) {
	var query url.Values
	values := make([]string, len(h.sources))
	for i, src := range h.sources {
		if values[i] = sourceValue(src, r, rc, &query); values[i] == "" {
			return nil, false
		}
	}
	if h.validate != nil && !h.validate.MatchString(values[0]) {
		return nil, false
	}
	return values, true
}

// target returns the URL to POST to and, for a cluster, the endpoint picked and its
// cluster, to eject the endpoint if it cannot be reached.
func (h *handler) target() (string, *integration.Endpoint, *integration.Cluster, error) {
	if h.uriErr != nil {
		return "", nil, nil, h.uriErr
	}
	if h.cluster == "" {
		return h.uri, nil, nil, nil
	}
	cl := h.clusters.Get(h.cluster)
	if cl == nil {
		return "", nil, nil, fmt.Errorf("backend cluster %s is unknown", h.cluster)
	}
	ep := cl.Pick()
	if ep == nil {
		return "", nil, nil, fmt.Errorf("backend cluster %s has no endpoints", h.cluster)
	}
	return "http://" + ep.Addr + h.path, ep, cl, nil
}

func checkURI(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("uri: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("uri %q is not an http:// or https:// URL", s)
	case u.Host == "":
		return fmt.Errorf("uri %q has no host", s)
	}
	return nil
}
