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
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/integration"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/dataplane/router"
	"github.com/portico-dev/portico/internal/mapping"
)

// Headers of an HTTP_PROXY event request.
const (
	HeaderConnectionID = "X-Portico-Connection-Id"
	HeaderRouteKey     = "X-Portico-Route-Key"
	HeaderEventType    = "X-Portico-Event-Type"
)

// maxAnswer bounds an integration's answer read into memory.
const maxAnswer = 1 << 20

// Integration builds the handler ending a WEBSOCKET route: MOCK answers from the snapshot;
// LAMBDA_PROXY POSTs Amazon API Gateway's WebSocket event and maps the function's answer;
// HTTP_PROXY POSTs the message itself, with the connection id, route key and event type in
// x-portico-* headers (and on $connect the upgrade request's headers and query string).
func (s *Server) Integration(rt *proxy.Route) (http.Handler, error) {
	in := rt.Route.GetIntegration()
	switch in.GetType() {
	case "MOCK":
		m := in.GetMock()
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			for k, v := range m.GetHeaders() {
				w.Header().Set(k, v)
			}
			w.WriteHeader(cmpOr(int(m.GetStatusCode()), http.StatusOK))
			_, _ = io.WriteString(w, m.GetBody())
		}), nil
	case "HTTP_PROXY", "LAMBDA_PROXY":
	default:
		return nil, fmt.Errorf("integration type %q is not supported on WEBSOCKET routes", in.GetType())
	}
	t, err := newTarget(in, rt)
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(cmpOr(int(in.GetTimeoutMillis()), int(integration.DefaultTimeout/time.Millisecond))) * time.Millisecond
	lambda := in.GetType() == "LAMBDA_PROXY"
	responses := rt.Responses
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, ev := reqctx.From(r.Context()), proxy.EventFrom(r.Context())
		if rc == nil || ev == nil {
			gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, "")
			return
		}
		u, ep, err := t.resolve()
		if err != nil {
			rc.Integration.Error = err.Error()
			gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, rc.ID)
			return
		}
		var body []byte
		header := http.Header{}
		if lambda {
			body, _ = json.Marshal(buildLambdaEvent(ev, rc, r, s.opts.Now()))
			header.Set("Content-Type", "application/json")
		} else {
			body = ev.Body
			if ev.Type == proxy.EventConnect {
				copyHeaders(header, r.Header)
				if q := r.URL.RawQuery; q != "" {
					u = withQuery(u, q)
				}
			}
			header.Set(HeaderConnectionID, ev.ConnectionID)
			header.Set(HeaderRouteKey, ev.RouteKey)
			header.Set(HeaderEventType, ev.Type)
			header.Set("X-Request-Id", rc.ID)
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err != nil {
			rc.Integration.Error = err.Error()
			gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, rc.ID)
			return
		}
		req.Header = header
		start := time.Now()
		rc.Integration.Called = true
		if ep != nil {
			rc.Integration.Endpoint = ep.Addr
		}
		resp, err := s.client.Do(req)
		rc.Integration.Latency = time.Since(start)
		if err != nil {
			rc.Integration.Error = err.Error()
			typ := gatewayresponse.IntegrationFailure
			if errors.Is(err, context.DeadlineExceeded) {
				typ = gatewayresponse.IntegrationTimeout
			}
			gatewayresponse.Write(w, r, typ, responses, rc.ID)
			return
		}
		defer func() { _ = resp.Body.Close() }()
		answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		rc.Integration.Status = resp.StatusCode
		if err != nil {
			rc.Integration.Error = err.Error()
			gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, rc.ID)
			return
		}
		if !lambda {
			if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
				w.Header().Set("Sec-WebSocket-Protocol", p)
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = w.Write(answer)
			return
		}
		writeLambdaAnswer(w, r, resp.StatusCode, resp.Header, answer, rc, responses)
	}), nil
}

// writeLambdaAnswer maps a function's answer: its statusCode (200 when it gives none, as a
// function that returns nothing accepts a connection), headers and body. A function error is
// INTEGRATION_FAILURE: the invoke API answers it 200, and its error object has no statusCode,
// so without the check a $connect function that throws would accept the connection.
func writeLambdaAnswer(w http.ResponseWriter, r *http.Request, status int, header http.Header, answer []byte, rc *reqctx.Request, responses *gatewayresponse.Set) {
	if status < 200 || status > 299 {
		rc.Integration.Error = fmt.Sprintf("the function answered %d", status)
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, rc.ID)
		return
	}
	if integration.FunctionError(header, answer) {
		// Its text stays in the logs, as for REST APIs.
		rc.Integration.Error = "the function failed: " + integration.FunctionErrorText(answer)
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, rc.ID)
		return
	}
	var res lambdaResponse
	if len(bytes.TrimSpace(answer)) > 0 && json.Unmarshal(answer, &res) != nil {
		rc.Integration.Error = "the function's answer is not a Lambda proxy response"
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, rc.ID)
		return
	}
	body := []byte(res.Body)
	if res.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(res.Body)
		if err != nil {
			rc.Integration.Error = "the function's body is not base64"
			gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, rc.ID)
			return
		}
		body = b
	}
	for k, v := range res.Headers {
		w.Header().Set(k, v)
	}
	code := http.StatusOK
	if res.StatusCode != nil {
		code = *res.StatusCode
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// target is where a route's events go: a uri bound to the stage variables, or a cluster.
type target struct {
	bound    *mapping.Bound
	bindErr  error
	cluster  string
	path     string // backendRef.path ("" for "/")
	clusters *integration.Clusters
}

func newTarget(in *xdsv1alpha1.Integration, rt *proxy.Route) (*target, error) {
	if b := in.GetBackend(); b != nil {
		if b.GetCluster() == "" {
			return nil, errors.New("backend has no cluster")
		}
		p, err := integration.BackendPath(b)
		if err != nil {
			return nil, err
		}
		return &target{cluster: b.GetCluster(), path: p, clusters: rt.Clusters}, nil
	}
	tmpl, err := mapping.ParseTemplate(in.GetUri(), nil)
	if err != nil {
		return nil, err
	}
	t := &target{}
	t.bound, t.bindErr = tmpl.Bind(rt.Variables)
	return t, nil
}

func (t *target) resolve() (*url.URL, *integration.Endpoint, error) {
	if t.bindErr != nil {
		return nil, nil, t.bindErr
	}
	if t.bound != nil {
		s, err := t.bound.Expand(&router.Match{}, nil)
		if err != nil {
			return nil, nil, err
		}
		u, err := url.Parse(s)
		return u, nil, err
	}
	cl := t.clusters.Get(t.cluster)
	if cl == nil || cl.Len() == 0 {
		return nil, nil, fmt.Errorf("the backend %s has no endpoints", t.cluster)
	}
	ep := cl.Pick()
	u := &url.URL{Scheme: "http", Host: ep.Addr, Path: "/"}
	if t.path != "" {
		u.Path = t.path
	}
	return u, ep, nil
}

func withQuery(u *url.URL, q string) *url.URL {
	c := *u
	if c.RawQuery != "" {
		c.RawQuery += "&" + q
	} else {
		c.RawQuery = q
	}
	return &c
}

// hopHeaders are not passed to a $connect backend: they belong to the client's connection.
var hopHeaders = map[string]bool{
	"Connection": true, "Upgrade": true, "Keep-Alive": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Proxy-Authorization": true, "Proxy-Connection": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true,
	"X-Api-Key": true, "Content-Length": true,
}

func copyHeaders(dst, src http.Header) {
	for k, vs := range src {
		if !hopHeaders[http.CanonicalHeaderKey(k)] {
			dst[k] = append([]string(nil), vs...)
		}
	}
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
