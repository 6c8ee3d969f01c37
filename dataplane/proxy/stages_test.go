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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/config"
)

// versioned is a configuration whose stages carry versions, as the xDS client passes them.
func versioned(endpoints map[string]*endpointv3.ClusterLoadAssignment, stages map[string]string, snaps ...*xdsv1alpha1.StageSnapshot) *config.Config {
	c := cfg(endpoints, snaps...)
	c.Versions = map[string]map[string]string{xdsv1alpha1.StageSnapshotTypeURL: stages}
	return c
}

// One stage that cannot be built does not keep the others of the same configuration from
// applying; it keeps serving its last good version.
func TestOneBadStageLeavesTheOthers(t *testing.T) {
	f := newFixture(t, Options{})
	a1 := stageOf("a", "a", apiOf(nil, mockRoute("r", "/x", "GET", "a1")))
	b1 := stageOf("b", "b", apiOf(nil, mockRoute("r", "/x", "GET", "b1")))
	if err := f.Apply(versioned(nil, map[string]string{"default/a": "1", "default/b": "1"}, a1, b1)); err != nil {
		t.Fatal(err)
	}

	// b breaks while a changes and c appears.
	a2 := stageOf("a", "a", apiOf(nil, mockRoute("r", "/x", "GET", "a2")))
	b2 := stageOf("b", "b", apiOf(nil, mockRoute("r", "/x", "GET", "b2")))
	b2.Api.Routes[0].Integration.Type = "AWS"
	c1 := stageOf("c", "c", apiOf(nil, mockRoute("r", "/x", "GET", "c1")))
	err := f.Apply(versioned(nil, map[string]string{"default/a": "2", "default/b": "2", "default/c": "1"}, a2, b2, c1))
	var errs config.StageErrors
	if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs["default/b"].Error(), `unknown integration type "AWS"`) {
		t.Fatalf("Apply: %v", err)
	}
	for path, want := range map[string]string{"/a/x": "a2", "/b/x": "b1", "/c/x": "c1"} {
		if w := f.do("GET", path, nil); w.Code != 200 || w.Body.String() != want {
			t.Errorf("GET %s = %d %q, want %q", path, w.Code, w.Body, want)
		}
	}

	// A stage that never built stays unserved; the others are not disturbed.
	d1 := stageOf("d", "d", apiOf(nil, mockRoute("r", "/x", "GET", "d1")))
	d1.StageName = "d/e"
	err = f.Apply(versioned(nil, map[string]string{"default/a": "2", "default/b": "2", "default/c": "1", "default/d": "1"}, a2, b2, c1, d1))
	if !errors.As(err, &errs) || len(errs) != 2 || errs["default/d"] == nil {
		t.Fatalf("Apply: %v", err)
	}
	if w := f.do("GET", "/c/x", nil); w.Body.String() != "c1" {
		t.Errorf("c: %d %s", w.Code, w.Body)
	}

	// Fixed: b serves its new version.
	b3 := stageOf("b", "b", apiOf(nil, mockRoute("r", "/x", "GET", "b3")))
	if err := f.Apply(versioned(nil, map[string]string{"default/a": "2", "default/b": "3", "default/c": "1"}, a2, b3, c1)); err != nil {
		t.Fatal(err)
	}
	if w := f.do("GET", "/b/x", nil); w.Body.String() != "b3" {
		t.Errorf("b after the fix: %d %s", w.Code, w.Body)
	}
}

// An unchanged stage is not built again, and an endpoint change builds nothing: it reaches
// the routes through the cluster table.
func TestApplyRebuildsOnlyChangedStages(t *testing.T) {
	builds := map[string]int{}
	count := func(rt *Route, next http.Handler) (http.Handler, error) {
		builds[rt.Stage.GetKey()]++
		return next, nil
	}
	f := newFixture(t, Options{Steps: []Step{count}})
	backend := echoServer(t, "svc").Listener.Addr().String()
	a := stageOf("a", "a", apiOf(nil, backendRoute("r", "/x", "GET", "default/svc:80")))
	b := stageOf("b", "b", apiOf(nil, mockRoute("r", "/x", "GET", "b")))
	versions := map[string]string{"default/a": "1", "default/b": "1"}
	if err := f.Apply(versioned(nil, versions, a, b)); err != nil {
		t.Fatal(err)
	}
	if w := f.do("GET", "/a/x", nil); w.Code != http.StatusBadGateway {
		t.Fatalf("no endpoints yet: %d", w.Code)
	}
	g := f.graph.Load()

	if err := f.Apply(versioned(endpointsOf("default/svc:80", backend), versions, a, b)); err != nil {
		t.Fatal(err)
	}
	if builds["default/a"] != 1 || builds["default/b"] != 1 {
		t.Fatalf("an endpoint change rebuilt stages: %v", builds)
	}
	if f.graph.Load() != g {
		t.Fatal("an endpoint change swapped the graph")
	}
	if w := f.do("GET", "/a/x", nil); w.Code != 200 {
		t.Fatalf("the new endpoint is not used: %d %s", w.Code, w.Body)
	}

	b2 := stageOf("b", "b", apiOf(nil, mockRoute("r", "/x", "GET", "b2")))
	if err := f.Apply(versioned(endpointsOf("default/svc:80", backend), map[string]string{"default/a": "1", "default/b": "2"}, a, b2)); err != nil {
		t.Fatal(err)
	}
	if builds["default/a"] != 1 || builds["default/b"] != 2 {
		t.Fatalf("builds after changing b: %v", builds)
	}
}

// timedOutWriter is the edge's writer after the client's body deadline passed.
type timedOutWriter struct{ *httptest.ResponseRecorder }

func (timedOutWriter) RequestTimedOut() bool { return true }

// A request whose body timed out at the edge is logged with the 408 the client got, not with
// the proxy's own answer to the failed read.
func TestAccessLogRecordsTheEdgeTimeout(t *testing.T) {
	f := newFixture(t, Options{})
	st := stageOf("prod", "prod", apiOf(nil, mockRoute("r", "/x", "POST", "ok")))
	st.AccessLogFormat = `$context.status $context.error.responseType`
	f.apply(t, st)
	w := timedOutWriter{httptest.NewRecorder()}
	f.ServeHTTP(w, httptest.NewRequest("POST", "/prod/x", strings.NewReader("body")))
	if lines := f.log.Lines(); len(lines) != 1 || lines[0] != "408 REQUEST_TIMEOUT" {
		t.Fatalf("access log %q, want the 408", lines)
	}
}
