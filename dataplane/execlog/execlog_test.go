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

package execlog

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

func TestRedactorReadsIdentitySources(t *testing.T) {
	r := NewRedactor(&xdsv1alpha1.Api{Authorizers: []*xdsv1alpha1.Authorizer{{
		Name: "a", Type: "REQUEST",
		IdentitySources: []string{"$request.header.X-Session", "method.request.querystring.ticket"},
	}}})
	h := r.Headers(http.Header{"X-Session": {"abc"}, "Cookie": {"c=1"}, "Accept": {"a", "b"}})
	if h["X-Session"] != Redacted || h["Cookie"] != Redacted || h["Accept"] != "a,b" {
		t.Errorf("headers %v", h)
	}
	if q := r.Query("client_secret=c&refresh_token=r&page=1"); q != "client_secret="+Redacted+"&refresh_token="+Redacted+"&page=1" {
		t.Errorf("OAuth's credentials: %q", q)
	}
	if q := r.Query("ticket=t1&Token=t2&page=3&flag"); q != "ticket="+Redacted+"&Token="+Redacted+"&page=3&flag" {
		t.Errorf("query %q", q)
	}
	u, _ := url.Parse("http://user:pw@backend:8080/x?access_token=zz&q=1")
	if got := r.URL(u); strings.Contains(got, "pw") || strings.Contains(got, "zz") || !strings.Contains(got, "q=1") {
		t.Errorf("url %q", got)
	}
}

func TestWriterOneWritePerRequest(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
	w.Write([]Line{{Level: "INFO", RequestID: "r", Step: "method request", Message: "m"}, {Level: "INFO", RequestID: "r", Step: "method completed", Message: "done"}})
	want := `{"time":"2026-01-02T03:04:05Z","level":"INFO","requestId":"r","step":"method request","message":"m"}` + "\n" +
		`{"time":"2026-01-02T03:04:05Z","level":"INFO","requestId":"r","step":"method completed","message":"done"}` + "\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestSecretsScrubbedFromBodies(t *testing.T) {
	r := NewRedactor(&xdsv1alpha1.Api{})
	secrets := r.Secrets(http.Header{"Authorization": {"Bearer tok-123"}, "X-Api-Key": {"key-456"}, "Accept": {"text/plain"}}, "api_key=a%2Fb-789&page=2&token=ab")
	body := `{"auth":"Bearer tok-123","raw":"tok-123","key":"key-456","q":"a/b-789","page":"2","accept":"text/plain"}`
	got := Scrub(body, secrets)
	for _, s := range []string{"tok-123", "key-456", "a/b-789"} {
		if strings.Contains(got, s) {
			t.Errorf("%q left in %s", s, got)
		}
	}
	if !strings.Contains(got, "text/plain") || !strings.Contains(got, `"page":"2"`) {
		t.Errorf("scrubbed too much: %s", got)
	}
}

func TestBodyTruncates(t *testing.T) {
	if got := Body(strings.Repeat("a", MaxBody)); len(got) != MaxBody {
		t.Errorf("a body of MaxBody bytes cut: %d", len(got))
	}
	if got := Body([]byte(strings.Repeat("a", MaxBody+1))); got != strings.Repeat("a", MaxBody)+Truncated {
		t.Errorf("long body: %d bytes", len(got))
	}
}

// A "/path/ANY" setting logs the ANY route's requests, below an exact method and above
// "/path/*", as the throttle and the cache rank it; it is not the [GET] route's beside it.
func TestForANY(t *testing.T) {
	info, errs := &xdsv1alpha1.MethodLogging{Level: "INFO"}, &xdsv1alpha1.MethodLogging{Level: "ERROR"}
	settings := []*xdsv1alpha1.MethodSetting{
		{Path: "/pets", Method: "*", Logging: &xdsv1alpha1.MethodLogging{Level: "OFF"}},
		{Path: "/pets", Method: "ANY", Logging: info},
		{Path: "/pets", Method: "DELETE", Logging: errs},
	}
	anyRoute := &xdsv1alpha1.Route{Path: "/pets", Methods: []string{"ANY"}}
	getRoute := &xdsv1alpha1.Route{Path: "/pets", Methods: []string{"GET"}}
	for _, tc := range []struct {
		route  *xdsv1alpha1.Route
		method string
		want   Level
	}{
		{anyRoute, "POST", Info},
		{anyRoute, "DELETE", Error},
		{getRoute, "GET", Off},
	} {
		if got := For(settings, tc.route, tc.method); got.Level != tc.want {
			t.Errorf("%s on %v: level %v, want %v", tc.method, tc.route.GetMethods(), got.Level, tc.want)
		}
	}
}
