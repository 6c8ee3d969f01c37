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
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

func TestAllowSetsTheAuthorizerContext(t *testing.T) {
	ans := policyAnswer("Allow", arnPrefix+"GET/pets/*")
	ans["usageIdentifierKey"] = "key-of-customer-a"
	a := newAuthz(t, answerJSON(ans))
	e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 0)), Options{})

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "Bearer abc"), http.StatusOK, "")
	got := e.authorizer()
	if !got.Authorized || got.PrincipalID != "user-1" || got.UsageIdentifierKey != "key-of-customer-a" {
		t.Fatalf("authorizer context %+v", got)
	}
	want := map[string]string{"tier": "gold", "count": "3", "admin": "false"}
	for k, v := range want {
		if got.Context[k] != v {
			t.Errorf("context %s = %q, want %q", k, got.Context[k], v)
		}
	}
	ev := a.Last()
	if ev["type"] != "TOKEN" || ev["authorizationToken"] != "Bearer abc" || ev["methodArn"] != arnPrefix+"GET/pets/7" {
		t.Fatalf("event %v", ev)
	}
}

// Access logs' $context.authorizer.status, .error and .latency say what the authorizer
// came to, allowed or not.
func TestAuthorizerOutcomeForAccessLogs(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", arnPrefix+"GET/pets/*")))
	e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 0)), Options{})
	for _, tc := range []struct {
		method, auth, status, errText string
	}{
		{"GET", "Bearer abc", "200", ""},
		{"POST", "Bearer abc", "403", "User is not authorized to access this resource"},
		{"GET", "", "401", "Unauthorized"},
	} {
		e.do(tc.method, "/pets/7", "Authorization", tc.auth)
		e.mu.Lock()
		az := e.lastRC.Authorizer
		e.mu.Unlock()
		if az.LogValue("status") != tc.status || !strings.HasPrefix(az.LogValue("error"), tc.errText) || az.LogValue("latency") == "" {
			t.Errorf("%s %q: status %q, error %q, latency %q", tc.method, tc.auth, az.LogValue("status"), az.LogValue("error"), az.LogValue("latency"))
		}
	}
}

func TestExplicitDenyWinsOverAllow(t *testing.T) {
	ans := policyAnswer("Allow", "*")
	doc := ans["policyDocument"].(map[string]any)
	doc["Statement"] = append(doc["Statement"].([]any),
		map[string]any{"Action": []string{"execute-api:Invoke"}, "Effect": "Deny", "Resource": []string{arnPrefix + "*/pets/7"}})
	a := newAuthz(t, answerJSON(ans))
	e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 0)), Options{})

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusForbidden, "ACCESS_DENIED")
	expectStatus(t, e.do("GET", "/pets/8", "Authorization", "t"), http.StatusOK, "")
	if e.reached.Load() != 1 {
		t.Fatalf("next reached %d times, want 1", e.reached.Load())
	}
}

func TestNoAllowIsDenied(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", arnPrefix+"POST/*")))
	e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 0)), Options{})
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusForbidden, "ACCESS_DENIED")
}

func TestCacheHitWithinTheTTLAndExpiryAfterIt(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", arnPrefix+"GET/pets/*")))
	e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 300)), Options{})

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	e.clock.Add(299 * time.Second)
	expectStatus(t, e.do("GET", "/pets/8", "Authorization", "t"), http.StatusOK, "")
	expectCalls(t, a, 1)
	if e.authorizer().PrincipalID != "user-1" {
		t.Fatalf("a cached decision lost its principal: %+v", e.authorizer())
	}

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "other"), http.StatusOK, "")
	expectCalls(t, a, 2) // another token is another entry

	e.clock.Add(time.Second)
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	expectCalls(t, a, 3)
}

func TestCachedPolicyIsEvaluatedAgainstEachMethodArn(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", arnPrefix+"GET/pets/*")))
	e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 300)), Options{})

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	expectStatus(t, e.do("DELETE", "/pets/7", "Authorization", "t"), http.StatusForbidden, "ACCESS_DENIED")
	expectCalls(t, a, 1)
}

func TestAReloadKeepsTheCache(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", "*")))
	clock := newClock()
	step := NewStep(Options{Now: clock.Now})
	e := &env{t: t, clock: clock}
	e.build(step, routeFor(tokenAuthorizer(a.URL, 60)))
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	e.build(step, routeFor(tokenAuthorizer(a.URL, 60))) // a new configuration
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	expectCalls(t, a, 1)
}

func TestMissingIdentitySourceAnswers401WithoutACall(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", "*")))
	e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 0)), Options{})
	expectStatus(t, e.do("GET", "/pets/7"), http.StatusUnauthorized, "UNAUTHORIZED")
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", ""), http.StatusUnauthorized, "UNAUTHORIZED")

	az := tokenAuthorizer(a.URL, 0)
	az.Type = "REQUEST"
	az.IdentitySources = []string{"$request.header.X-Tenant", "$request.querystring.key", "$stageVariables.env", "$context.identity.sourceIp"}
	r := newEnv(t, routeFor(az), Options{})
	expectStatus(t, r.do("GET", "/pets/7?other=1", "x-tenant", "a"), http.StatusUnauthorized, "UNAUTHORIZED")
	expectStatus(t, r.do("GET", "/pets/7?key=k"), http.StatusUnauthorized, "UNAUTHORIZED")
	expectCalls(t, a, 0)
	expectStatus(t, r.do("GET", "/pets/7?key=k", "x-tenant", "a"), http.StatusOK, "")
	expectCalls(t, a, 1)
}

func TestIdentityValidationExpression(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", "*")))
	az := tokenAuthorizer(a.URL, 0)
	az.IdentityValidationExpression = `Bearer [-0-9a-zA-Z._]+`
	e := newEnv(t, routeFor(az), Options{})

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "Basic dXNlcg=="), http.StatusUnauthorized, "UNAUTHORIZED")
	// The expression must match the whole token, not a part of it.
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "x Bearer abc"), http.StatusUnauthorized, "UNAUTHORIZED")
	expectCalls(t, a, 0)
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "Bearer abc.def"), http.StatusOK, "")
	expectCalls(t, a, 1)

	az.IdentityValidationExpression = `Bearer (`
	if _, err := NewStep(Options{})(routeFor(az), http.NotFoundHandler()); err == nil {
		t.Fatal("an invalid identityValidationExpression built")
	}
}

func TestUnauthorizedAnswers(t *testing.T) {
	for name, answer := range map[string]func(http.ResponseWriter, *http.Request, map[string]any){
		"status 401": func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
			w.WriteHeader(http.StatusUnauthorized)
		},
		"plain text": func(w http.ResponseWriter, _ *http.Request, _ map[string]any) { _, _ = w.Write([]byte("Unauthorized")) },
		"JSON string": func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
			_, _ = w.Write([]byte(`"Unauthorized"`))
		},
		"Lambda error": func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"errorMessage":"Unauthorized","errorType":"Error"}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAuthz(t, answer)
			e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 300)), Options{})
			expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusUnauthorized, "UNAUTHORIZED")
			expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusUnauthorized, "UNAUTHORIZED")
			expectCalls(t, a, 2) // refusals are not cached
		})
	}
}

func TestFailuresAnswer500(t *testing.T) {
	for name, answer := range map[string]func(http.ResponseWriter, *http.Request, map[string]any){
		"error status": func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
			http.Error(w, "boom", http.StatusInternalServerError)
		},
		"bad JSON": func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
			_, _ = w.Write([]byte(`{"principalId":`))
		},
		"no policy":      answerJSON(map[string]any{"principalId": "u"}),
		"bad effect":     answerJSON(policyAnswer("Maybe", "*")),
		"object context": answerJSON(map[string]any{"policyDocument": map[string]any{}, "context": map[string]any{"x": map[string]any{}}}),
		"timeout": func(_ http.ResponseWriter, r *http.Request, _ map[string]any) {
			<-r.Context().Done() // blocks until the proxy gives up
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAuthz(t, answer)
			az := tokenAuthorizer(a.URL, 300)
			// Long enough for the call to reach the function on a loaded machine (50 ms was
			// not, so the function saw one call of two); only "timeout" waits it out.
			az.Function.TimeoutMillis = 500
			e := newEnv(t, routeFor(az), Options{})
			expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusInternalServerError, "AUTHORIZER_FAILURE")
			expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusInternalServerError, "AUTHORIZER_FAILURE")
			expectCalls(t, a, 2) // failures are not cached
		})
	}
}

func TestPayload2SimpleResponses(t *testing.T) {
	var denied atomic.Bool
	a := newAuthz(t, func(w http.ResponseWriter, r *http.Request, ev map[string]any) {
		answerJSON(map[string]any{"isAuthorized": !denied.Load(), "context": map[string]any{"user": "ann", "n": 1.5}})(w, r, ev)
	})
	az := &xdsv1alpha1.Authorizer{
		Name: "authz", Type: "REQUEST", IdentitySources: []string{"$request.header.Authorization", "$context.httpMethod"},
		ResultTtlSeconds: 300,
		Function:         &xdsv1alpha1.AuthorizerFunction{Uri: a.URL, PayloadFormatVersion: "2.0", EnableSimpleResponses: true},
	}
	e := newEnv(t, routeFor(az), Options{})
	expectStatus(t, e.do("GET", "/pets/7?lang=en&lang=fr", "Authorization", "t", "Cookie", "a=1; b=2"), http.StatusOK, "")
	if got := e.authorizer(); !got.Authorized || got.Context["user"] != "ann" || got.Context["n"] != "1.5" {
		t.Fatalf("authorizer context %+v", got)
	}
	ev := a.Last()
	if ev["version"] != "2.0" || ev["type"] != "REQUEST" || ev["routeArn"] != arnPrefix+"GET/pets/7" ||
		ev["routeKey"] != "GET /pets/{petId}" || ev["rawPath"] != "/prod/pets/7" || ev["rawQueryString"] != "lang=en&lang=fr" {
		t.Fatalf("event %v", ev)
	}
	if ids := ev["identitySource"].([]any); len(ids) != 2 || ids[0] != "t" || ids[1] != "GET" {
		t.Fatalf("identitySource %v", ids)
	}
	if qs := ev["queryStringParameters"].(map[string]any); qs["lang"] != "en,fr" {
		t.Fatalf("queryStringParameters %v", qs)
	}
	if c := ev["cookies"].([]any); len(c) != 2 || c[1] != "b=2" {
		t.Fatalf("cookies %v", c)
	}
	rctx := ev["requestContext"].(map[string]any)
	if h := rctx["http"].(map[string]any); h["method"] != "GET" || h["sourceIp"] != "10.1.2.3" || h["path"] != "/prod/pets/7" {
		t.Fatalf("requestContext.http %v", h)
	}

	// isAuthorized false is a denial; the method is an identity source, so a POST calls again.
	denied.Store(true)
	w := e.do("POST", "/pets/7", "Authorization", "t")
	expectStatus(t, w, http.StatusForbidden, "ACCESS_DENIED")
	if w.Body.String() != `{"message":"Forbidden"}` { // as AWS's HTTP APIs answer it
		t.Errorf("a simple denial's body %s", w.Body)
	}
	expectCalls(t, a, 2)
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "") // still cached
	expectCalls(t, a, 2)
}

func TestRequestEvent1(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", "*")))
	az := tokenAuthorizer(a.URL, 0)
	az.Type = "REQUEST"
	az.IdentitySources = []string{"$request.querystring.id"} // repeated, it would be refused
	e := newEnv(t, routeFor(az), Options{})
	expectStatus(t, e.do("GET", "/pets/7?key=a&key=b&id=1", "X-Trace", "1", "X-Trace", "2"), http.StatusOK, "")
	ev := a.Last()
	if ev["type"] != "REQUEST" || ev["methodArn"] != arnPrefix+"GET/pets/7" || ev["resource"] != "/pets/{petId}" ||
		ev["path"] != "/pets/7" || ev["httpMethod"] != "GET" {
		t.Fatalf("event %v", ev)
	}
	if h := ev["headers"].(map[string]any); h["X-Trace"] != "2" || h["Host"] != "pets.example.com" {
		t.Fatalf("headers %v", h)
	}
	if h := ev["multiValueHeaders"].(map[string]any); len(h["X-Trace"].([]any)) != 2 {
		t.Fatalf("multiValueHeaders %v", h)
	}
	if q := ev["queryStringParameters"].(map[string]any); q["key"] != "b" {
		t.Fatalf("queryStringParameters %v", q)
	}
	if q := ev["multiValueQueryStringParameters"].(map[string]any); len(q["key"].([]any)) != 2 {
		t.Fatalf("multiValueQueryStringParameters %v", q)
	}
	if sv := ev["stageVariables"].(map[string]any); sv["env"] != "test" {
		t.Fatalf("stageVariables %v", sv)
	}
	rctx := ev["requestContext"].(map[string]any)
	id := rctx["identity"].(map[string]any)
	if rctx["accountId"] != "shop" || rctx["apiId"] != "pets" || rctx["stage"] != "prod" || rctx["resourceId"] != "pet" ||
		rctx["resourcePath"] != "/pets/{petId}" || rctx["httpMethod"] != "GET" || !strings.HasPrefix(rctx["requestId"].(string), "req-") ||
		id["sourceIp"] != "10.1.2.3" {
		t.Fatalf("requestContext %v", rctx)
	}
}

func TestBackendClusterForm(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", "*")))
	az := tokenAuthorizer("", 0)
	az.Function.Backend = &xdsv1alpha1.Backend{Cluster: "auth/authz:8080"}
	rt := routeFor(az)
	rt.Clusters = clusterOf(t, "auth/authz:8080", a.Listener.Addr().String())
	e := newEnv(t, rt, Options{})
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	expectCalls(t, a, 1)

	// An endpoint that cannot be reached is skipped, and the call goes to another.
	rt.Clusters = clusterOf(t, "auth/authz:8080", deadAddr(t), a.Listener.Addr().String())
	e = newEnv(t, rt, Options{})
	for range 3 {
		expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	}
	expectCalls(t, a, 4)

	// A cluster that does not exist (yet) fails requests, not the configuration.
	az.Function.Backend.Cluster = "auth/missing:8080"
	e = newEnv(t, rt, Options{})
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusInternalServerError, "AUTHORIZER_FAILURE")
}

func TestWhichRoutesTheStepGuards(t *testing.T) {
	next := http.NotFoundHandler()
	step := NewStep(Options{})
	jwt := &xdsv1alpha1.Authorizer{Name: "jwt", Type: "JWT"}
	for name, rt := range map[string]func() (*xdsv1alpha1.Authorizer, string){
		"no authorizer": func() (*xdsv1alpha1.Authorizer, string) { return jwt, "" },
		"JWT":           func() (*xdsv1alpha1.Authorizer, string) { return jwt, "jwt" },
	} {
		az, ref := rt()
		r := routeFor(az)
		r.Route.Authorization.Authorizer = ref
		h, err := step(r, next)
		if err != nil || h == nil {
			t.Fatalf("%s: %v", name, err)
		}
		if reflect.ValueOf(h).Pointer() != reflect.ValueOf(next).Pointer() {
			t.Fatalf("%s: the step guards a route it should leave alone", name)
		}
	}
	r := routeFor(jwt)
	r.Route.Authorization.Authorizer = "gone"
	if _, err := step(r, next); err == nil {
		t.Fatal("a route naming a missing authorizer built")
	}
	for name, mutate := range map[string]func(*xdsv1alpha1.Authorizer){
		"no function": func(az *xdsv1alpha1.Authorizer) { az.Function = nil },
		"bad version": func(az *xdsv1alpha1.Authorizer) { az.Function.PayloadFormatVersion = "3.0" },
		"bad uri":     func(az *xdsv1alpha1.Authorizer) { az.Function.Uri = "ftp://x" },
		"two tokens":  func(az *xdsv1alpha1.Authorizer) { az.IdentitySources = append(az.IdentitySources, "$request.header.X") },
		"unknown context": func(az *xdsv1alpha1.Authorizer) {
			az.Type, az.IdentitySources = "REQUEST", []string{"$context.authorizer.x"}
		},
	} {
		az := tokenAuthorizer("http://authz.local/", 0)
		mutate(az)
		if _, err := step(routeFor(az), next); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

// TestInvalidateCacheDecision checks that the step records, for the cache step, whether the
// policy grants execute-api:InvalidateCache on each request's own methodArn, a cached
// decision included.
func TestInvalidateCacheDecision(t *testing.T) {
	ans := policyAnswer("Allow", arnPrefix+"GET/pets/*")
	doc := ans["policyDocument"].(map[string]any)
	doc["Statement"] = append(doc["Statement"].([]any),
		map[string]any{"Action": "execute-api:InvalidateCache", "Effect": "Allow", "Resource": arnPrefix + "GET/pets/7"})
	a := newAuthz(t, answerJSON(ans))
	e := newEnv(t, routeFor(tokenAuthorizer(a.URL, 300)), Options{})

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	if !e.authorizer().InvalidateCache {
		t.Fatal("a policy granting InvalidateCache on the method's ARN was not recorded")
	}
	expectStatus(t, e.do("GET", "/pets/8", "Authorization", "t"), http.StatusOK, "")
	if e.authorizer().InvalidateCache {
		t.Fatal("InvalidateCache on pets/7 let pets/8 invalidate")
	}
	expectCalls(t, a, 1)

	b := newAuthz(t, answerJSON(policyAnswer("Allow", "*")))
	e = newEnv(t, routeFor(tokenAuthorizer(b.URL, 0)), Options{})
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	if e.authorizer().InvalidateCache {
		t.Fatal("execute-api:Invoke alone let the caller invalidate")
	}
}

// The time the function took to decide is the request's authorizer latency (1.0 events'
// requestContext.authorizer.integrationLatency); a decision from the cache takes none.
func TestAuthorizerLatency(t *testing.T) {
	var e *env
	a := newAuthz(t, func(w http.ResponseWriter, r *http.Request, ev map[string]any) {
		e.clock.Add(42 * time.Millisecond) // the function thinks
		answerJSON(policyAnswer("Allow", "*"))(w, r, ev)
	})
	e = newEnv(t, routeFor(tokenAuthorizer(a.URL, 300)), Options{})
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	if got := e.authorizer().Latency; got != 42*time.Millisecond {
		t.Errorf("latency %v, want 42ms", got)
	}
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	if got := e.authorizer().Latency; got != 0 {
		t.Errorf("a cached decision's latency %v, want 0", got)
	}
}

// A stage whose variables make no function address fails the authorizer's calls (500,
// AUTHORIZER_FAILURE: the operator's value), not the stage; a value that would climb out of
// the path is refused as for integrations.
func TestFunctionURIStageVariables(t *testing.T) {
	for _, uri := range []string{"http://${stageVariables.missing}/auth", "http://127.0.0.1:1/p/${stageVariables.env}"} {
		rt := routeFor(tokenAuthorizer(uri, 0))
		if strings.Contains(uri, "/p/") {
			rt.Variables = map[string]string{"env": "../../x"}
		}
		e := newEnv(t, rt, Options{})
		expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusInternalServerError, "AUTHORIZER_FAILURE")
	}
}
