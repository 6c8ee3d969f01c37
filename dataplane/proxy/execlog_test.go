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
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/execlog"
	"github.com/portico-dev/portico/internal/testkit"
)

func execLogFixture(t *testing.T, level string, dataTrace bool, routes ...*xdsv1alpha1.Route) (*fixture, *testkit.Buffer) {
	t.Helper()
	out := &testkit.Buffer{}
	f := newFixture(t, Options{ExecutionLog: out})
	st := stageOf("prod", "prod", apiOf(nil, routes...))
	st.MethodSettings = []*xdsv1alpha1.MethodSetting{{Path: "*", Method: "*", Logging: &xdsv1alpha1.MethodLogging{Level: level, DataTrace: dataTrace}}}
	f.apply(t, st)
	return f, out
}

func execLines(t *testing.T, out *testkit.Buffer) []execlog.Line {
	t.Helper()
	var lines []execlog.Line
	for _, s := range out.Lines() {
		var l execlog.Line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("line %s: %v", s, err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestExecutionLogInfoRedacts(t *testing.T) {
	backend := echoServer(t, "b")
	f, out := execLogFixture(t, "INFO", true, uriRoute("one", "/pets/{petId}", "GET", backend.URL+"/pets/{petId}"))
	w := f.do("GET", "/prod/pets/7?page=2&api_key=s3cr3t-key", nil, "Authorization", "Bearer s3cr3t-token", "X-Api-Key", "s3cr3t-key", "X-Other", "visible")
	rid := w.Header().Get("X-Request-Id")
	raw := strings.Join(out.Lines(), "\n")
	if strings.Contains(raw, "s3cr3t") {
		t.Fatalf("a credential reached the execution log:\n%s", raw)
	}
	lines := execLines(t, out)
	var steps []string
	for _, l := range lines {
		steps = append(steps, l.Step)
		if l.RequestID != rid || l.Stage != "prod" || l.Route != "one" {
			t.Errorf("line %+v: request id, stage or route missing", l)
		}
	}
	if got := strings.Join(steps, ","); got != "method request,endpoint request,endpoint response,method completed" {
		t.Fatalf("steps %s", got)
	}
	if m := lines[0].Message; m != "Method request: GET /prod/pets/7?page=2&api_key="+execlog.Redacted {
		t.Errorf("method request %q", m)
	}
	if h := lines[0].Headers; h["Authorization"] != execlog.Redacted || h["X-Api-Key"] != execlog.Redacted || h["X-Other"] != "visible" {
		t.Errorf("headers %v", h)
	}
	if m := lines[1].Message; m != "Endpoint request URI: "+backend.URL+"/pets/7?page=2&api_key="+execlog.Redacted {
		t.Errorf("endpoint request %q", m)
	}
	// The endpoint request's headers as sent: the proxy's own, the client's passed on, and
	// credentials redacted.
	if h := lines[1].Headers; h["X-Request-Id"] != rid || h["X-Other"] != "visible" || h["Authorization"] != execlog.Redacted || h["X-Forwarded-For"] == "" {
		t.Errorf("endpoint request headers %v", h)
	}
	if lines[2].Status != 200 || lines[3].Status != 200 || lines[3].Level != "INFO" {
		t.Errorf("response lines %+v %+v", lines[2], lines[3])
	}
	// The backend echoes the credentials: the data trace of its answer has them taken out.
	if !strings.Contains(lines[2].Body, `"server":"b"`) || !strings.Contains(lines[2].Body, execlog.Redacted) || lines[3].Body != lines[2].Body {
		t.Errorf("response bodies:\n%s\n%s", lines[2].Body, lines[3].Body)
	}
}

func TestExecutionLogMappedBodies(t *testing.T) {
	backend := echoServer(t, "b")
	rt := uriRoute("one", "/pets", "POST", backend.URL+"/pets")
	rt.Integration.Type = "HTTP"
	rt.Integration.RequestTemplates = map[string]string{"application/json": `{"wrapped": $input.json('$')}`}
	rt.Integration.Responses = []*xdsv1alpha1.IntegrationResponse{{StatusCode: 201, ResponseTemplates: map[string]string{"application/json": `{"server": $input.json('$.server')}`}}}
	f, out := execLogFixture(t, "INFO", true, rt)
	w := f.do("POST", "/prod/pets", strings.NewReader(`{"name":"Rex"}`), "Content-Type", "application/json")
	if w.Code != 201 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	byStep := map[string][]execlog.Line{}
	for _, l := range execLines(t, out) {
		byStep[l.Step] = append(byStep[l.Step], l)
	}
	if b := byStep["method request"][0].Body; b != `{"name":"Rex"}` {
		t.Errorf("method request body %q", b)
	}
	if reqs := byStep["endpoint request"]; len(reqs) != 2 || reqs[1].Body != `{"wrapped": {"name":"Rex"}}` {
		t.Errorf("endpoint request lines %+v", reqs)
	} else if h := reqs[0].Headers; h["Content-Type"] != "application/json" || h["X-Request-Id"] == "" {
		// A non-proxy HTTP integration sends only what is mapped: the body's type and the id.
		t.Errorf("endpoint request headers %v", h)
	}
	if b := byStep["endpoint response"][0].Body; !strings.Contains(b, `"server":"b"`) {
		t.Errorf("endpoint response body before templates %q", b)
	}
	if b := byStep["method completed"][0].Body; b != `{"server": "b"}` {
		t.Errorf("method response body after templates %q", b)
	}
}

func TestExecutionLogLevels(t *testing.T) {
	missing := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(missing.Close)
	routes := []*xdsv1alpha1.Route{mockRoute("ok", "/ok", "GET", "fine"), uriRoute("gone", "/gone", "GET", missing.URL+"/")}

	f, out := execLogFixture(t, "ERROR", false, routes...)
	f.do("GET", "/prod/ok", nil)
	if n := len(out.Lines()); n != 0 {
		t.Fatalf("ERROR level logged %d lines for a success", n)
	}
	f.do("GET", "/prod/gone", nil)
	lines := execLines(t, out)
	if len(lines) == 0 || lines[len(lines)-1].Level != "ERROR" || lines[len(lines)-1].Status != 404 {
		t.Fatalf("ERROR level for a 404: %+v", lines)
	}
	if lines[0].Headers != nil {
		t.Errorf("headers without dataTrace")
	}

	f, out = execLogFixture(t, "OFF", true, routes...)
	f.do("GET", "/prod/gone", nil)
	if n := len(out.Lines()); n != 0 {
		t.Fatalf("OFF logged %d lines", n)
	}
}

func TestExecutionLogSettingPrecedence(t *testing.T) {
	info := &xdsv1alpha1.MethodLogging{Level: "INFO"}
	off := &xdsv1alpha1.MethodLogging{Level: "OFF"}
	settings := []*xdsv1alpha1.MethodSetting{
		{Path: "/pets", Method: "GET", Logging: off},
		{Path: "/pets", Method: "POST"}, // a throttle only: does not hide */*
		{Path: "*", Method: "*", Logging: info},
	}
	route := &xdsv1alpha1.Route{Path: "/pets", Methods: []string{"GET", "POST"}}
	if s := execlog.For(settings, route, "GET"); s.Level != execlog.Off {
		t.Errorf("GET /pets: %v", s)
	}
	if s := execlog.For(settings, route, "POST"); s.Level != execlog.Info {
		t.Errorf("POST /pets: %v", s)
	}
	if s := execlog.For(nil, route, "GET"); s.Level != execlog.Off {
		t.Errorf("no settings: %v", s)
	}
}

// A mapping template that fails as it runs answers 500 Internal server error, and the
// execution log, at ERROR, says why.
func TestExecutionLogTemplateFailure(t *testing.T) {
	backend := echoServer(t, "b")
	rt := uriRoute("one", "/pets", "POST", backend.URL+"/pets")
	rt.Integration.Type = "HTTP"
	rt.Integration.RequestTemplates = map[string]string{"application/json": `#foreach($i in [1..5000])$i#end`}
	f, out := execLogFixture(t, "ERROR", false, rt)
	w := f.do("POST", "/prod/pets", strings.NewReader(`{}`), "Content-Type", "application/json")
	if w.Code != 500 || strings.Contains(w.Body.String(), "foreach") {
		t.Fatalf("status %d: %s (want 500, the reason not told to the client)", w.Code, w.Body)
	}
	var why *execlog.Line
	lines := execLines(t, out)
	for i := range lines {
		if lines[i].Step == "transformation" {
			why = &lines[i]
		}
	}
	if why == nil || why.Level != "ERROR" || !strings.Contains(why.Message, "configuration error") || !strings.Contains(why.Message, "1,000") && !strings.Contains(why.Message, "1000") {
		t.Fatalf("no ERROR line with the template's failure among %+v", lines)
	}
}

// The method request line is stamped with when the request came, the others with when they
// are written, at the request's end: a slow request's lines show its length.
func TestExecutionLogTimes(t *testing.T) {
	out := &testkit.Buffer{}
	var mu sync.Mutex
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Second); return now }
	f := newFixture(t, Options{ExecutionLog: out, Now: clock})
	st := stageOf("prod", "prod", apiOf(nil, mockRoute("m", "/m", "GET", "ok")))
	st.MethodSettings = []*xdsv1alpha1.MethodSetting{{Path: "*", Method: "*", Logging: &xdsv1alpha1.MethodLogging{Level: "INFO"}}}
	f.apply(t, st)
	f.do("GET", "/prod/m", nil)
	lines := execLines(t, out)
	if len(lines) < 2 {
		t.Fatalf("lines %+v", lines)
	}
	first, err1 := time.Parse(time.RFC3339Nano, lines[0].Time)
	last, err2 := time.Parse(time.RFC3339Nano, lines[len(lines)-1].Time)
	if err1 != nil || err2 != nil || !first.Before(last) {
		t.Errorf("method request at %s, method completed at %s: want the request first", lines[0].Time, lines[len(lines)-1].Time)
	}

	// A backend call's lines are at its own times: the request's start, then its answer.
	backend := echoServer(t, "b")
	st = stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "GET", backend.URL+"/p")))
	st.MethodSettings = []*xdsv1alpha1.MethodSetting{{Path: "*", Method: "*", Logging: &xdsv1alpha1.MethodLogging{Level: "INFO"}}}
	f.apply(t, st)
	before := len(out.Lines())
	f.do("GET", "/prod/p", nil)
	lines = execLines(t, out)[before:]
	var times []time.Time
	var steps []string
	for _, l := range lines {
		at, err := time.Parse(time.RFC3339Nano, l.Time)
		if err != nil {
			t.Fatal(err)
		}
		times, steps = append(times, at), append(steps, l.Step)
	}
	if strings.Join(steps, ",") != "method request,endpoint request,endpoint response,method completed" {
		t.Fatalf("steps %v", steps)
	}
	for i := 1; i < len(times); i++ {
		if !times[i-1].Before(times[i]) {
			t.Errorf("%s at %s, then %s at %s: want each step later", steps[i-1], times[i-1], steps[i], times[i])
		}
	}
}

// With dataTrace, the method request line shows the body of a request that streamed to its
// backend (an HTTP_PROXY route reads no body itself): its first execlog.MaxBody bytes, marked
// when cut, credentials taken out.
func TestExecutionLogStreamedRequestBody(t *testing.T) {
	backend := echoServer(t, "b")
	f, out := execLogFixture(t, "INFO", true, uriRoute("one", "/pets/{petId}", "POST", backend.URL+"/pets/{petId}"))
	if w := f.do("POST", "/prod/pets/7", strings.NewReader(`{"plain":"body-visible","key":"s3cr3t-key"}`), "X-Api-Key", "s3cr3t-key"); w.Code != 200 || decodeEcho(t, w).BodyLen != 43 {
		t.Fatalf("status %d, body %q", w.Code, w.Body)
	}
	lines := execLines(t, out)
	if got, want := lines[0].Body, `{"plain":"body-visible","key":"`+execlog.Redacted+`"}`; got != want {
		t.Errorf("method request body %q, want %q", got, want)
	}
	long := strings.Repeat("x", execlog.MaxBody+500)
	if w := f.do("POST", "/prod/pets/7", strings.NewReader(long)); w.Code != 200 || decodeEcho(t, w).BodyLen != len(long) {
		t.Fatalf("status %d, body %q", w.Code, w.Body)
	}
	lines = execLines(t, out)
	if got := lines[len(lines)-4].Body; got != long[:execlog.MaxBody]+execlog.Truncated {
		t.Errorf("a long body: %d bytes logged, %q...", len(got), got[:min(len(got), 20)])
	}
}

// The integration's own credentials (a uri's user information and key parameter) stay out
// of the execution log: its URI line, and the bodies of a backend that echoes its request.
func TestExecutionLogRedactsTargetCredentials(t *testing.T) {
	backend := echoServer(t, "b")
	uri := strings.Replace(backend.URL, "://", "://alice:hunter2pass@", 1) + "/p?apikey=STATICSECRETVALUE&x=1"
	f, out := execLogFixture(t, "INFO", true, uriRoute("p", "/p", "GET", uri))
	f.do("GET", "/prod/p", nil)
	raw := strings.Join(out.Lines(), "\n")
	for _, secret := range []string{"hunter2pass", "STATICSECRETVALUE", "YWxpY2U6aHVudGVyMnBhc3M="} {
		if strings.Contains(raw, secret) {
			t.Errorf("%s reached the execution log:\n%s", secret, raw)
		}
	}
	want := "Endpoint request URI: " + strings.Replace(backend.URL, "://", "://"+execlog.Redacted+"@", 1) + "/p?apikey=" + execlog.Redacted + "&x=1"
	for _, l := range execLines(t, out) {
		if l.Step == "endpoint request" && l.Message != want {
			t.Errorf("endpoint request %q, want %q", l.Message, want)
		}
	}
}

// A data trace of an answer served from the cache logs neither its body nor the backend's
// headers: they were made for the caller who filled the entry (a backend that echoes its
// request put that caller's token in them), which this request's redaction does not know.
func TestExecutionLogCachedAnswer(t *testing.T) {
	out := &testkit.Buffer{}
	hit := func(_ *Route, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Cache", "Hit")
			w.Header().Set("X-Echo-Token", "OTHERCALLERSECRET")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"token":"OTHERCALLERSECRET"}`))
		}), nil
	}
	f := newFixture(t, Options{ExecutionLog: out, Steps: []Step{hit}})
	st := stageOf("prod", "prod", apiOf(nil, mockRoute("m", "/m", "GET", "ok")))
	st.MethodSettings = []*xdsv1alpha1.MethodSetting{{Path: "*", Method: "*", Logging: &xdsv1alpha1.MethodLogging{Level: "INFO", DataTrace: true}}}
	f.apply(t, st)
	f.do("GET", "/prod/m", nil)
	raw := strings.Join(out.Lines(), "\n")
	if strings.Contains(raw, "OTHERCALLERSECRET") || !strings.Contains(raw, "served from the cache") || !strings.Contains(raw, `"X-Cache":"Hit"`) {
		t.Errorf("the cached answer's data trace:\n%s", raw)
	}
}
