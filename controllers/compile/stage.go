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
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/internal/mapping"
	"github.com/portico-dev/portico/internal/routepath"
)

// compileStage compiles a Stage of restApi, whose current revision is current. It returns
// nil when the stage cannot be served; its status says why.
func (w *world) compileStage(st statuses, s *apiv1.Stage, restApi *apiv1.RestApi, current *Revision, conflicts map[nsName]stageConflict) *ir.Stage {
	status := st.of(KindStage, s)
	status.StageKey = s.Namespace + "/" + s.Name
	if restApi == nil {
		status.refuse(apiv1.ReasonRestApiNotFound, fmt.Sprintf("RestApi %q does not exist in namespace %s", s.Spec.RestApiRef.Name, s.Namespace))
		return nil
	}
	if s.Spec.StageName == "" && !validStageName(s.Name) {
		// The name a spec.stageName would be checked by the schema for; a UsagePlan or a
		// DomainName mapping could never name this stage otherwise.
		status.refuse(apiv1.ReasonRejected, fmt.Sprintf("the stage name defaults to metadata.name %q, which is not a stage name (letters, digits, - and _, at most 128): set spec.stageName", s.Name))
		return nil
	}
	rev := current
	var warnings problems
	if c, ok := conflicts[nsName{s.Namespace, s.Name}]; ok {
		if c.keep == nil {
			status.refuse(apiv1.ReasonStageConflict, c.message)
			return nil
		}
		// The API's edit clashes; the revision the stage served does not: it goes on.
		rev = c.keep
		warnings.add(apiv1.ReasonStageConflict, fmt.Sprintf("%s (with revision %d's hostnames); still serving revision %d, deployed before", c.message, current.Number, c.keep.Number))
	}
	if d := s.Spec.Deployment; d != nil {
		if rev = w.revision(s.Namespace, restApi.Name, d.Revision); rev == nil || rev.API == nil {
			msg := fmt.Sprintf("deployment.revision %d of RestApi %s does not exist (latest is %d)", d.Revision, restApi.Name, current.Number)
			// A typo (or a revision pruned meanwhile) does not take the stage offline: it goes
			// on serving what it was, when that is still stored.
			prev := w.revision(s.Namespace, restApi.Name, s.Status.DeployedRevision)
			if s.Status.DeployedRevision == 0 || prev == nil || prev.API == nil {
				status.refuse(apiv1.ReasonRevisionNotFound, msg)
				return nil
			}
			rev = prev
			warnings.add(apiv1.ReasonRevisionNotFound, fmt.Sprintf("%s; still serving revision %d, deployed before", msg, prev.Number))
		}
	}
	out := &ir.Stage{
		Key:             s.Namespace + "/" + s.Name,
		Namespace:       s.Namespace,
		StageName:       stageName(s),
		RestApi:         restApi.Name,
		Generation:      s.Generation,
		Revision:        rev.Number,
		API:             rev.API,
		Variables:       variables(s.Spec.Variables, nil),
		Throttle:        &ir.Throttle{RateLimit: 10000, BurstLimit: 5000},
		AccessLogFormat: "",
	}
	if t := s.Spec.Throttling; t != nil {
		out.Throttle = throttle(t)
	}
	if a := s.Spec.AccessLog; a != nil {
		out.AccessLogFormat = a.Format
	}
	out.Tracing = s.Spec.Tracing != nil && s.Spec.Tracing.Enabled
	if out.Tracing && s.Spec.Tracing.SamplingRatio != nil {
		r := min(max(*s.Spec.Tracing.SamplingRatio, 0), 1)
		out.TracingSamplingRatio = &r
	}
	if c := s.Spec.Cache; c != nil {
		out.Cache = stageCache(c)
	}
	if c := s.Spec.Canary; c != nil {
		canary := &ir.Canary{Revision: rev.Number, Variables: variables(s.Spec.Variables, c.Variables), UseStageCache: c.UseStageCache}
		if c.PercentTraffic != nil {
			canary.PercentTraffic = min(max(*c.PercentTraffic, 0), 100)
		}
		if d := c.Deployment; d != nil && d.Revision != rev.Number {
			crev := w.revision(s.Namespace, restApi.Name, d.Revision)
			if crev == nil || crev.API == nil {
				// The stable revision goes on serving all the traffic: a canary's typo is no
				// outage.
				warnings.add(apiv1.ReasonRevisionNotFound, fmt.Sprintf("canary.deployment.revision %d of RestApi %s does not exist (latest is %d); no canary is served, the stable revision takes all the traffic", d.Revision, restApi.Name, current.Number))
				canary = nil
			} else {
				canary.Revision, canary.API = crev.Number, crev.API
			}
		}
		out.Canary = canary
	}
	out.MethodSettings = methodSettings(s.Spec.MethodSettings, rev.API, out.Cache != nil && out.Cache.Enabled, &warnings)
	checkStageVariables(rev.API, out.Variables, "", &warnings)
	if c := out.Canary; c != nil {
		api := c.API
		if api == nil {
			api = rev.API
		}
		checkStageVariables(api, c.Variables, "the canary's ", &warnings)
	}
	w.checkPlanThrottles(st, s, restApi.Name, rev.API)
	if restApi.Spec.Protocol == apiv1.ProtocolWebSocket {
		webSocketStage(out, &warnings)
	}
	out.WebSocketManagementKeys = w.managementKeys(restApi, &warnings)
	if warnings.reason != "" {
		status.set(apiv1.ConditionAccepted, false, warnings.reason, warnings.String()+"; the rest of the stage is served")
	}
	status.URL = stageURL(rev.API.Hostnames, out.StageName, w.in.Options.GatewayURL, restApi.Spec.Protocol == apiv1.ProtocolWebSocket)
	status.DeployedRevision = rev.Number
	if out.Canary != nil {
		status.CanaryRevision = out.Canary.Revision
	}
	status.accept("the stage is valid", fmt.Sprintf("serving revision %d of RestApi %s", rev.Number, restApi.Name))
	return out
}

// paramsOf is a path's parameter names and whether each is greedy, as the proxy reads them.
func paramsOf(segs []routepath.Segment) map[string]bool {
	params := map[string]bool{}
	for _, seg := range segs {
		if seg.Param != "" {
			params[seg.Param] = seg.Greedy
		}
	}
	return params
}

// checkStageVariables reports the routes whose integration uri, and the authorizers whose
// function uri, the stage's variables do not make a usable URL (a ${stageVariables.host}
// the stage does not set leaves the host empty): the proxies answer their requests 502 (500
// behind such an authorizer), and the stage says so rather than only their logs.
func checkStageVariables(api *ir.API, vars map[string]string, whose string, ps *problems) {
	for _, r := range api.Routes {
		if r.Path == "" {
			continue
		}
		segs, err := routepath.Parse(r.Path)
		if err != nil {
			continue
		}
		if err := bindError(r.Integration.URI, mapping.URIParams(paramsOf(segs), r.Integration.RequestParameters), vars); err != nil {
			ps.add(apiv1.ReasonInvalidTemplate, fmt.Sprintf("route %s: %sstage variables: %v; its requests answer 502 until the variable is set", r.Name, whose, err))
		}
	}
	for _, a := range api.Authorizers {
		if a.Function == nil {
			continue
		}
		if err := bindError(a.Function.URI, nil, vars); err != nil {
			ps.add(apiv1.ReasonInvalidTemplate, fmt.Sprintf("authorizer %s: %sstage variables: function.%v; the routes it protects answer 500 until the variable is set", a.Name, whose, err))
		}
	}
}

// bindError is why vars make no URL of uri, a template naming stage variables; nil for one
// that names none, or that does not parse (its Route or Authorizer reports that).
func bindError(uri string, params map[string]bool, vars map[string]string) error {
	if !strings.Contains(uri, "stageVariables") {
		return nil
	}
	t, err := mapping.ParseTemplate(uri, params)
	if err != nil {
		return nil
	}
	_, err = t.Bind(vars)
	return err
}

// webSocketStage takes out of a WEBSOCKET API's stage what its events cannot use, saying so
// in warnings: messages are not cached, and events write access log lines, not execution
// logs.
func webSocketStage(out *ir.Stage, warnings *problems) {
	if out.Cache != nil {
		warnings.add(apiv1.ReasonUnsupported, "cache does not apply to a WEBSOCKET API: messages are not cached")
		out.Cache = nil
	}
	for i := range out.MethodSettings {
		m := &out.MethodSettings[i]
		key := m.Path + "/" + m.Method
		if m.Caching != nil {
			warnings.add(apiv1.ReasonUnsupported, fmt.Sprintf("methodSettings %q: caching does not apply to a WEBSOCKET API", key))
			m.Caching = nil
		}
		if m.Logging != nil {
			warnings.add(apiv1.ReasonUnsupported, fmt.Sprintf("methodSettings %q: a WEBSOCKET API's events write access log lines, not execution logs", key))
			m.Logging = nil
		}
	}
}

// cachedMethod reports whether a method setting's method may have its answers cached: GET,
// HEAD, or a key that covers them (ANY, "*").
func cachedMethod(method string) bool {
	switch method {
	case "GET", "HEAD", "ANY", "*":
		return true
	}
	return false
}

// validStageName reports whether name is a stage name as spec.stageName's pattern has it.
func validStageName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	return strings.IndexFunc(name, func(c rune) bool {
		return (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_'
	}) < 0
}

func stageName(s *apiv1.Stage) string {
	if s.Spec.StageName != "" {
		return s.Spec.StageName
	}
	return s.Name
}

// stageURL is where clients reach a stage: on the API's first exact hostname (with the
// gateway URL's scheme and port, when one is set), else on the gateway URL. A WEBSOCKET
// stage's is ws:// (wss:// behind https), without a trailing slash, as clients open it.
func stageURL(hostnames []string, stage, gateway string, websocket bool) string {
	u, err := url.Parse(strings.TrimSuffix(gateway, "/"))
	set := err == nil && u.Host != ""
	if !set {
		u = &url.URL{Scheme: "http", Host: "localhost:8080"}
	}
	for _, h := range hostnames {
		if !strings.HasPrefix(h, "*") {
			if port := u.Port(); set && port != "" {
				h += ":" + port
			}
			u = &url.URL{Scheme: u.Scheme, Host: h}
			break
		}
	}
	if websocket {
		u.Scheme = map[string]string{"https": "wss"}[u.Scheme]
		if u.Scheme == "" {
			u.Scheme = "ws"
		}
		return u.String() + "/" + stage
	}
	return u.String() + "/" + stage + "/"
}

func variables(base, overrides apiv1.StageVariables) map[string]string {
	if len(base) == 0 && len(overrides) == 0 {
		return nil
	}
	out := make(map[string]string, len(base)+len(overrides))
	for k, v := range base {
		out[k] = string(v)
	}
	for k, v := range overrides {
		out[k] = string(v)
	}
	return out
}

func throttle(t *apiv1.ThrottleSettings) *ir.Throttle {
	if t == nil {
		return nil
	}
	return &ir.Throttle{RateLimit: t.RateLimit, BurstLimit: t.BurstLimit}
}

func stageCache(c *apiv1.StageCache) *ir.Cache {
	out := &ir.Cache{
		Enabled:                                c.Enabled,
		CapacityBytes:                          512 << 20,
		TTLSeconds:                             300,
		RequireAuthorizationForCacheControl:    true,
		UnauthorizedCacheControlHeaderStrategy: string(apiv1.CacheControlSucceedWithResponseHeader),
		InvalidationScope:                      c.InvalidationScope,
	}
	if c.Capacity != nil {
		out.CapacityBytes = c.Capacity.Value()
	}
	if c.TTLSeconds != nil {
		out.TTLSeconds = *c.TTLSeconds
	}
	if c.RequireAuthorizationForCacheControl != nil {
		out.RequireAuthorizationForCacheControl = *c.RequireAuthorizationForCacheControl
	}
	if c.UnauthorizedCacheControlHeaderStrategy != "" {
		out.UnauthorizedCacheControlHeaderStrategy = string(c.UnauthorizedCacheControlHeaderStrategy)
	}
	return out
}

// splitMethodKey splits "/path/METHOD" (or "*/*") into path and method. A key without a
// slash is a WebSocket route key, as AWS's RouteSettings are keyed: the route's every method.
func splitMethodKey(key string) (path, method string, ok bool) {
	if key == "*/*" {
		return "*", "*", true
	}
	if key != "" && !strings.Contains(key, "/") {
		return key, "*", true
	}
	i := strings.LastIndex(key, "/")
	if i <= 0 || i == len(key)-1 {
		return "", "", false
	}
	return key[:i], key[i+1:], true
}

// methodSettings compiles method settings, most specific first; keys that match no route of
// the deployed API are reported and skipped, and so is caching that cannot take effect: on a
// stage without its cache, or turned on for a method the cache does not keep (GET and HEAD
// only). A WEBSOCKET stage's caching is webSocketStage's to report.
func methodSettings(in map[string]apiv1.MethodSetting, api *ir.API, stageCache bool, warnings *problems) []ir.MethodSetting {
	var out []ir.MethodSetting
	for _, key := range sortedKeys(in) {
		path, method, ok := splitMethodKey(key)
		if !ok || (path != "*" && !apiHasRoute(api, path, method)) {
			warnings.add(apiv1.ReasonInvalidMethodSetting, fmt.Sprintf("methodSettings key %q matches no route of the deployed revision", key))
			continue
		}
		ms := in[key]
		m := ir.MethodSetting{Path: path, Method: method, Throttle: throttle(ms.Throttling)}
		if c := ms.Caching; c != nil {
			m.Caching = &ir.MethodCaching{Enabled: c.Enabled, TTLSeconds: c.TTLSeconds}
			switch {
			case api.Protocol == string(apiv1.ProtocolWebSocket):
			case !stageCache:
				// Caching off where the stage has none is what happens anyway.
				if c.Enabled == nil || *c.Enabled {
					warnings.add(apiv1.ReasonUnsupported, fmt.Sprintf("methodSettings %q: caching needs the stage's cache (cache.enabled: true)", key))
				}
				m.Caching = nil
			case c.Enabled != nil && *c.Enabled && !cachedMethod(method):
				warnings.add(apiv1.ReasonUnsupported, fmt.Sprintf("methodSettings %q: only GET and HEAD answers are cached (a %s's cache key would ignore its body)", key, method))
				m.Caching = nil
			}
		}
		if l := ms.Logging; l != nil {
			level := l.Level
			if level == "" {
				level = "OFF"
			}
			if l.DataTrace && level == "OFF" {
				// Accepted as written, but it logs nothing: say so rather than let the
				// user wait for lines (AWS's dataTraceEnabled needs a logging level too).
				warnings.add(apiv1.ReasonInvalidMethodSetting, fmt.Sprintf("methodSettings %q: logging.dataTrace has no effect at level OFF (the default); set logging.level to INFO or ERROR", key))
			}
			m.Logging = &ir.MethodLogging{Level: level, DataTrace: l.DataTrace}
		}
		out = append(out, m)
	}
	// In the order the proxies rank them (an exact method, then ANY, then "*", then "*/*"),
	// which they apply whatever the order: the order is for people reading the snapshot.
	sort.SliceStable(out, func(i, j int) bool {
		return xdsv1alpha1.Specificity(out[i].Path, out[i].Method) < xdsv1alpha1.Specificity(out[j].Path, out[j].Method)
	})
	return out
}

func apiHasRoute(api *ir.API, path, method string) bool {
	for _, r := range api.Routes {
		if id := cmp.Or(r.Path, r.RouteKey); id != path { // a WEBSOCKET route by its key
			continue
		}
		if method == "*" {
			return true
		}
		for _, m := range r.Methods {
			if m == method || m == string(apiv1.MethodAny) {
				return true
			}
		}
	}
	return false
}

// stageConflict is a Stage's claim that an older one holds: refused, or, for a stage that
// follows its API's latest revision, kept at the revision it served (keep) when that one's
// hostnames do not clash: an edit of the RestApi takes no stage offline.
type stageConflict struct {
	message string
	keep    *Revision
}

// stageConflicts finds Stages that claim a (hostname, stageName) another, older Stage
// already serves. Empty hostnames claim every host.
func (w *world) stageConflicts() map[nsName]stageConflict {
	var all []*apiv1.Stage
	for _, ss := range w.stages {
		all = append(all, ss...)
	}
	sort.Slice(all, func(i, j int) bool { return olderFirst(all[i], all[j]) })
	type claim struct {
		host  string
		stage *apiv1.Stage
	}
	// Claims per stage name, oldest first, so that the stage named in a message is stable.
	claims := map[string][]claim{}
	out := map[nsName]stageConflict{}
	for _, s := range all {
		api := w.restApis[nsName{s.Namespace, s.Spec.RestApiRef.Name}]
		if api == nil || api.Spec.DisableDefaultEndpoint {
			// An API served through its domains only takes no path of the default endpoint
			// (the proxies leave it to any other stage of the name; domains.go maps it).
			continue
		}
		hosts := api.Spec.Hostnames
		if d := s.Spec.Deployment; d != nil {
			// A pinned stage serves its revision's hostnames; a revision not stored yet is
			// the one this compilation makes from the spec.
			if rev := w.revision(s.Namespace, api.Name, d.Revision); rev != nil && rev.API != nil {
				hosts = rev.API.Hostnames
			}
		}
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		name := stageName(s)
		clashing := func(hosts []string) *apiv1.Stage {
			for _, c := range claims[name] {
				// Only the same host claim clashes: an exact hostname is matched before a
				// wildcard, and both before an API that serves every host, as virtual hosts
				// are in Envoy.
				if slices.Contains(hosts, c.host) {
					return c.stage
				}
			}
			return nil
		}
		if clash := clashing(hosts); clash != nil {
			c := stageConflict{message: fmt.Sprintf("Stage %s/%s already serves /%s/ on the same hosts; the older stage keeps it", clash.Namespace, clash.Name, name)}
			if prev := w.revision(s.Namespace, api.Name, s.Status.DeployedRevision); s.Spec.Deployment == nil && prev != nil && prev.API != nil {
				prevHosts := prev.API.Hostnames
				if len(prevHosts) == 0 {
					prevHosts = []string{"*"}
				}
				if clashing(prevHosts) == nil {
					c.keep, hosts = prev, prevHosts
				}
			}
			out[nsName{s.Namespace, s.Name}] = c
			if c.keep == nil {
				continue
			}
		}
		for _, h := range hosts {
			claims[name] = append(claims[name], claim{h, s})
		}
	}
	return out
}
