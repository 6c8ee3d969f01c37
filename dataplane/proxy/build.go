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
	"math"
	"net/http"
	"slices"
	"strings"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/accesslog"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/router"
	"github.com/portico-dev/portico/internal/routepath"
)

// graph is one applied configuration, ready to serve. It is immutable.
type graph struct {
	// Stages by stage name under each host claim: exact host names, wildcard suffixes
	// ("*.example.com" as ".example.com"), and APIs without host names.
	exact map[string]map[string]*stage
	wild  map[string]map[string]*stage
	any   map[string]*stage

	clusters *integration.Clusters
	series   map[seriesKey]bool
}

type stage struct {
	key, name, api string
	stable, canary *variant
	percent        float64
	log            *accesslog.Format
}

type variant struct {
	name      string
	tree      *router.Tree
	routes    []*route
	responses *gatewayresponse.Set
	variables map[string]string
	unmatched *routeMetrics
	// guards run before the route match; see Guard.
	guards []func(http.ResponseWriter, *http.Request) bool
}

type route struct {
	name, path string
	handler    http.Handler
	metrics    *routeMetrics
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

// build compiles cfg. Warnings are problems that do not make the configuration invalid.
func (p *Proxy) build(cfg *config.Config, prev *graph) (*graph, []string, error) {
	if cfg == nil {
		return nil, nil, errors.New("no configuration")
	}
	g := &graph{
		exact:  map[string]map[string]*stage{},
		wild:   map[string]map[string]*stage{},
		any:    map[string]*stage{},
		series: map[seriesKey]bool{},
	}
	var prevClusters *integration.Clusters
	if prev != nil {
		prevClusters = prev.clusters
	}
	g.clusters = integration.NewClusters(cfg.Endpoints, prevClusters, p.opts.Now, p.opts.EjectionTime)

	keys := make([]string, 0, len(cfg.Stages))
	for k := range cfg.Stages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var warnings []string
	for _, k := range keys {
		st, w, err := p.buildStage(g, cfg.Stages[k])
		if err != nil {
			return nil, nil, fmt.Errorf("stage %s: %w", k, err)
		}
		for _, msg := range w {
			warnings = append(warnings, "stage "+k+": "+msg)
		}
		if err := g.claim(cfg.Stages[k].GetApi().GetHostnames(), st); err != nil {
			return nil, nil, fmt.Errorf("stage %s: %w", k, err)
		}
	}
	return g, warnings, nil
}

// claim registers st under its API's host names.
func (g *graph) claim(hosts []string, st *stage) error {
	add := func(m map[string]*stage, host string) error {
		if other := m[st.name]; other != nil {
			return fmt.Errorf("stage %s also serves /%s/ on host %q", other.key, st.name, host)
		}
		m[st.name] = st
		return nil
	}
	if len(hosts) == 0 {
		return add(g.any, "*")
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
		if table[key] == nil {
			table[key] = map[string]*stage{}
		}
		if err := add(table[key], h); err != nil {
			return err
		}
	}
	return nil
}

func (p *Proxy) buildStage(g *graph, s *xdsv1alpha1.StageSnapshot) (*stage, []string, error) {
	name := s.GetStageName()
	if name == "" || strings.ContainsAny(name, "/?#") {
		return nil, nil, fmt.Errorf("stage name %q cannot be a path segment", name)
	}
	if s.GetApi() == nil {
		return nil, nil, errors.New("no API")
	}
	st := &stage{key: s.GetKey(), name: name, api: s.GetNamespace() + "/" + s.GetRestApi()}
	var warnings []string

	stable, w, err := p.buildVariant(g, s, st, s.GetApi(), s.GetVariables(), VariantStable, nil)
	if err != nil {
		return nil, nil, err
	}
	st.stable = stable
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
		canary, w, err := p.buildVariant(g, s, st, api, vars, VariantCanary, tree)
		if err != nil {
			return nil, nil, fmt.Errorf("canary: %w", err)
		}
		st.canary, st.percent = canary, pct
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
	return st, warnings, nil
}

var authorizerTypes = []string{"JWT", "TOKEN", "REQUEST"}

// buildVariant compiles one API with one set of stage variables. tree, when set, is the
// route tree of the same API already compiled for the other variant.
func (p *Proxy) buildVariant(g *graph, s *xdsv1alpha1.StageSnapshot, st *stage, api *xdsv1alpha1.Api, vars map[string]string, name string, tree *router.Tree) (*variant, []string, error) {
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
	g.series[v.unmatched.key] = true

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
		// TODO(websocket): serve $connect/$disconnect/$default route keys. Until then the
		// stage exists and answers 404 to everything.
		warnings = append(warnings, "WebSocket APIs are not served yet")
		routes = nil
		tree = nil
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
		rt, warning, err := p.buildRoute(g, s, api, r, v)
		if err != nil {
			return nil, nil, fmt.Errorf("route %s: %w", r.GetName(), err)
		}
		if warning != "" {
			warnings = append(warnings, fmt.Sprintf("route %s (%s): %s; its requests answer 502", r.GetName(), name, warning))
		}
		rt.metrics = p.metrics.route(seriesKey{st.api, st.name, r.GetName(), name})
		g.series[rt.metrics.key] = true
		v.routes = append(v.routes, rt)
	}
	return v, warnings, nil
}

// buildRoute compiles a route's steps and integration. The warning names a problem that
// fails the route's requests but not the configuration.
func (p *Proxy) buildRoute(g *graph, s *xdsv1alpha1.StageSnapshot, api *xdsv1alpha1.Api, r *xdsv1alpha1.Route, v *variant) (*route, string, error) {
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
		Params:           params,
		Variables:        v.variables,
		Clusters:         g.clusters,
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
	info := &Route{Stage: s, API: api, Route: r, Variant: v.name, Variables: v.variables, Responses: v.responses, Clusters: g.clusters}
	h = requireAuthorization(info, h)
	for i := len(p.opts.Steps) - 1; i >= 0; i-- {
		if h, err = p.opts.Steps[i](info, h); err != nil {
			return nil, "", err
		}
		if h == nil {
			return nil, "", fmt.Errorf("step %d returned no handler", i)
		}
	}
	return &route{name: r.GetName(), path: r.GetPath(), handler: h}, warn, nil
}
