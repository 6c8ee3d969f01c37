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
	"fmt"
	"maps"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/trace"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/accesslog"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/router"
	"github.com/portico-dev/portico/internal/mapping"
	"github.com/portico-dev/portico/internal/routepath"
)

// graph is one applied configuration, ready to serve. It is immutable.
type graph struct {
	// Stages by stage name under each host claim: exact host names, wildcard suffixes
	// ("*.example.com" as ".example.com"), and APIs without host names.
	exact map[string]map[string]*stage
	wild  map[string]map[string]*stage
	any   map[string]*stage
	// off holds, by the same claims, the stages of APIs with disableDefaultEndpoint: they
	// take no path of the default endpoint from another API's stage, and answer 403 where
	// no other stage serves their /{stage}/ (route).
	off *graph

	// stages are the stages served, by resource name: each as built from the last version
	// of its snapshot that built, which the next configuration reuses while it carries the
	// same version.
	stages map[string]*built
}

// built is a stage built from one version of its snapshot.
type built struct {
	snap    *xdsv1alpha1.StageSnapshot
	version string
	st      *stage
	series  []seriesKey
	// headerNames: the stage has an event or template that carries header names as sent
	// (WantsHeaderNames), found once when it is built.
	headerNames bool
}

type stage struct {
	key, name, api string
	stable, canary *variant
	percent        float64
	log            *accesslog.Format
	// domainsOnly: served only through domain base path mappings (disableDefaultEndpoint).
	domainsOnly bool
	// tracer is nil when the stage is not traced.
	tracer trace.Tracer
}

type variant struct {
	name      string
	revision  int64
	tree      *router.Tree
	routes    []*route
	responses *gatewayresponse.Set
	variables map[string]string
	unmatched *routeMetrics
	// guards run before the route match; see Guard.
	guards []func(http.ResponseWriter, *http.Request) bool
	// ws is set for a WEBSOCKET API (websocket.go).
	ws *WSStage
}

type route struct {
	name, path string
	methods    []string
	handler    http.Handler
	metrics    *routeMetrics
	// logs are the execution log settings by method; nil when no method logs.
	logs *routeLogs
}

// lookup finds the stage serving stageName on host: an exact host claim first, then the
// longest wildcard suffix, then the APIs that serve every host. A host claim that does not
// serve stageName falls through to the next, as the compiler refuses only clashes of the
// same (host, stage name).
func (g *graph) lookup(host, stageName string) *stage {
	if stageName == "" {
		return nil
	}
	if s := g.exact[host][stageName]; s != nil {
		return s
	}
	if len(g.wild) > 0 {
		for i := 0; i < len(host); i++ {
			if host[i] == '.' {
				if s := g.wild[host[i:]][stageName]; s != nil {
					return s
				}
			}
		}
	}
	return g.any[stageName]
}

// build builds the stages of cfg that changed since prev and reuses the others. A stage
// that fails to build keeps its version in prev, if any, and is returned in errs; warnings
// are problems of newly built stages that do not keep them from serving.
func (p *Proxy) build(cfg *config.Config, prev *graph) (g *graph, errs config.StageErrors, warnings []string) {
	g = &graph{
		off:    &graph{exact: map[string]map[string]*stage{}, wild: map[string]map[string]*stage{}, any: map[string]*stage{}},
		exact:  map[string]map[string]*stage{},
		wild:   map[string]map[string]*stage{},
		any:    map[string]*stage{},
		stages: make(map[string]*built, len(cfg.Stages)),
	}
	versions := cfg.Versions[xdsv1alpha1.StageSnapshotTypeURL]
	fail := func(k string, err error) {
		if errs == nil {
			errs = config.StageErrors{}
		}
		errs[k] = err
	}
	// Stages that served before claim their hosts first: a new stage that clashes with one
	// is the one refused, not the one clients already use.
	keys := slices.Sorted(maps.Keys(cfg.Stages))
	if prev != nil {
		slices.SortStableFunc(keys, func(a, b string) int {
			return cmpBool(prev.stages[a] == nil, prev.stages[b] == nil)
		})
	}
	for _, k := range keys {
		snap, version := cfg.Stages[k], versions[k]
		var old *built
		if prev != nil {
			old = prev.stages[k]
		}
		b := old
		if old == nil || !old.same(snap, version) {
			nb, w, err := p.buildStage(k, snap, version)
			if err != nil {
				fail(k, err)
			} else {
				b = nb
				for _, msg := range w {
					warnings = append(warnings, "stage "+k+": "+msg)
				}
			}
		}
		if b == nil {
			continue
		}
		if err := g.claimFor(b); err != nil {
			fail(k, err)
			// The new version clashes with a stage served before it: the last good one
			// may not (it is the one that served so far).
			if b == old || old == nil || g.claimFor(old) != nil {
				continue
			}
			b = old
		}
		g.stages[k] = b
	}
	return g, errs, warnings
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// same reports whether b was built from snap: the same version, or, where the sender gives
// none, the same message.
func (b *built) same(snap *xdsv1alpha1.StageSnapshot, version string) bool {
	if version != "" {
		return b.version == version
	}
	return b.snap == snap
}

// serves reports whether g already serves cfg's stages as they are: then only endpoints
// can have changed, and there is nothing to build. It allocates nothing, so an endpoint
// change costs no more than its cluster.
func (g *graph) serves(cfg *config.Config) bool {
	if g == nil || len(g.stages) != len(cfg.Stages) {
		return false
	}
	versions := cfg.Versions[xdsv1alpha1.StageSnapshotTypeURL]
	for k, snap := range cfg.Stages {
		b := g.stages[k]
		if b == nil || !b.same(snap, versions[k]) {
			return false
		}
	}
	return true
}

// unchanged reports whether g serves what prev serves, stage for stage.
func (g *graph) unchanged(prev *graph) bool {
	if prev == nil || len(g.stages) != len(prev.stages) {
		return false
	}
	for k, b := range g.stages {
		if prev.stages[k] != b {
			return false
		}
	}
	return true
}

// gone lists the metric series of prev's stages that g no longer serves: those of stages
// removed or rebuilt, less those their new build still has.
func (g *graph) gone(prev *graph) []seriesKey {
	var out []seriesKey
	for k, old := range prev.stages {
		nb := g.stages[k]
		if nb == old {
			continue
		}
		var keep map[seriesKey]bool
		if nb != nil {
			keep = make(map[seriesKey]bool, len(nb.series))
			for _, key := range nb.series {
				keep[key] = true
			}
		}
		for _, key := range old.series {
			if !keep[key] {
				out = append(out, key)
			}
		}
	}
	return out
}

// claimFor registers b's stage under its API's host names, in off when it is served through
// its domains only (disableDefaultEndpoint), where a clash costs nothing but which of them
// answers 403 on the default endpoint.
func (g *graph) claimFor(b *built) error {
	if b.st.domainsOnly {
		_ = g.off.claim(b.snap.GetApi().GetHostnames(), b.st)
		return nil
	}
	return g.claim(b.snap.GetApi().GetHostnames(), b.st)
}

// claim registers st under its API's host names, or nothing if one of them is taken.
func (g *graph) claim(hosts []string, st *stage) error {
	type slot struct {
		table map[string]map[string]*stage
		key   string
	}
	var slots []slot
	if len(hosts) == 0 {
		if other := g.any[st.name]; other != nil {
			return fmt.Errorf("stage %s also serves /%s/ on every host", other.key, st.name)
		}
		g.any[st.name] = st
		return nil
	}
	for _, h := range hosts {
		h = strings.TrimSuffix(strings.ToLower(h), ".")
		table, key := g.exact, h
		if suffix, ok := strings.CutPrefix(h, "*."); ok {
			table, key = g.wild, "."+suffix
		}
		if key == "" || key == "." || strings.ContainsAny(key, "*/: ") {
			return fmt.Errorf("host name %q is not a host name or *.wildcard", h)
		}
		if other := table[key][st.name]; other != nil {
			return fmt.Errorf("stage %s also serves /%s/ on host %q", other.key, st.name, h)
		}
		slots = append(slots, slot{table, key})
	}
	for _, sl := range slots {
		if sl.table[sl.key] == nil {
			sl.table[sl.key] = map[string]*stage{}
		}
		sl.table[sl.key][st.name] = st
	}
	return nil
}

// buildStage builds one stage. A panic in a step's constructor fails this stage alone: every
// proxy receives the same snapshot, so a crash would take the whole fleet down in a loop,
// where an error keeps the other stages serving and reports the bug on the Stage.
func (p *Proxy) buildStage(key string, s *xdsv1alpha1.StageSnapshot, version string) (b *built, warnings []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.opts.Log.Error(nil, "building a stage panicked", "stage", key, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			b, warnings, err = nil, nil, fmt.Errorf("building the stage panicked: %v", r)
		}
	}()
	if s == nil {
		return nil, nil, errors.New("no snapshot")
	}
	if s.GetKey() != key {
		return nil, nil, fmt.Errorf("key %q does not match the resource name", s.GetKey())
	}
	b = &built{snap: s, version: version, headerNames: stageWantsHeaderNames(s)}
	name := s.GetStageName()
	if name == "" || strings.ContainsAny(name, "/?#") {
		return nil, nil, fmt.Errorf("stage name %q cannot be a path segment", name)
	}
	if s.GetApi() == nil {
		return nil, nil, errors.New("no API")
	}
	st := &stage{key: s.GetKey(), name: name, api: s.GetNamespace() + "/" + s.GetRestApi(), domainsOnly: s.GetDisableDefaultEndpoint(), tracer: p.stageTracer(s)}
	scope := &Scope{}

	stable, w, err := p.buildVariant(b, scope, s, st, s.GetApi(), s.GetVariables(), VariantStable, nil)
	if err != nil {
		return nil, nil, err
	}
	st.stable = stable
	stable.revision = s.GetRevision()
	warnings = append(warnings, w...)

	if c := s.GetCanary(); c != nil {
		pct := c.GetPercentTraffic()
		if math.IsNaN(pct) || pct < 0 || pct > 100 {
			return nil, nil, fmt.Errorf("canary percentTraffic %v is not within 0..100", pct)
		}
		api, tree := c.GetApi(), stable.tree
		if api != nil {
			tree = nil // another revision: its own routes
		} else {
			api = s.GetApi()
		}
		vars := c.GetVariables()
		if vars == nil {
			vars = s.GetVariables()
		}
		canary, w, err := p.buildVariant(b, scope, s, st, api, vars, VariantCanary, tree)
		if err != nil {
			return nil, nil, fmt.Errorf("canary: %w", err)
		}
		st.canary, st.percent = canary, pct
		canary.revision = s.GetRevision()
		if c.GetRevision() != 0 {
			canary.revision = c.GetRevision()
		}
		warnings = append(warnings, w...)
	}

	format := s.GetAccessLogFormat()
	if format == "" {
		format = p.opts.DefaultAccessLogFormat
	}
	if format != "" {
		st.log = accesslog.Parse(format)
		if u := st.log.Unknown(); len(u) > 0 {
			warnings = append(warnings, fmt.Sprintf("access log format: unknown variables %s print \"-\"", strings.Join(u, ", ")))
		}
	}
	b.st = st
	return b, warnings, nil
}

var authorizerTypes = []string{"JWT", "TOKEN", "REQUEST"}

// buildVariant compiles one API with one set of stage variables. tree, when set, is the
// route tree of the same API already compiled for the other variant.
func (p *Proxy) buildVariant(b *built, scope *Scope, s *xdsv1alpha1.StageSnapshot, st *stage, api *xdsv1alpha1.Api, vars map[string]string, name string, tree *router.Tree) (*variant, []string, error) {
	responses, err := gatewayresponse.Compile(api.GetGatewayResponses())
	if err != nil {
		return nil, nil, err
	}
	v := &variant{name: name, responses: responses, variables: vars}
	for _, guard := range p.opts.Guards {
		f, err := guard(api, responses)
		if err != nil {
			return nil, nil, err
		}
		if f != nil {
			v.guards = append(v.guards, f)
		}
	}
	v.unmatched = p.metrics.route(seriesKey{st.api, st.name, none, name})
	b.series = append(b.series, v.unmatched.key)

	authorizers := map[string]bool{}
	for _, a := range api.GetAuthorizers() {
		if !slices.Contains(authorizerTypes, a.GetType()) {
			return nil, nil, fmt.Errorf("authorizer %s: unknown type %q", a.GetName(), a.GetType())
		}
		if a.GetName() == "" || authorizers[a.GetName()] {
			return nil, nil, fmt.Errorf("authorizer name %q is empty or not unique", a.GetName())
		}
		authorizers[a.GetName()] = true
	}

	var warnings []string
	routes := api.GetRoutes()
	switch api.GetProtocol() {
	case "", "HTTP", "REST":
	case "WEBSOCKET":
		// Served by the WebSocket (websocket.go): its routes are keyed, not in the tree.
		routes, tree = nil, nil
		if p.opts.WebSocket == nil {
			warnings = append(warnings, "this proxy serves no WebSocket APIs")
			break
		}
		if err := p.buildWebSocket(b, scope, s, st, api, v, authorizers); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("unknown protocol %q", api.GetProtocol())
	}

	if tree == nil {
		specs := make([]router.Route, len(routes))
		for i, r := range routes {
			specs[i] = router.Route{Path: r.GetPath(), Methods: r.GetMethods()}
		}
		if tree, err = router.New(specs); err != nil {
			return nil, nil, err
		}
	}
	v.tree = tree

	names := map[string]bool{}
	for _, r := range routes {
		if r.GetName() == "" || names[r.GetName()] {
			return nil, nil, fmt.Errorf("route name %q is empty or not unique", r.GetName())
		}
		names[r.GetName()] = true
		if a := r.GetAuthorization().GetAuthorizer(); a != "" && !authorizers[a] {
			return nil, nil, fmt.Errorf("route %s: authorizer %q is not one of the API's", r.GetName(), a)
		}
		rt, warning, err := p.buildRoute(scope, s, api, r, v)
		if err != nil {
			return nil, nil, fmt.Errorf("route %s: %w", r.GetName(), err)
		}
		if warning != "" {
			warnings = append(warnings, fmt.Sprintf("route %s (%s): %s; its requests answer 502", r.GetName(), name, warning))
		}
		rt.metrics = p.metrics.route(seriesKey{st.api, st.name, r.GetName(), name})
		b.series = append(b.series, rt.metrics.key)
		v.routes = append(v.routes, rt)
	}
	return v, warnings, nil
}

// buildRoute compiles a route's steps and integration. The warning names a problem that
// fails the route's requests but not the configuration.
func (p *Proxy) buildRoute(scope *Scope, s *xdsv1alpha1.StageSnapshot, api *xdsv1alpha1.Api, r *xdsv1alpha1.Route, v *variant) (*route, string, error) {
	segs, err := routepath.Parse(r.GetPath())
	if err != nil {
		return nil, "", err
	}
	params := map[string]bool{}
	for _, seg := range segs {
		if seg.Param != "" {
			params[seg.Param] = seg.Greedy
		}
	}
	h, warning, err := p.shared.Build(integration.Spec{
		Integration:      r.GetIntegration(),
		Traced:           p.traces(s),
		Params:           mapping.URIParams(params, r.GetIntegration().GetRequestParameters()),
		Variables:        v.variables,
		Clusters:         p.clusters,
		Responses:        v.responses,
		BinaryMediaTypes: api.GetBinaryMediaTypes(),
	})
	if err != nil {
		return nil, "", err
	}
	var warn string
	if warning != nil {
		warn = warning.Error()
	}
	info := &Route{Stage: s, API: api, Route: r, Variant: v.name, Variables: v.variables, Responses: v.responses, Clusters: p.clusters, Scope: scope}
	if h, err = p.chain(info, h); err != nil {
		return nil, "", err
	}
	return &route{name: r.GetName(), path: r.GetPath(), methods: r.GetMethods(), handler: h, logs: newRouteLogs(s, api, r)}, warn, nil
}

// chain puts the steps of the request path in front of a route's integration h.
func (p *Proxy) chain(info *Route, h http.Handler) (http.Handler, error) {
	for i := len(p.steps) - 1; i >= 0; i-- {
		var err error
		if h, err = p.steps[i](info, h); err != nil {
			return nil, err
		}
		if h == nil {
			return nil, fmt.Errorf("step %d returned no handler", i)
		}
	}
	return h, nil
}
