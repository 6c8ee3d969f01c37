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

package admin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/prometheus/client_golang/prometheus"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/xdsclient"
	"github.com/portico-dev/portico/internal/testkit"
)

const (
	stageType = "type.googleapis.com/portico.xds.v1alpha1.StageSnapshot"
	edsType   = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	// Hashes of two keys, in a stage and in its canary's plans.
	aliceHash = "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90"
	bobHash   = "81b637d8fcd2c6da6359e6963113a1170de795e4b725b84d1e0b4cfd9ec58ce9"
)

// get serves one request to s and returns the status and body.
func get(t *testing.T, s http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func TestHealthz(t *testing.T) {
	s := New(Options{Ready: func() bool { return false }})
	if code, body := get(t, s, "/healthz"); code != http.StatusOK || body != "ok" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
}

func TestReadyz(t *testing.T) {
	var ready atomic.Bool
	s := New(Options{Ready: ready.Load})
	if code, body := get(t, s, "/readyz"); code != http.StatusServiceUnavailable || body != "not ready: no configuration applied yet" {
		t.Fatalf("/readyz before ready: %d %q", code, body)
	}
	ready.Store(true)
	if code, body := get(t, s, "/readyz"); code != http.StatusOK || body != "ok" {
		t.Fatalf("/readyz when ready: %d %q", code, body)
	}

	s = New(Options{Ready: func() bool { return false }, NotReadyReason: func() string { return "cannot reach the xDS server" }})
	if code, body := get(t, s, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot reach the xDS server") {
		t.Fatalf("/readyz with a reason: %d %q", code, body)
	}
	if code, _ := get(t, New(Options{}), "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz without a Ready func: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "portico_test_total", Help: "A test counter."})
	reg.MustRegister(c)
	c.Add(3)
	s := New(Options{Gatherer: reg})
	code, body := get(t, s, "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "portico_test_total 3") {
		t.Fatalf("/metrics: %d %q", code, body)
	}
}

func TestHandle(t *testing.T) {
	s := New(Options{})
	s.Handle("GET /usage", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "usage") }))
	if code, body := get(t, s, "/usage"); code != http.StatusOK || body != "usage" {
		t.Fatalf("/usage: %d %q", code, body)
	}
	if code, _ := get(t, s, "/nope"); code != http.StatusNotFound {
		t.Fatalf("/nope: %d", code)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/config", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /config: %d", rec.Code)
	}
}

func testConfig() *config.Config {
	plans := func(name, id, hash string) []*xdsv1alpha1.UsagePlan {
		return []*xdsv1alpha1.UsagePlan{{Name: name, Keys: []*xdsv1alpha1.ApiKey{{Id: id, Sha256: hash}}}}
	}
	api := &xdsv1alpha1.Api{
		Protocol: "REST",
		Routes: []*xdsv1alpha1.Route{{
			Name: "pets", Path: "/pets", Methods: []string{"GET"},
			Integration: &xdsv1alpha1.Integration{Type: "HTTP_PROXY", Uri: "https://svc:s3cr3t@pets.example.com/${stageVariables.v}/pets"},
		}},
		Authorizers: []*xdsv1alpha1.Authorizer{{
			Name: "jwt", Type: "JWT", Jwt: &xdsv1alpha1.Jwt{Issuer: "https://issuer.example.com", JwksUri: "https://token123@issuer.example.com/jwks"},
		}},
	}
	stage := &xdsv1alpha1.StageSnapshot{
		Key: "pets/prod", Namespace: "pets", StageName: "prod", RestApi: "petstore", Api: api,
		Variables:  map[string]string{"v": "v1"},
		UsagePlans: plans("basic", "alice", aliceHash),
		Canary:     &xdsv1alpha1.Canary{PercentTraffic: 10, Api: api},
	}
	// The same key in a second plan, as the wire may carry it.
	stage.UsagePlans = append(stage.UsagePlans, plans("gold", "bob", bobHash)...)
	return &config.Config{
		Stages:    map[string]*xdsv1alpha1.StageSnapshot{"pets/prod": stage},
		Endpoints: map[string]*endpointv3.ClusterLoadAssignment{"pets/pets:8080": {ClusterName: "pets/pets:8080"}},
		Versions: map[string]map[string]string{
			stageType: {"pets/prod": "stage-v1"},
			edsType:   {"pets/pets:8080": "eds-v1"},
		},
	}
}

func TestConfig(t *testing.T) {
	cfg := testConfig()
	s := New(Options{
		Config:   func() *config.Config { return cfg },
		LastNACK: func() error { return errors.New("rejected StageSnapshot update: pets/dev: no api") },
	})
	code, body := get(t, s, "/config")
	if code != http.StatusOK {
		t.Fatalf("/config: %d %s", code, body)
	}
	for _, secret := range []string{aliceHash, bobHash, "s3cr3t", "token123"} {
		if strings.Contains(body, secret) {
			t.Errorf("/config shows %q:\n%s", secret, body)
		}
	}
	var view struct {
		Applied bool `json:"applied"`
		Stages  map[string]struct {
			Version  string `json:"version"`
			Resource struct {
				Key        string `json:"key"`
				UsagePlans []struct {
					Keys []struct {
						ID     string `json:"id"`
						Sha256 string `json:"sha256"`
					} `json:"keys"`
				} `json:"usagePlans"`
				API struct {
					Routes []struct {
						Integration struct {
							URI string `json:"uri"`
						} `json:"integration"`
					} `json:"routes"`
				} `json:"api"`
			} `json:"resource"`
		} `json:"stages"`
		Endpoints map[string]struct {
			Version  string `json:"version"`
			Resource struct {
				ClusterName string `json:"clusterName"`
			} `json:"resource"`
		} `json:"endpoints"`
		LastNACK *struct {
			Error string `json:"error"`
		} `json:"lastNack"`
	}
	if err := json.Unmarshal([]byte(body), &view); err != nil {
		t.Fatalf("%v:\n%s", err, body)
	}
	st := view.Stages["pets/prod"]
	if !view.Applied || st.Version != "stage-v1" || st.Resource.Key != "pets/prod" {
		t.Fatalf("stage: %+v", st)
	}
	keys := st.Resource.UsagePlans[0].Keys
	if keys[0].ID != "alice" || keys[0].Sha256 != redacted {
		t.Fatalf("key: %+v", keys)
	}
	if uri := st.Resource.API.Routes[0].Integration.URI; uri != "https://REDACTED@pets.example.com/${stageVariables.v}/pets" {
		t.Fatalf("integration URI %q", uri)
	}
	if ep := view.Endpoints["pets/pets:8080"]; ep.Version != "eds-v1" || ep.Resource.ClusterName != "pets/pets:8080" {
		t.Fatalf("endpoints: %+v", ep)
	}
	if view.LastNACK == nil || view.LastNACK.Error != "rejected StageSnapshot update: pets/dev: no api" {
		t.Fatalf("lastNack: %+v", view.LastNACK)
	}
	// The configuration the proxy serves is not touched by the redaction.
	if cfg.Stages["pets/prod"].GetUsagePlans()[0].GetKeys()[0].GetSha256() != aliceHash ||
		!strings.Contains(cfg.Stages["pets/prod"].GetApi().GetRoutes()[0].GetIntegration().GetUri(), "s3cr3t") {
		t.Fatal("redacting modified the applied configuration")
	}
}

func TestConfigBeforeTheFirst(t *testing.T) {
	for name, opts := range map[string]Options{
		"nothing applied": {Config: func() *config.Config { return nil }, LastNACK: func() error { return nil }},
		"no source":       {},
	} {
		code, body := get(t, New(opts), "/config")
		want := "{\n  \"applied\": false,\n  \"stages\": {},\n  \"endpoints\": {},\n  \"lastNack\": null\n}\n"
		if code != http.StatusOK || body != want {
			t.Errorf("%s: %d %q", name, code, body)
		}
	}
}

func TestRedactUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"https://pets.example.com/pets":            "https://pets.example.com/pets",
		"https://u:p@pets.example.com/pets":        "https://REDACTED@pets.example.com/pets",
		"http://tok@h:8080":                        "http://REDACTED@h:8080",
		"https://h/path@not-userinfo":              "https://h/path@not-userinfo",
		"https://a@b:c@h/x":                        "https://REDACTED@h/x",
		"${stageVariables.url}/pets":               "${stageVariables.url}/pets",
		"http://${stageVariables.creds}@host/{id}": "http://REDACTED@host/{id}",
		"": "",
	} {
		if got := redactUserinfo(in); got != want {
			t.Errorf("redactUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRedactQuery: a uri's credential parameters are redacted, as the execution logs do;
// the others, and a template's fragment, stay.
func TestRedactQuery(t *testing.T) {
	for in, want := range map[string]string{
		"http://h/p?apikey=STATIC&x=1":               "http://h/p?apikey=REDACTED&x=1",
		"http://h/p?x=${stageVariables.v}&token=t#f": "http://h/p?x=${stageVariables.v}&token=REDACTED#f",
		"http://h/p?page=2":                          "http://h/p?page=2",
		"http://h/p":                                 "http://h/p",
	} {
		if got := redactQuery(in); got != want {
			t.Errorf("redactQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestListenAndServe(t *testing.T) {
	s := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lis) }()
	res, err := http.Get("http://" + lis.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("did not stop")
	}
	if res, err := http.Get("http://" + lis.Addr().String() + "/healthz"); err == nil {
		_ = res.Body.Close()
		t.Fatal("still serving after the shutdown")
	}

	// An address in use is an error, returned at once.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if err := New(Options{}).ListenAndServe(context.Background(), busy.Addr().String()); err == nil {
		t.Fatal("no error on an address in use")
	}
}

// The xDS client's accessors plug straight into the options.
func TestWiresToTheXDSClient(t *testing.T) {
	c := xdsclient.New(xdsclient.Options{Server: "127.0.0.1:18000"})
	s := New(Options{Ready: c.Ready, NotReadyReason: c.NotReadyReason, Config: c.Current, LastNACK: c.LastNACK})
	if code, body := get(t, s, "/readyz"); code != http.StatusServiceUnavailable || body != "not ready: not connected to the xDS server 127.0.0.1:18000" {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	if code, body := get(t, s, "/config"); code != http.StatusOK || !strings.Contains(body, `"applied": false`) {
		t.Fatalf("/config: %d %q", code, body)
	}
}

// Domains show in /config; their secrets too, without the private key.
func TestConfigRedactsPrivateKeys(t *testing.T) {
	cfg := testConfig()
	cfg.Domains = map[string]*xdsv1alpha1.DomainSnapshot{"shop/api": {Key: "shop/api", DomainName: "api.example.com", Certificate: "tls/shop/api"}}
	cfg.Secrets = map[string]*xdsv1alpha1.TlsSecret{"tls/shop/api": {Name: "tls/shop/api", CertificateChain: []byte("-----BEGIN CERTIFICATE-----"), PrivateKey: []byte("-----BEGIN EC PRIVATE KEY-----")}}
	code, body := get(t, New(Options{Config: func() *config.Config { return cfg }}), "/config")
	if code != http.StatusOK || !strings.Contains(body, "api.example.com") || !strings.Contains(body, `"tls/shop/api"`) {
		t.Fatalf("/config: %d %s", code, body)
	}
	for _, secret := range []string{"PRIVATE KEY", base64.StdEncoding.EncodeToString([]byte("-----BEGIN EC PRIVATE KEY-----"))} {
		if strings.Contains(body, secret) {
			t.Errorf("/config shows the private key:\n%s", body)
		}
	}
	if !strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(redacted))) {
		t.Errorf("/config does not say the key was redacted:\n%s", body)
	}
}

// Go's profiles are served only when asked for: the admin address may be exposed.
func TestProfiling(t *testing.T) {
	if code, _ := get(t, New(Options{}), "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without Profiling: %d, want 404", code)
	}
	s := New(Options{Profiling: true})
	if code, body := get(t, s, "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ with Profiling: %d %.80q", code, body)
	}
	if code, body := get(t, s, "/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("goroutine profile: %d %.80q", code, body)
	}
}
