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

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"

	"github.com/portico-dev/portico/dataplane/limits"
)

// connectAuthManifests are two WEBSOCKET APIs whose $connect is behind a JWT authorizer
// (stage /jwt) and a TOKEN function authorizer (stage /token); both answer "whoami" with the
// connection's principal through fn.
func connectAuthManifests(jwksURL, tokenURL, fn string) string {
	api := func(name, authorizer string) string {
		return fmt.Sprintf(`
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: %[1]s}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Authorizer
metadata: {name: %[1]s-auth}
spec: %[2]s
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: %[1]s-connect}
spec: {restApiRef: {name: %[1]s}, routeKey: $connect, authorization: {authorizerRef: {name: %[1]s-auth}}, integration: {type: MOCK, mock: {statusCode: 200}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: %[1]s-whoami}
spec: {restApiRef: {name: %[1]s}, routeKey: whoami, routeResponseSelectionExpression: $default, integration: {type: LAMBDA_PROXY, uri: "%[3]s"}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: %[1]s}
spec: {restApiRef: {name: %[1]s}}
---
`, name, authorizer, fn)
	}
	return api("jwt", fmt.Sprintf(`{type: JWT, jwt: {issuer: "https://idp.test/", audiences: [chat], jwksUri: "%s"}}`, jwksURL)) +
		api("token", fmt.Sprintf(`{type: TOKEN, identitySources: ["$request.header.X-Token"], resultTtlSeconds: 0, function: {uri: "%s"}}`, tokenURL))
}

// tokenAuthorizer is a TOKEN function authorizer as AWS's blueprint writes one: "allow" is
// allowed as bob, "deny" gets a Deny policy, anything else is Unauthorized. It records the
// methodArns it was asked about.
func tokenAuthorizer(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var arns []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct{ Type, AuthorizationToken, MethodArn string }
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		arns = append(arns, ev.MethodArn)
		mu.Unlock()
		effect := "Allow"
		switch ev.AuthorizationToken {
		case "allow":
		case "deny":
			effect = "Deny"
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Unauthorized"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"principalId": "bob",
			"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Action": "execute-api:Invoke", "Effect": effect, "Resource": ev.MethodArn},
			}},
		})
	}))
	t.Cleanup(s.Close)
	return s, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), arns...) }
}

// TestWebSocketConnectAuthorizers: $connect behind a JWT authorizer and a TOKEN function
// authorizer, their identity sources read from the upgrade request. A refusal refuses the
// upgrade with Amazon API Gateway's status, as the HTTP path answers: 401 without a
// credential or with one that is invalid (expired, wrong audience, the function's
// Unauthorized), 403 on a Deny policy. An allowed connection carries its principal to every
// later event.
func TestWebSocketConnectAuthorizers(t *testing.T) {
	idp := newIssuer(t)
	token, arns := tokenAuthorizer(t)
	fn := chatFunction(t)
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(connectAuthManifests(idp.url, token.URL, fn.srv.URL))
	g.programmed("default/jwt")
	g.programmed("default/token")
	wp := startWSProxy(t, g, nil)
	eventually(t, "the ws proxy serves both stages", func() bool {
		return wp.proxy.WebSocketStage("default/jwt", "stable") != nil && wp.proxy.WebSocketStage("default/token", "stable") != nil
	})
	whoami := func(c *websocket.Conn) string {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"whoami"}`)); err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(readMessage(t, c))
		if len(f) != 2 {
			t.Fatalf("whoami answered %q", f)
		}
		return f[1]
	}

	exp := time.Now().Add(time.Hour).Unix()
	good := idp.sign(map[string]any{"iss": "https://idp.test/", "aud": "chat", "sub": "alice", "exp": exp})
	wrongAud := idp.sign(map[string]any{"iss": "https://idp.test/", "aud": "other", "sub": "eve", "exp": exp})
	expired := idp.sign(map[string]any{"iss": "https://idp.test/", "aud": "chat", "sub": "old", "exp": time.Now().Add(-time.Hour).Unix()})
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong audience", "Bearer " + wrongAud, http.StatusUnauthorized},
		{"expired", "Bearer " + expired, http.StatusUnauthorized},
		{"garbage", "Bearer not.a.jwt", http.StatusUnauthorized},
	} {
		h := http.Header{}
		if tc.auth != "" {
			h.Set("Authorization", tc.auth)
		}
		if _, status := wp.dial(t, "/jwt", h); status != tc.status {
			t.Errorf("JWT %s: upgrade answered %d, want %d", tc.name, status, tc.status)
		}
	}
	c, status := wp.dial(t, "/jwt", http.Header{"Authorization": {"Bearer " + good}})
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("JWT good token: %d", status)
	}
	if who := whoami(c); who != "alice" {
		t.Errorf("JWT principal on a later message = %q, want alice (the token's sub)", who)
	}

	// TOKEN: the X-Token header of the upgrade request is the token.
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"unauthorized", "nope", http.StatusUnauthorized},
		{"deny policy", "deny", http.StatusForbidden},
	} {
		h := http.Header{}
		if tc.token != "" {
			h.Set("X-Token", tc.token)
		}
		if _, status := wp.dial(t, "/token", h); status != tc.status {
			t.Errorf("TOKEN %s: upgrade answered %d, want %d", tc.name, status, tc.status)
		}
	}
	c, status = wp.dial(t, "/token", http.Header{"X-Token": {"allow"}})
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("TOKEN allowed: %d", status)
	}
	if who := whoami(c); who != "bob" {
		t.Errorf("TOKEN principal on a later message = %q, want bob", who)
	}
	// AWS's WebSocket methodArn ends with the route key, not a method and path.
	want := "arn:aws:execute-api:eu-west-1:default:token/token/$connect"
	for _, arn := range arns() {
		if arn != want {
			t.Errorf("methodArn = %q, want %q", arn, want)
		}
	}
	if n := len(fn.find("MESSAGE", "")); n != 2 {
		t.Errorf("%d MESSAGE events reached the function, want 2 (refused connections send none)", n)
	}
}

// keyedManifests are two WEBSOCKET APIs whose $connect needs an API key: /q reads it from
// the query string (apiKeySelectionExpression: $request.querystring.key), /h from the
// x-api-key header. Stage q has a usage plan: 1 request/s with a burst of 2 per key, and 6
// requests a day.
const keyedManifests = `
apiVersion: v1
kind: Secret
type: apigateway.portico.dev/api-key
metadata: {name: carol}
stringData: {key: "carol-key-0123456789012345678901234"}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: q}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action, apiKeySelectionExpression: $request.querystring.key}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: q-connect}
spec: {restApiRef: {name: q}, routeKey: $connect, authorization: {apiKeyRequired: true}, integration: {type: MOCK, mock: {statusCode: 200}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: q-default}
spec: {restApiRef: {name: q}, routeKey: $default, routeResponseSelectionExpression: $default, integration: {type: MOCK, mock: {body: ok}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: q-disconnect}
spec: {restApiRef: {name: q}, routeKey: $disconnect, integration: {type: MOCK, mock: {statusCode: 200}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: q}
spec: {restApiRef: {name: q}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: UsagePlan
metadata: {name: chatty}
spec:
  apiStages: [{restApiRef: {name: q}, stage: q}, {restApiRef: {name: h}, stage: h}]
  throttle: {rateLimit: 1, burstLimit: 2}
  quota: {limit: 7, period: DAY}
  apiKeys: [{name: carol}]
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: h}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action, apiKeySelectionExpression: $request.header.x-api-key}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: h-connect}
spec: {restApiRef: {name: h}, routeKey: $connect, authorization: {apiKeyRequired: true}, integration: {type: MOCK, mock: {statusCode: 200}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: h}
spec: {restApiRef: {name: h}}
`

const carolKey = "carol-key-0123456789012345678901234"

// TestWebSocketAPIKeysAndUsagePlans: $connect reads the API key where
// apiKeySelectionExpression says (header or query string); the usage plan's throttle and
// quota count $connect and every message, exactly, on an injected clock. A throttled or
// over-quota message gets AWS's error message on the connection, which stays open; a
// $connect over the quota is refused with 429.
func TestWebSocketAPIKeysAndUsagePlans(t *testing.T) {
	clk := newClock(time.Date(2028, 3, 1, 10, 0, 0, 0, time.UTC))
	store := limits.NewMemory(limits.MemoryOptions{Now: clk.Now})
	steps := pipelineOpts()
	steps.Now, steps.Store = clk.Now, store
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(keyedManifests)
	g.programmed("default/q")
	g.programmed("default/h")
	wp := startWSProxyWith(t, g, wsProxyOptions{steps: steps})
	eventually(t, "the ws proxy serves both stages", func() bool {
		return wp.proxy.WebSocketStage("default/q", "stable") != nil && wp.proxy.WebSocketStage("default/h", "stable") != nil
	})

	// The header form: x-api-key, and nothing else.
	if _, status := wp.dial(t, "/h", nil); status != http.StatusForbidden {
		t.Errorf("/h without a key: %d, want 403", status)
	}
	if _, status := wp.dial(t, "/h", http.Header{"X-Api-Key": {"not-a-key-0123456789012345"}}); status != http.StatusForbidden {
		t.Errorf("/h with an unknown key: %d, want 403", status)
	}
	// Stage h counts in the same plan: its $connect takes a token of the key's bucket, which
	// the plan's stages share (it refills before stage q's turn), and one of the key's quota,
	// which they share too.
	h, status := wp.dial(t, "/h", http.Header{"X-Api-Key": {carolKey}})
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("/h with carol's key: %d", status)
	}
	_ = h.Close()
	clk.Add(2 * time.Second)

	// The query string form: the x-api-key header is not the key for this API.
	if _, status := wp.dial(t, "/q", http.Header{"X-Api-Key": {carolKey}}); status != http.StatusForbidden {
		t.Errorf("/q with the key in the header only: %d, want 403", status)
	}
	c, status := wp.dial(t, "/q?key="+carolKey, nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("/q with the key in the query string: %d", status)
	}
	// Quota used: 2 (both $connects), the token back a second later. Messages: two pass on
	// the burst, the third is throttled.
	clk.Add(time.Second)
	send := func(want string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"x"}`)); err != nil {
			t.Fatal(err)
		}
		got := readMessage(t, c)
		if want == "ok" {
			if got != "ok" {
				t.Fatalf("message answered %q, want ok", got)
			}
			return
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(got), &m); err != nil || m["message"] != want || m["connectionId"] == "" || m["requestId"] == "" {
			t.Fatalf("message answered %q, want {\"message\": %q, connectionId, requestId}", got, want)
		}
	}
	send("ok")
	send("ok")
	send("Too Many Requests")
	// One token a second; the throttled message did not count against the quota.
	for range 3 {
		clk.Add(time.Second)
		send("ok")
	}
	// 2 connects + 5 messages = 7: the quota is spent; the connection stays open.
	clk.Add(time.Second)
	send("Limit Exceeded")
	clk.Add(time.Second)
	send("Limit Exceeded")
	// A new connection with the key is refused: its $connect counts too.
	if _, status := wp.dial(t, "/q?key="+carolKey, nil); status != http.StatusTooManyRequests {
		t.Errorf("$connect over the quota: %d, want 429", status)
	}
	// The next UTC day the quota starts afresh, on the open connection too.
	clk.Add(24 * time.Hour)
	send("ok")
	// $disconnect is neither throttled nor counted: with the key's bucket empty, the
	// backend still hears of the connection's end.
	send("ok")
	send("Too Many Requests")
	_ = c.Close()
	eventually(t, "$disconnect runs with the bucket empty", func() bool {
		return strings.Count(wp.log.String(), "DISCONNECT $disconnect ") == 2 // h's, then this one
	})
	if l := wp.log.String(); regexp.MustCompile(`DISCONNECT \$disconnect \S+ [^2]`).MatchString(l) {
		t.Errorf("$disconnect with the bucket empty was refused:\n%s", l)
	}

	// The refusals are written to the access log with their status.
	eventually(t, "throttled and over-quota messages are logged", func() bool {
		l := wp.log.String()
		return strings.Contains(l, "MESSAGE $default") && strings.Count(l, " 429\n") >= 4
	})
}

// counter returns the value of the counter or gauge name whose labels include want.
func counter(t *testing.T, wp *wsProxy, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := wp.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabels(m, want) {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

// connectlessManifests: a WEBSOCKET API without a $connect route, on a stage that admits
// one request and then one every 100 seconds.
const connectlessManifests = `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: c}
spec: {protocol: WEBSOCKET, routeSelectionExpression: $request.body.action}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: c-default}
spec: {restApiRef: {name: c}, routeKey: $default, routeResponseSelectionExpression: $default, integration: {type: MOCK, mock: {body: ok}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: c}
spec: {restApiRef: {name: c}, throttling: {rateLimit: 0.01, burstLimit: 1}}
`

// TestWebSocketConnectThrottledWithoutRoute: a connection takes a token of the stage's
// throttle whether or not the API has a $connect route, as AWS counts $connect.
func TestWebSocketConnectThrottledWithoutRoute(t *testing.T) {
	clk := newClock(time.Date(2028, 3, 1, 10, 0, 0, 0, time.UTC))
	steps := pipelineOpts()
	steps.Now, steps.Store = clk.Now, limits.NewMemory(limits.MemoryOptions{Now: clk.Now})
	g := startGatewayWith(t, nil, pipelineOpts())
	g.deploy(connectlessManifests)
	g.programmed("default/c")
	wp := startWSProxyWith(t, g, wsProxyOptions{steps: steps})
	eventually(t, "the ws proxy serves the stage", func() bool { return wp.proxy.WebSocketStage("default/c", "stable") != nil })
	c, status := wp.dial(t, "/c", nil)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("first connect: %d", status)
	}
	defer c.Close()
	if _, status := wp.dial(t, "/c", nil); status != http.StatusTooManyRequests {
		t.Errorf("second connect with the bucket empty: %d, want 429", status)
	}
	clk.Add(100 * time.Second)
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if got := readMessage(t, c); got != "ok" {
		t.Errorf("message after the refill: %q", got)
	}
}
