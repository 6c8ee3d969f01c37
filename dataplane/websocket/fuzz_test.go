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
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

func TestSelectRouteKey(t *testing.T) {
	for _, c := range []struct{ expr, body, want string }{
		{"$request.body.action", `{"action":"send"}`, "send"},
		{"$request.body.a.b", `{"a":{"b":"deep"}}`, "deep"},
		{"$request.body.a.b", `{"a":"flat"}`, ""},
		{"$request.body.n", `{"n": 12}`, "12"},
		{"$request.body.ok", `{"ok": true}`, "true"},
		{"$request.body.action", `not json`, ""},
		{"$request.body.action", `["action"]`, ""},
		{"$request.body.action", `{"action": {"x":1}}`, ""},
		{"$request.body.", `{"": "x"}`, ""},
	} {
		if got := selectRouteKey(c.expr, []byte(c.body)); got != c.want {
			t.Errorf("selectRouteKey(%q, %s) = %q, want %q", c.expr, c.body, got, c.want)
		}
	}
}

// FuzzSelectRouteKey: any message and expression select a key without panicking, and a
// message that is not a JSON object selects none.
func FuzzSelectRouteKey(f *testing.F) {
	f.Add("$request.body.action", []byte(`{"action":"send"}`))
	f.Add("$request.body.a.b.c", []byte(`{"a":{"b":{"c":1e400}}}`))
	f.Add("$request.body..", []byte("{"))
	f.Fuzz(func(t *testing.T, expr string, body []byte) {
		key := selectRouteKey(expr, body)
		if key != "" && !json.Valid(body) {
			t.Fatalf("a key %q from a body that is not JSON", key)
		}
	})
}

// FuzzLambdaEvent: any message becomes an event that aws-lambda-go decodes, with the body
// intact (base64 when it is not UTF-8).
func FuzzLambdaEvent(f *testing.F) {
	f.Add([]byte("hello"), false)
	f.Add([]byte{0xff, 0x00}, true)
	f.Fuzz(func(t *testing.T, body []byte, binary bool) {
		ev := &proxy.Event{Type: proxy.EventMessage, RouteKey: "$default", ConnectionID: "c", ConnectedAt: time.Unix(1, 0), Body: body, Binary: binary, MessageID: "m"}
		rc := &reqctx.Request{Stage: "live", API: "ns/chat", Host: "h"}
		b, err := json.Marshal(buildLambdaEvent(ev, rc, nil, time.Unix(2, 0)))
		if err != nil {
			t.Fatal(err)
		}
		var e events.APIGatewayWebsocketProxyRequest
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		got := []byte(e.Body)
		if e.IsBase64Encoded {
			got = decodeB64(t, e.Body)
		}
		if string(got) != string(body) {
			t.Fatalf("body %q came back as %q", body, got)
		}
		if e.RequestContext.EventType != "MESSAGE" || e.RequestContext.ConnectionID != "c" || e.RequestContext.ConnectedAt != 1000 {
			t.Fatalf("requestContext %+v", e.RequestContext)
		}
	})
}

func decodeB64(t *testing.T, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
