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

package websocket

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// A function error is INTEGRATION_FAILURE, whether the invoke API says it in
// X-Amz-Function-Error (its status is 200 then) or only the runtime's error object does; an
// answer is mapped as before.
func TestWriteLambdaAnswerFunctionError(t *testing.T) {
	errorObject := `{"errorMessage":"boom","errorType":"Error","stackTrace":[]}`
	for _, c := range []struct {
		name   string
		header http.Header
		answer string
		want   int
	}{
		{"X-Amz-Function-Error", http.Header{"X-Amz-Function-Error": {"Unhandled"}}, errorObject, http.StatusBadGateway},
		{"X-Amz-Function-Error with a proxy response", http.Header{"X-Amz-Function-Error": {"Handled"}}, `{"statusCode":200}`, http.StatusBadGateway},
		{"error object alone", http.Header{}, errorObject, http.StatusBadGateway},
		{"answer", http.Header{}, `{"statusCode":201,"body":"ok"}`, http.StatusCreated},
		{"no answer", http.Header{}, ``, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := &reqctx.Request{ID: "req-1"}
			w := httptest.NewRecorder()
			writeLambdaAnswer(w, httptest.NewRequest(http.MethodGet, "/live", nil), http.StatusOK, c.header, []byte(c.answer), rc, nil)
			if w.Code != c.want {
				t.Fatalf("status %d, want %d", w.Code, c.want)
			}
			if c.want == http.StatusBadGateway {
				if strings.Contains(w.Body.String(), "boom") {
					t.Errorf("the function's error text reached the client: %s", w.Body)
				}
				if !strings.Contains(rc.Integration.Error, "the function failed") {
					t.Errorf("Integration.Error = %q", rc.Integration.Error)
				}
			}
		})
	}
}

// WebSocket events carry the apiId and accountId the REST events and the authorizers' carry
// (the API's name and namespace), and the authorizer's context values with their JSON types.
func TestLambdaEventAPIAndAuthorizer(t *testing.T) {
	a := reqctx.Authorizer{
		Authorized: true, PrincipalID: "alice",
		Context: map[string]string{"user": "alice", "count": "3", "admin": "true"},
		Values:  map[string]json.RawMessage{"user": json.RawMessage(`"alice"`), "count": json.RawMessage(`3`), "admin": json.RawMessage(`true`)},
	}
	rc := &reqctx.Request{Stage: "live", API: "shop/chat", Host: "h", Authorizer: a}
	for _, typ := range []string{proxy.EventConnect, proxy.EventMessage} {
		ev := &proxy.Event{Type: typ, RouteKey: "$default", ConnectionID: "c", ConnectedAt: time.Unix(1, 0), Authorizer: a}
		b, err := json.Marshal(buildLambdaEvent(ev, rc, httptest.NewRequest(http.MethodGet, "/live", nil), time.Unix(2, 0)))
		if err != nil {
			t.Fatal(err)
		}
		var e events.APIGatewayWebsocketProxyRequest
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		if e.RequestContext.APIID != "chat" || e.RequestContext.AccountID != "shop" {
			t.Errorf("%s: apiId %q accountId %q, want chat and shop", typ, e.RequestContext.APIID, e.RequestContext.AccountID)
		}
		got, _ := e.RequestContext.Authorizer.(map[string]any)
		if got["principalId"] != "alice" || got["user"] != "alice" || got["count"] != float64(3) || got["admin"] != true {
			t.Errorf("%s: authorizer %v, want the context's JSON types", typ, got)
		}
	}
}

// The API key $connect accepted and the mutual TLS certificate of the domain the connection
// came through are in every event's identity, as aws-lambda-go reads them.
func TestLambdaEventIdentity(t *testing.T) {
	cert := &reqctx.ClientCert{SubjectDN: "CN=client", IssuerDN: "CN=ca", SerialNumber: "01"}
	rc := &reqctx.Request{Stage: "live", API: "shop/chat", APIKeyID: "carol", APIKey: "carol-key", ClientCert: cert}
	ev := &proxy.Event{Type: proxy.EventMessage, RouteKey: "$default", ConnectionID: "c", SourceIP: "10.0.0.1"}
	b, err := json.Marshal(buildLambdaEvent(ev, rc, nil, time.Unix(2, 0)))
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayWebsocketProxyRequest
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	id := e.RequestContext.Identity
	if id.APIKey != "carol-key" || id.APIKeyID != "carol" || id.SourceIP != "10.0.0.1" {
		t.Errorf("identity %+v", id)
	}
	var raw struct {
		RequestContext struct {
			Identity struct {
				ClientCert struct{ SubjectDN string } `json:"clientCert"`
			} `json:"identity"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(b, &raw); err != nil || raw.RequestContext.Identity.ClientCert.SubjectDN != "CN=client" {
		t.Errorf("clientCert in %s: %v", b, err)
	}
	// Without a key or a certificate, neither is in the event.
	b, _ = json.Marshal(buildLambdaEvent(ev, &reqctx.Request{Stage: "live", API: "shop/chat"}, nil, time.Unix(2, 0)))
	if strings.Contains(string(b), "apiKey") || strings.Contains(string(b), "clientCert") {
		t.Errorf("an event without a key or a certificate: %s", b)
	}
}

// apiKeySelectionExpression picks the $connect key from a header or the query string and
// leaves the request as the client sent it: no x-api-key header is made up for authorizers
// and events to see, and a client's own x-api-key is not the key when another place is named.
func TestSelectAPIKey(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/q?key=from-query&other=1", nil)
	r.Header.Set("X-Api-Key", "from-x-api-key")
	r.Header.Set("X-Key", "from-x-key")
	for _, c := range []struct {
		expr, want string
		selected   bool
	}{
		{"", "", false},
		{"$context.authorizer.usageIdentifierKey", "", false},
		{"$request.header.x-key", "from-x-key", true},
		{"$request.header.x-missing", "", true},
		{"$request.querystring.key", "from-query", true},
		{"$request.querystring.nokey", "", true},
	} {
		got, selected := selectAPIKey(r, c.expr)
		if got != c.want || selected != c.selected {
			t.Errorf("%q: (%q, %v), want (%q, %v)", c.expr, got, selected, c.want, c.selected)
		}
	}
	if r.Header.Get("X-Api-Key") != "from-x-api-key" || r.Header.Get("X-Key") != "from-x-key" || r.URL.RawQuery != "key=from-query&other=1" {
		t.Errorf("the request changed: %v %q", r.Header, r.URL.RawQuery)
	}
}
