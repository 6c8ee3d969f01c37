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
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/internal/testkit"
)

func TestHTTPProxyURITemplate(t *testing.T) {
	backend := echoServer(t, "b")
	f := newFixture(t, Options{})
	st := stageOf("prod", "prod", apiOf(nil,
		uriRoute("one", "/pets/{petId}", "GET", "http://${stageVariables.backend}/v1/pets/{petId}"),
		uriRoute("store", "/store/{proxy+}", "ANY", "http://${stageVariables.backend}/api/{proxy}"),
		uriRoute("search", "/search/{term}", "GET", "http://${stageVariables.backend}/find?q={term}&src=gw"),
	))
	st.Variables = map[string]string{"backend": strings.TrimPrefix(backend.URL, "http://")}
	f.apply(t, st)

	cases := []struct{ method, path, wantPath, wantQuery string }{
		{"GET", "/prod/pets/7", "/v1/pets/7", ""},
		{"GET", "/prod/pets/a%20b?x=1&y=2", "/v1/pets/a%20b", "x=1&y=2"},
		{"GET", "/prod/pets/a%3Fb", "/v1/pets/a%3Fb", ""},
		{"POST", "/prod/store/a/b%3Fc/d.txt?q=1", "/api/a/b%3Fc/d.txt", "q=1"},
		{"DELETE", "/prod/store/x/", "/api/x/", ""},
		{"GET", "/prod/search/cats%26dogs?page=2", "/find", "q=cats%26dogs&src=gw&page=2"},
	}
	for _, c := range cases {
		w := f.do(c.method, c.path, nil)
		e := decodeEcho(t, w)
		if w.Code != 200 || e.Method != c.method || e.Path != c.wantPath || e.Query != c.wantQuery {
			t.Errorf("%s %s: %d %s %s?%s, want %s?%s", c.method, c.path, w.Code, e.Method, e.Path, e.Query, c.wantPath, c.wantQuery)
		}
		if e.Host != strings.TrimPrefix(backend.URL, "http://") {
			t.Errorf("%s: backend saw host %q", c.path, e.Host)
		}
		// The gateway's request id goes to the backend and back, the backend's does not.
		if rid := w.Header().Get("X-Request-Id"); e.Header.Get("X-Request-Id") != rid || len(w.Header().Values("X-Request-Id")) != 1 {
			t.Errorf("%s: request id %v to the backend, %v to the client", c.path, e.Header.Values("X-Request-Id"), w.Header().Values("X-Request-Id"))
		}
	}
	// An escaped separator inside a segment, which a backend may decode into one, is refused
	// (internal/mapping's path guard): 400 BAD_REQUEST_PARAMETERS, nothing reaches the backend.
	for _, path := range []string{"/prod/pets/a%2Fb", "/prod/pets/..;", "/prod/store/a/b%2Fc/d.txt", "/prod/store/a/..;/admin", "/prod/store/..%5Cadmin"} {
		wantGatewayError(t, f.do("GET", path, nil), 400, "BAD_REQUEST_PARAMETERS", "Invalid request parameters: a path value may not be a dot segment or hold a separator")
	}
}

func TestHTTPRequestParameters(t *testing.T) {
	backend := echoServer(t, "b")
	f := newFixture(t, Options{})
	r := uriRoute("one", "/pets/{petId}", "GET", backend.URL+"/pets/{petId}")
	r.Integration.Type = "HTTP"
	r.Integration.RequestParameters = map[string]string{
		"header.x-pet":        "$request.path.petId",
		"header.x-user":       "$context.authorizer.principalId",
		"header.x-tier":       "$stageVariables.tier",
		"querystring.source":  "'gateway'",
		"header.x-source-ip":  "$context.identity.sourceIp",
		"header.x-stage-name": "$context.stage",
	}
	st := stageOf("prod", "prod", apiOf(nil, r))
	st.Variables = map[string]string{"tier": "gold"}
	f.apply(t, st)
	e := decodeEcho(t, f.do("GET", "/prod/pets/7?a=b", nil, "X-User", "spoofed"))
	want := map[string]string{"X-Pet": "7", "X-User": "", "X-Tier": "gold", "X-Source-Ip": "192.0.2.1", "X-Stage-Name": "prod"}
	for k, v := range want {
		if got := e.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// A non-proxy HTTP integration sends only what is mapped (AWS): not the client's a=b.
	if e.Query != "source=gateway" {
		t.Errorf("query %q", e.Query)
	}
}

func TestBackendRoundRobin(t *testing.T) {
	servers := []*httptest.Server{echoServer(t, "a"), echoServer(t, "b"), echoServer(t, "c")}
	var addrs []string
	for _, s := range servers {
		addrs = append(addrs, strings.TrimPrefix(s.URL, "http://"))
	}
	f := newFixture(t, Options{})
	f.applyWith(t, endpointsOf("default/pets-svc:8080", addrs...),
		stageOf("prod", "prod", apiOf(nil, backendRoute("all", "/{proxy+}", "ANY", "default/pets-svc:8080"))))
	counts := map[string]int{}
	for range 30 {
		w := f.do("GET", "/prod/pets/a%20b?x=1", nil)
		e := decodeEcho(t, w)
		if e.Path != "/pets/a%20b" || e.Query != "x=1" {
			t.Fatalf("backend saw %s?%s", e.Path, e.Query)
		}
		counts[e.Server]++
	}
	if counts["a"] != 10 || counts["b"] != 10 || counts["c"] != 10 {
		t.Errorf("round robin: %v", counts)
	}
}

func TestBackendWithoutEndpoints(t *testing.T) {
	f := newFixture(t, Options{})
	f.applyWith(t, endpointsOf("default/empty:80"), stageOf("prod", "prod", apiOf(nil,
		backendRoute("empty", "/empty", "GET", "default/empty:80"),
		backendRoute("missing", "/missing", "GET", "default/missing:80"),
	)))
	wantGatewayError(t, f.do("GET", "/prod/empty", nil), 502, "INTEGRATION_FAILURE", "Internal server error")
	wantGatewayError(t, f.do("GET", "/prod/missing", nil), 502, "INTEGRATION_FAILURE", "Internal server error")
}

func TestPassiveEjection(t *testing.T) {
	live1, live2 := echoServer(t, "1"), echoServer(t, "2")
	dead := closedAddr(t)
	clk := &fakeClock{now: time.Unix(1000, 0)}
	f := newFixture(t, Options{Now: clk.Now, EjectionTime: 10 * time.Second})
	f.applyWith(t, endpointsOf("default/svc:80", dead, strings.TrimPrefix(live1.URL, "http://"), strings.TrimPrefix(live2.URL, "http://")),
		stageOf("prod", "prod", apiOf(nil, backendRoute("r", "/{proxy+}", "ANY", "default/svc:80"))))

	// Requests with a body cannot be retried: the dead endpoint fails one of them, then is
	// skipped until the ejection time has passed.
	failures := func(n int) int {
		bad := 0
		for range n {
			w := f.do("POST", "/prod/x", strings.NewReader("body"))
			switch w.Code {
			case 200:
			case 502:
				bad++
			default:
				t.Fatalf("status %d", w.Code)
			}
		}
		return bad
	}
	if got := failures(30); got != 1 {
		t.Errorf("%d failures before ejection took effect, want 1", got)
	}
	clk.Add(11 * time.Second)
	if got := failures(30); got != 1 {
		t.Errorf("%d failures after the ejection time, want 1 (the endpoint is tried again)", got)
	}

	// Requests without a body go to another endpoint when the connection fails.
	clk.Add(11 * time.Second)
	for range 30 {
		if w := f.do("GET", "/prod/x", nil); w.Code != 200 {
			t.Fatalf("GET: %d %s", w.Code, w.Body)
		}
	}
}

// slowRoute serves /prod/slow by a backend that answers nothing: arrived is closed when the
// request reaches it, released when the backend's request is cancelled.
func slowRoute(t *testing.T, timeoutMillis int32) (f *fixture, arrived, released chan struct{}) {
	t.Helper()
	arrived, released = make(chan struct{}), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
		close(released)
	}))
	t.Cleanup(backend.Close)
	f = newFixture(t, Options{})
	r := uriRoute("slow", "/slow", "GET", backend.URL+"/")
	r.Integration.TimeoutMillis = timeoutMillis
	f.apply(t, stageOf("prod", "prod", apiOf(nil, r)))
	return f, arrived, released
}

func TestIntegrationTimeout(t *testing.T) {
	// Long enough for the request to reach the backend on a loaded machine, which the check
	// on its cancellation below needs.
	f, _, released := slowRoute(t, 500)
	start := time.Now()
	wantGatewayError(t, f.do("GET", "/prod/slow", nil), 504, "INTEGRATION_TIMEOUT", "Endpoint request timed out")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	select {
	case <-released:
	case <-time.After(testkit.WaitTimeout):
		t.Error("the backend request was not cancelled")
	}
}

func TestConnectionRefused(t *testing.T) {
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("r", "/", "GET", "http://"+closedAddr(t)+"/"))))
	wantGatewayError(t, f.do("GET", "/prod", nil), 502, "INTEGRATION_FAILURE", "Internal server error")
}

func TestUnresolvableStageVariable(t *testing.T) {
	f := newFixture(t, Options{})
	// The template is valid; the stage has no "backend" variable, so the host is empty.
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("r", "/", "GET", "http://${stageVariables.backend}/"))))
	wantGatewayError(t, f.do("GET", "/prod", nil), 502, "INTEGRATION_FAILURE", "Internal server error")
}

// A stage variable the path guard refuses (a dot segment) is the operator's doing: 502
// INTEGRATION_FAILURE, as the compiler's warning says, not the 400 a client's value gets.
func TestUnsafeStageVariableIs502(t *testing.T) {
	f := newFixture(t, Options{})
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("r", "/", "GET", "http://127.0.0.1:1/${stageVariables.prefix}/x")))
	st.Variables = map[string]string{"prefix": ".."}
	f.apply(t, st)
	wantGatewayError(t, f.do("GET", "/prod", nil), 502, "INTEGRATION_FAILURE", "Internal server error")
}

func TestRequestTooLargeChunked(t *testing.T) {
	backend := echoServer(t, "b")
	f := newFixture(t, Options{})
	st := stageOf("prod", "prod", apiOf(nil, uriRoute("r", "/", "POST", backend.URL+"/")))
	// The integration latency shows the body reached the integration: the limit was enforced
	// while streaming, not from a Content-Length.
	st.AccessLogFormat = "$context.status $context.integrationLatency"
	f.apply(t, st)
	url := "http://" + serveProxy(t, f)

	post := func(n int) *http.Response {
		t.Helper()
		// An io.Reader without a length: the client sends it chunked.
		body := io.MultiReader(strings.NewReader(strings.Repeat("a", n)))
		res, err := http.Post(url+"/prod", "application/octet-stream", body)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := post(10<<20 + 1)
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 413 || string(b) != `{"message":"Request Too Long (10 MB limit)"}` || res.Header.Get("X-Portico-Error-Type") != "REQUEST_TOO_LARGE" {
		t.Errorf("over the limit: %d %s", res.StatusCode, b)
	}
	if l := f.log.Lines(); len(l) != 1 || !strings.HasPrefix(l[0], "413 ") || strings.HasSuffix(l[0], " -") {
		t.Errorf("access log %q", l)
	}
	res = post(10 << 20)
	b, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"bodyLen":10485760`) {
		t.Errorf("at the limit: %d %s", res.StatusCode, b)
	}
}

func TestForwardedHeaders(t *testing.T) {
	backend := echoServer(t, "b")
	route := func() *xdsv1alpha1.Route {
		r := uriRoute("r", "/", "GET", backend.URL+"/")
		r.Integration.RequestParameters = map[string]string{"header.x-source-ip": "$context.identity.sourceIp"}
		return r
	}

	// Without trusted proxies a client's X-Forwarded-* is dropped.
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, route())))
	e := decodeEcho(t, f.do("GET", "/prod", nil, "Host", "api.example.com", "X-Forwarded-For", "203.0.113.7", "X-Forwarded-Proto", "https"))
	if got := e.Header.Values("X-Forwarded-For"); len(got) != 1 || got[0] != "192.0.2.1" {
		t.Errorf("X-Forwarded-For %v", got)
	}
	if e.Header.Get("X-Forwarded-Proto") != "http" || e.Header.Get("X-Forwarded-Host") != "api.example.com" || e.Header.Get("X-Source-Ip") != "192.0.2.1" {
		t.Errorf("forwarded headers %v", e.Header)
	}

	// From a trusted proxy, the chain is kept and extended, and the source address is the
	// nearest untrusted one.
	f = newFixture(t, Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("10.0.0.0/8")}})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, route())))
	e = decodeEcho(t, f.do("GET", "/prod", nil, "X-Forwarded-For", "198.51.100.1, 203.0.113.7", "X-Forwarded-For", "10.1.2.3", "X-Forwarded-Proto", "https"))
	if got := e.Header.Get("X-Forwarded-For"); got != "198.51.100.1, 203.0.113.7, 10.1.2.3, 192.0.2.1" {
		t.Errorf("X-Forwarded-For %q", got)
	}
	if e.Header.Get("X-Source-Ip") != "203.0.113.7" || e.Header.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("source %q proto %q", e.Header.Get("X-Source-Ip"), e.Header.Get("X-Forwarded-Proto"))
	}
	// An entry that is no address leaves the client unknown, not the trusted proxy after it;
	// addresses with ports, as some balancers write them, are read.
	for xff, want := range map[string]string{
		"garbage, 10.9.9.9":          "garbage",
		"198.51.100.7:5555":          "198.51.100.7",
		"[2001:db8::1]:443":          "2001:db8::1",
		"[2001:db8::2], 10.1.1.1:80": "2001:db8::2",
	} {
		e = decodeEcho(t, f.do("GET", "/prod", nil, "X-Forwarded-For", xff))
		if got := e.Header.Get("X-Source-Ip"); got != want {
			t.Errorf("X-Forwarded-For %q: source %q, want %q", xff, got, want)
		}
	}
}

func TestHopByHopHeaders(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range []string{"X-Custom-Hop", "Keep-Alive", "Proxy-Connection", "Te", "Upgrade"} {
			if r.Header.Get(h) != "" {
				t.Errorf("backend got hop-by-hop header %s", h)
			}
		}
		if r.Header.Get("X-End-To-End") != "1" {
			t.Error("end-to-end header lost")
		}
		w.Header().Set("Connection", "X-Resp-Hop")
		w.Header().Set("X-Resp-Hop", "1")
		w.Header().Set("X-Resp-Kept", "1")
	}))
	defer backend.Close()
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("r", "/", "GET", backend.URL+"/"))))
	w := f.do("GET", "/prod", nil,
		"Connection", "X-Custom-Hop, Keep-Alive", "X-Custom-Hop", "1", "Keep-Alive", "timeout=5",
		"Proxy-Connection", "keep-alive", "Te", "gzip", "X-End-To-End", "1")
	if w.Code != 200 || w.Header().Get("X-Resp-Hop") != "" || w.Header().Get("X-Resp-Kept") != "1" || w.Header().Get("Connection") != "" {
		t.Errorf("response %d %v", w.Code, w.Header())
	}
}

func TestStreaming(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "second\n")
	}))
	defer backend.Close()
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("r", "/", "GET", backend.URL+"/"))))
	url := "http://" + serveProxy(t, f)

	res, err := http.Get(url + "/prod")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "first" {
			t.Fatalf("first line %q", l)
		}
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("the first chunk did not arrive before the backend finished")
	}
	close(release)
	if l := <-lines; l != "second" {
		t.Fatalf("second line %q", l)
	}
	if _, more := <-lines; more {
		t.Fatal("extra lines")
	}
}

func TestH2C(t *testing.T) {
	backend := echoServer(t, "b")
	f := newFixture(t, Options{})
	st := stageOf("prod", "prod", apiOf(nil,
		mockRoute("m", "/mock", "GET", "mocked"),
		uriRoute("r", "/proxied", "POST", backend.URL+"/"),
	))
	st.AccessLogFormat = "$context.protocol $context.status"
	f.apply(t, st)
	url := "http://" + serveProxy(t, f)

	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	res, err := client.Get(url + "/prod/mock")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != 200 || string(b) != "mocked" {
		t.Errorf("h2c mock: %s %d %q", res.Proto, res.StatusCode, b)
	}
	res, err = client.Post(url+"/prod/proxied", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != 200 || !strings.Contains(string(b), `"bodyLen":5`) {
		t.Errorf("h2c proxied: %s %d %s", res.Proto, res.StatusCode, b)
	}
	// HTTP/1.1 still works on the same port.
	res, err = http.Get(url + "/prod/mock")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.ProtoMajor != 1 || res.StatusCode != 200 {
		t.Errorf("HTTP/1.1: %s %d", res.Proto, res.StatusCode)
	}
	if lines := f.log.Lines(); len(lines) != 3 || lines[0] != "HTTP/2.0 200" || lines[2] != "HTTP/1.1 200" {
		t.Errorf("access log %q", lines)
	}
}

// A client that goes away while the backend works ends the backend's request too, well
// before the route's timeout: the HTTP/1.x server ends the request's context, which
// interrupts the upstream exchange (reqend) and closes its connection.
func TestClientDepartureReachesBackend(t *testing.T) {
	f, arrived, released := slowRoute(t, 29000)
	c, err := net.Dial("tcp", serveProxy(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET /prod/slow HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("the request did not reach the backend")
	}
	_ = c.Close()
	select {
	case <-released:
	case <-time.After(20 * time.Second): // before the route's timeout would end it
		t.Fatal("the backend's request was not cancelled when the client left")
	}
}

// An answer passes as the backend sent it, over HTTP/1.1 and HTTP/2 alike: without a
// Content-Type when it had none (the server would sniff text/plain), and a 204 without the
// Content-Length a backend wrongly sent with it (RFC 9110 8.6).
func TestAnswerHeadersAsSent(t *testing.T) {
	untyped := newRawUpstream(t, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
	empty := newRawUpstream(t, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil,
		uriRoute("u", "/untyped", "GET", "http://"+untyped.l.Addr().String()+"/"),
		uriRoute("e", "/empty", "GET", "http://"+empty.l.Addr().String()+"/"))))
	url := "http://" + serveProxy(t, f)
	h2 := &http.Transport{Protocols: new(http.Protocols)}
	h2.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(h2.CloseIdleConnections)
	for name, client := range map[string]*http.Client{"HTTP/1.1": {}, "HTTP/2": {Transport: h2}} {
		res, err := client.Get(url + "/prod/untyped")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if _, ok := res.Header["Content-Type"]; ok || string(b) != "hello" {
			t.Errorf("%s: untyped answer got Content-Type %q, body %q", name, res.Header.Get("Content-Type"), b)
		}
		res, err = client.Get(url + "/prod/empty")
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if _, ok := res.Header["Content-Length"]; ok || res.StatusCode != 204 {
			t.Errorf("%s: 204 with %v", name, res.Header)
		}
	}
}

// An answer of known length that the backend sends slowly reaches the client as it comes,
// over HTTP/1.1 and HTTP/2: the part sent before the backend waits is read by the client
// while the backend still holds the rest.
func TestSlowAnswerStreams(t *testing.T) {
	release := make(chan struct{})
	addr := testkit.ServeTCP(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nfirst")
			<-release
			_, _ = io.WriteString(c, "-last")
		}
	})
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("s", "/slow", "GET", "http://"+addr+"/"))))
	url := "http://" + serveProxy(t, f)
	h2 := &http.Transport{Protocols: new(http.Protocols)}
	h2.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(h2.CloseIdleConnections)
	for _, name := range []string{"HTTP/1.1", "HTTP/2"} {
		client := &http.Client{Timeout: 20 * time.Second}
		if name == "HTTP/2" {
			client.Transport = h2
		}
		res, err := client.Get(url + "/prod/slow")
		if err != nil {
			t.Fatal(err)
		}
		first := make([]byte, 5)
		if _, err := io.ReadFull(res.Body, first); err != nil || string(first) != "first" {
			t.Fatalf("%s: %q, %v", name, first, err)
		}
		release <- struct{}{} // only once the client has the first part
		rest, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil || string(rest) != "-last" {
			t.Errorf("%s: rest %q, %v", name, rest, err)
		}
	}
}

// A path.X mapping fills a uri {X} that is not a parameter of the route's path, from
// another parameter or a header, as AWS's integration.request.path.X does.
func TestPathMappingFillsItsOwnName(t *testing.T) {
	backend := echoServer(t, "b")
	f := newFixture(t, Options{})
	byParam := uriRoute("by-param", "/r/{id}", "GET", backend.URL+"/items/{itemId}")
	byParam.Integration.RequestParameters = map[string]string{"path.itemId": "$request.path.id"}
	byHeader := uriRoute("by-header", "/h", "GET", backend.URL+"/base/{x}/y")
	byHeader.Integration.RequestParameters = map[string]string{"path.x": "$request.header.x-id"}
	f.apply(t, stageOf("prod", "prod", apiOf(nil, byParam, byHeader)))
	if e := decodeEcho(t, f.do("GET", "/prod/r/5", nil)); e.Path != "/items/5" {
		t.Errorf("by parameter: backend saw %s", e.Path)
	}
	if e := decodeEcho(t, f.do("GET", "/prod/h", nil, "X-Id", "a b")); e.Path != "/base/a%20b/y" {
		t.Errorf("by header: backend saw %s", e.Path)
	}
	wantGatewayError(t, f.do("GET", "/prod/h", nil, "X-Id", ".."), 400, "BAD_REQUEST_PARAMETERS", "Invalid request parameters: a path value may not be a dot segment or hold a separator")
}

// A path.X mapping whose fixed value (a stage variable's) cannot stand in a path is the
// operator's: 502, not the 400 a client's value gets.
func TestPathMappingFromStageVariableGuarded(t *testing.T) {
	backend := echoServer(t, "b")
	f := newFixture(t, Options{})
	r := uriRoute("r", "/h", "GET", backend.URL+"/base/{x}")
	r.Integration.RequestParameters = map[string]string{"path.x": "$stageVariables.seg"}
	st := stageOf("prod", "prod", apiOf(nil, r))
	st.Variables = map[string]string{"seg": ".."}
	f.apply(t, st)
	wantGatewayError(t, f.do("GET", "/prod/h", nil), 502, "INTEGRATION_FAILURE", "Internal server error")
}
