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

// Package throttle is the request path's rate limiting: usage plan throttles and quotas per
// API key, and stage and method throttles shared by every client, with Amazon API Gateway's
// precedence. A request passes two token buckets, then the quota:
//
//   - per key: the plan's throttle for the route's path and method if it has one (a bucket
//     per key, stage, path and method), else the plan's throttle (one bucket per key for the
//     whole plan: every route of every stage of the plan); only for requests with an
//     accepted API key of a plan of the stage;
//   - shared: the stage's method setting for the path and method if one sets a throttle (a
//     bucket per stage, path and method, even for "*/*"), else the stage's throttle (one
//     bucket for the stage);
//   - the plan's quota for the key (one counter per key for the whole plan, as the plan's
//     throttle), counted last, so that throttled requests never count.
//
// Among the settings or plan throttles that apply, the most specific wins, ranked as the
// cache and the execution logs rank them (xdsv1alpha1.MostSpecific): "/path/METHOD", then
// "/path/ANY" (an ANY route's), then "/path/*", then "*/*".
//
// Buckets and counters live in a limits.Store keyed by stable identity, so a configuration
// change updates limits in place and a reload never refills a bucket or resets a quota.
package throttle

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	"github.com/puzpuzpuz/xsync/v4"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/quota"
)

// Options configure the step.
type Options struct {
	// Store keeps the buckets and counters; shared by every configuration.
	Store limits.Store
	// Now is the clock. When nil, a request's time is when the proxy received it
	// (reqctx.Request.Start), which it read already, else time.Now: a clock read is a tenth
	// of what the throttle costs. Buckets and quota windows see no difference that matters:
	// concurrent requests reach them slightly out of order either way.
	Now func() time.Time
	Log logr.Logger
}

// bucket is a token bucket's identity and parameters.
type bucket struct {
	key   string
	rate  float64
	burst int64
}

// plan is what the step needs of a usage plan for one route.
type plan struct {
	name string
	// buckets by request method; a missing method is not throttled by the plan.
	buckets methodBuckets
	quota   *xdsv1alpha1.Quota
	// windows is the quota's current window, computed once per window.
	windows *quota.WindowCache
}

// keyState is what one API key's requests to one route need, built on its first request so
// that no request concatenates a store key: the key's own buckets (its plan's, with the key
// id appended) and its quota counter's key.
type keyState struct {
	plan    *plan
	buckets methodBuckets
	quota   string
}

func newKeyState(namespace, keyID string, p *plan) *keyState {
	// The quota counts the key across the plan's stages: the plan's namespace, not the stage.
	k := &keyState{plan: p, quota: quota.Key(namespace, p.name, keyID)}
	p.buckets.each(func(m string, b *bucket) {
		// Per key: the key id completes the identity the plan's bucket begins.
		k.buckets.set(m, &bucket{key: b.key + keyID, rate: b.rate, burst: b.burst})
	})
	return k
}

// keyPlans is a stage's map of API key id to the index of its usage plan in the stage's
// snapshot: built once per stage, shared by its routes. With 10,000 keys, one map per route
// cost a hundred routes 90 MB and most of a second per apply.
type keyPlans map[string]int

type keyPlansKey struct{}

func stageKeyPlans(s *xdsv1alpha1.StageSnapshot) keyPlans {
	n := 0
	for _, up := range s.GetUsagePlans() {
		n += len(up.GetKeys())
	}
	out := make(keyPlans, n)
	for i, up := range s.GetUsagePlans() {
		for _, k := range up.GetKeys() {
			out[k.GetId()] = i
		}
	}
	return out
}

// NewStep returns the throttling step. It applies to every route: the stage throttle always
// exists (the compiler defaults it to 10,000 requests per second, burst 5,000).
func NewStep(o Options) proxy.Step {
	return func(rt *proxy.Route, next http.Handler) (http.Handler, error) {
		if rt.Route.GetRouteKey() == proxy.RouteDisconnect {
			// A WebSocket's $disconnect is its backend's notice to forget the connection:
			// never refused, nor counted, as AWS counts $connect and messages only. A
			// refused one would leave the backend posting to a connection that is gone.
			return next, nil
		}
		methods := rt.Route.GetMethods()
		if len(methods) == 0 || slices.Contains(methods, "ANY") {
			methods = allMethods
		}
		// Settings match per request method: a [GET, POST] route may have a POST setting.
		shared := &methodBuckets{}
		for _, m := range methods {
			if b := sharedBucket(rt.Stage, rt.Route, m); b != nil {
				shared.set(m, b)
			}
		}
		// The route's view of each plan, in the stage's order (keyPlans' indexes).
		plans := make([]*plan, len(rt.Stage.GetUsagePlans()))
		for i, up := range rt.Stage.GetUsagePlans() {
			p := &plan{name: up.GetName(), quota: up.GetQuota()}
			if q := up.GetQuota(); q != nil {
				p.windows = quota.NewWindowCache(q.GetPeriod(), q.GetOffset())
			}
			for _, m := range methods {
				if b := planBucket(rt.Stage, up, rt.Route, m); b != nil {
					p.buckets.set(m, b)
				}
			}
			plans[i] = p
		}
		if shared.len() == 0 && len(plans) == 0 {
			return next, nil
		}
		kp, err := rt.Scope.Once(keyPlansKey{}, func() (any, error) { return stageKeyPlans(rt.Stage), nil })
		if err != nil {
			return nil, err
		}
		h := &handler{o: o, next: next, shared: shared, plans: plans, keyPlans: kp.(keyPlans), namespace: rt.Stage.GetNamespace(),
			keys: xsync.NewMap[string, *keyState]()}
		return proxy.Handler(rt, h.serve), nil
	}
}

// sharedBucket is the bucket every client of a stage shares for a route and request method:
// the most specific method setting with a throttle, a bucket per path and method whatever
// the setting's key, as Amazon API Gateway applies "*/*" and "/path/*" to each method they
// cover (its "default method throttling"); else the stage's throttling, one bucket for the
// whole stage.
func sharedBucket(s *xdsv1alpha1.StageSnapshot, r *xdsv1alpha1.Route, method string) *bucket {
	ms := xdsv1alpha1.MostSpecific(s.GetMethodSettings(), r, method, func(ms *xdsv1alpha1.MethodSetting) bool { return ms.GetThrottle() != nil })
	if ms != nil {
		route := r.GetPath()
		if route == "" {
			route = r.GetRouteKey() // a WEBSOCKET route: its own bucket, as AWS's route settings
		}
		return &bucket{
			key:  "stage/" + s.GetKey() + "/" + route + "/" + method,
			rate: ms.GetThrottle().GetRateLimit(), burst: int64(ms.GetThrottle().GetBurstLimit()),
		}
	}
	if t := s.GetThrottle(); t != nil {
		return &bucket{key: "stage/" + s.GetKey(), rate: t.GetRateLimit(), burst: int64(t.GetBurstLimit())}
	}
	return nil
}

// planBucket is a plan's per-key bucket for a route and request method, without the key id
// that newKeyState appends: the most specific of the plan's method throttles for this stage,
// a bucket per path and method as in Amazon API Gateway; else the plan's throttle, one bucket
// per key for the whole plan, shared by its routes and stages, as the UsagePlan's throttle
// is documented ("each key across the plan's stages"). Plans are namespaced, and the plan's
// stages are all in its namespace.
func planBucket(s *xdsv1alpha1.StageSnapshot, up *xdsv1alpha1.UsagePlan, r *xdsv1alpha1.Route, method string) *bucket {
	if mt := xdsv1alpha1.MostSpecific(up.GetMethodThrottles(), r, method, nil); mt != nil {
		t := mt.GetThrottle()
		return &bucket{
			rate: t.GetRateLimit(), burst: int64(t.GetBurstLimit()),
			key: "key/" + s.GetKey() + "/" + up.GetName() + "/" + r.GetPath() + "/" + method + "/",
		}
	}
	if t := up.GetThrottle(); t != nil {
		return &bucket{
			rate: t.GetRateLimit(), burst: int64(t.GetBurstLimit()),
			key: "plan/" + s.GetNamespace() + "/" + up.GetName() + "/",
		}
	}
	return nil
}

type handler struct {
	o         Options
	next      http.Handler
	shared    *methodBuckets
	plans     []*plan
	keyPlans  keyPlans
	namespace string // the stage's, and so its plans'
	// keys holds a *keyState per API key id that has had a request on this route. It grows
	// to the keys in use at most, which the configuration bounds (an id only gets here once
	// the API key step accepted it), and goes with the handler on the next configuration.
	// A typed map: sync.Map hashed and compared the id as an interface on every request.
	keys *xsync.Map[string, *keyState]
}

// keyState returns the state of an API key of one of the route's plans, or nil.
func (h *handler) keyState(keyID string) *keyState {
	if k, ok := h.keys.Load(keyID); ok {
		return k
	}
	i, ok := h.keyPlans[keyID]
	if !ok {
		return nil
	}
	p := h.plans[i]
	k, _ := h.keys.LoadOrStore(keyID, newKeyState(h.namespace, keyID, p))
	return k
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) error {
	rc := reqctx.From(r.Context())
	now := h.now(rc)
	ctx := r.Context()
	var k *keyState
	if rc != nil && rc.APIKeyID != "" {
		k = h.keyState(rc.APIKeyID)
	}
	if k != nil {
		if b := forMethod(&k.buckets, r.Method); b != nil {
			if err := h.take(ctx, w, b, now); err != nil {
				return err
			}
		}
	}
	if b := forMethod(h.shared, r.Method); b != nil {
		if err := h.take(ctx, w, b, now); err != nil {
			return err
		}
	}
	if k != nil && k.plan.quota != nil {
		window, err := k.plan.windows.At(now)
		if err == nil {
			ok, _, err := h.o.Store.Consume(ctx, k.quota, window, k.plan.quota.GetLimit())
			if err != nil {
				h.o.Log.V(1).Info("quota store error; allowing the request", "error", err.Error())
			} else if !ok {
				return gatewayresponse.Refuse(gatewayresponse.QuotaExceeded)
			}
		}
	}
	h.next.ServeHTTP(w, r)
	return nil
}

// now is the time the request counts at.
func (h *handler) now(rc *reqctx.Request) time.Time {
	switch {
	case h.o.Now != nil:
		return h.o.Now()
	case rc != nil && !rc.Start.IsZero():
		return rc.Start
	default:
		return time.Now()
	}
}

// take takes a token from b, refusing with 429 THROTTLED and the exact Retry-After when none
// is left. A store error lets the request through, as Amazon API Gateway does.
func (h *handler) take(ctx context.Context, w http.ResponseWriter, b *bucket, now time.Time) error {
	ok, retry, err := h.o.Store.Take(ctx, b.key, b.rate, b.burst, now)
	if err != nil {
		h.o.Log.V(1).Info("throttle store error; allowing the request", "error", err.Error())
		return nil
	}
	if ok {
		return nil
	}
	// A bucket that never refills (rate 0) has no honest wait: say an hour.
	secs := min(int64(math.Ceil(retry.Seconds())), 3600)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	return gatewayresponse.Refuse(gatewayresponse.Throttled)
}
