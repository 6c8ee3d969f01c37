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

package apikey_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/auth/apikey"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/proxy"
)

// TestAPIKeyInLambdaEvent: the key a request was accepted with reaches a payload 1.0
// function as requestContext.identity.apiKey and apiKeyId, as in AWS.
func TestAPIKeyInLambdaEvent(t *testing.T) {
	const key = "customer-a-key-0123456789abcdefghijk"
	sum := sha256.Sum256([]byte(key))
	got := make(chan []byte, 1)
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		_, _ = io.WriteString(w, `{"statusCode":200,"body":"ok"}`)
	}))
	t.Cleanup(fn.Close)
	api := &xdsv1alpha1.Api{Protocol: "HTTP", Routes: []*xdsv1alpha1.Route{{
		Name: "pets", Path: "/pets", Methods: []string{"GET"},
		Authorization: &xdsv1alpha1.Authorization{ApiKeyRequired: true},
		Integration:   &xdsv1alpha1.Integration{Type: "LAMBDA_PROXY", TimeoutMillis: 29000, Uri: fn.URL, PayloadFormatVersion: "1.0"},
	}}}
	st := &xdsv1alpha1.StageSnapshot{Key: "default/prod", Namespace: "default", StageName: "prod", RestApi: "pets", Api: api,
		UsagePlans: []*xdsv1alpha1.UsagePlan{{Name: "gold", Keys: []*xdsv1alpha1.ApiKey{{Id: "customer-a", Sha256: hex.EncodeToString(sum[:])}}}}}
	p := proxy.New(proxy.Options{AccessLog: io.Discard, Steps: []proxy.Step{apikey.NewStep()}})
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{st.Key: st}}); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/prod/pets", nil)
	r.Header.Set("X-Api-Key", key)
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("%d %q", w.Code, w.Body)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(<-got, &ev); err != nil {
		t.Fatal(err)
	}
	if id := ev.RequestContext.Identity; id.APIKey != key || id.APIKeyID != "customer-a" {
		t.Errorf("identity %+v", id)
	}
}
