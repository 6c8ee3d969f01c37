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
	"net/http"
	"strconv"
	"strings"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/execlog"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
)

// logMethods are the methods a route's execution log settings are resolved for when the
// route is built; an ANY route's request with another method logs nothing.
var logMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// routeLogs is what a route's execution log lines need, resolved when it is built.
type routeLogs struct {
	byMethod   map[string]execlog.Setting
	redact     *execlog.Redactor
	authorizer string
	apiKey     bool
	validation bool
}

// newRouteLogs returns nil unless a method of r logs: a route without logging pays one nil
// check per request.
func newRouteLogs(s *xdsv1alpha1.StageSnapshot, api *xdsv1alpha1.Api, r *xdsv1alpha1.Route) *routeLogs {
	var by map[string]execlog.Setting
	for _, m := range logMethods {
		if !routeHas(r, m) {
			continue
		}
		if set := execlog.For(s.GetMethodSettings(), r, m); set.Level != execlog.Off {
			if by == nil {
				by = map[string]execlog.Setting{}
			}
			by[m] = set
		}
	}
	if by == nil {
		return nil
	}
	return &routeLogs{
		byMethod:   by,
		redact:     execlog.NewRedactor(api),
		authorizer: r.GetAuthorization().GetAuthorizer(),
		apiKey:     r.GetAuthorization().GetApiKeyRequired(),
		validation: hasValidation(r.GetValidation()),
	}
}

func hasValidation(v *xdsv1alpha1.RequestValidation) bool {
	return v.GetBodyModel() != "" || len(v.GetBodyModels()) > 0 || len(v.GetRequiredParameters()) > 0
}

func routeHas(r *xdsv1alpha1.Route, method string) bool {
	for _, m := range r.GetMethods() {
		if m == method || m == "ANY" || m == "*" {
			return true
		}
	}
	return false
}

// cachedBodyNote stands for the body of an answer served from the cache in a data trace.
const cachedBodyNote = "[served from the cache: another caller's answer, not logged]"

// fromCache reports whether the answer came from the stage cache (its X-Cache: Hit, which
// the cache step sets).
func fromCache(h http.Header) bool {
	v := h["X-Cache"]
	return len(v) == 1 && v[0] == "Hit"
}

// cachedHeaders are the headers of a cached answer a data trace logs: the gateway's own.
func cachedHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range [...]string{"X-Cache", "Age", "Date", "Content-Type", "Content-Length", gatewayresponse.HeaderRequestID} {
		if v := h[k]; len(v) > 0 {
			out[k] = strings.Join(v, ",")
		}
	}
	return out
}

// writeExecLog writes a request's execution log lines, as the route's setting for its
// method says: every step at INFO, the steps of a failed request at ERROR.
func (p *Proxy) writeExecLog(ex *exchange, r *http.Request, status int, latency time.Duration) {
	rl := ex.route.logs
	set, ok := rl.byMethod[r.Method]
	failed := status >= 400
	if !ok || set.Level == execlog.Off || (set.Level == execlog.Error && !failed) {
		return
	}
	rc := ex.rc()
	base := execlog.Line{RequestID: rc.ID, API: rc.API, Stage: rc.Stage, Route: rc.RouteName}
	line := func(level, step, msg string) execlog.Line {
		l := base
		l.Level, l.Step, l.Message = level, step, msg
		return l
	}
	// The authorizer, key and validation lines: no time of their own is kept; they ran
	// before the endpoint request, at whose start they are written when there was one
	// (else when the request ended, refused by one of them).
	stepLine := func(level, step, msg string) execlog.Line {
		l := line(level, step, msg)
		l.At = rc.Integration.Start
		return l
	}
	lines := make([]execlog.Line, 0, 7)
	// Bodies are logged with the request's credential values taken out, wherever they are.
	var secrets []string
	body := func(b []byte) string { return execlog.Body(execlog.Scrub(string(b), secrets)) }
	if set.DataTrace {
		// The client's, and those the integration's own URL and headers add (a uri's
		// user information or key parameter, sent on as Basic credentials or a query).
		secrets = append(rl.redact.Secrets(r.Header, r.URL.RawQuery), rl.redact.TargetSecrets(rc.Target)...)
		secrets = append(secrets, rl.redact.Secrets(rc.EndpointHeaders, "")...)
	}

	req := line("INFO", "method request", "Method request: "+r.Method+" "+rc.Path)
	req.At = rc.Start
	if q := rl.redact.Query(r.URL.RawQuery); q != "" {
		req.Message += "?" + q
	}
	if set.DataTrace {
		req.Headers = rl.redact.Headers(r.Header)
		if b := rc.ReadBodyDone(); b != nil {
			req.Body = execlog.Body(execlog.Scrub(b.Text, secrets))
		} else if len(ex.body.kept) > 0 {
			// A body that streamed to the backend: what of it was read, as the client sent it.
			req.Body = body(ex.body.kept)
		}
	}
	lines = append(lines, req)

	if rl.authorizer != "" {
		if rc.Authorizer.Authorized {
			lines = append(lines, stepLine("INFO", "authorizer", "Authorizer "+rl.authorizer+" succeeded, principalId: "+rc.Authorizer.PrincipalID))
		} else {
			lines = append(lines, stepLine("ERROR", "authorizer", "Authorizer "+rl.authorizer+" did not authorize the request"+errorSuffix(rc.Error.Type)))
		}
	}
	if rl.apiKey {
		if rc.APIKeyID != "" {
			lines = append(lines, stepLine("INFO", "api key", "API key accepted, key id: "+rc.APIKeyID))
		} else if rc.Authorizer.Authorized || rl.authorizer == "" {
			lines = append(lines, stepLine("ERROR", "api key", "API key missing or refused"+errorSuffix(rc.Error.Type)))
		}
	}
	if rl.validation {
		// Validation runs after authorization: a request refused before it logs no line.
		switch {
		case rc.Validated:
			lines = append(lines, stepLine("INFO", "validation", "Request validation succeeded"))
		case rc.Error.ValidationErrorString != "":
			lines = append(lines, stepLine("ERROR", "validation", "Request validation failed: "+rc.Error.ValidationErrorString))
		}
	}
	// The endpoint's lines at the call's own times, as AWS's are; the others when written.
	in := rc.Integration
	if rc.Target != nil {
		uri := line("INFO", "endpoint request", "Endpoint request URI: "+rl.redact.URL(rc.Target))
		uri.At = in.Start
		if set.DataTrace && rc.EndpointHeaders != nil {
			uri.Headers = rl.redact.Headers(rc.EndpointHeaders)
		}
		lines = append(lines, uri)
		if set.DataTrace && rc.MappedBody != nil {
			l := line("INFO", "endpoint request", "Endpoint request body after transformations")
			l.At = in.Start
			l.Body = body(rc.MappedBody)
			lines = append(lines, l)
		}
	}
	if in.Called {
		l := line("INFO", "endpoint response", "Received response. Status: "+strconv.Itoa(in.Status))
		if !in.Start.IsZero() {
			l.At = in.Start.Add(in.Latency)
		}
		ms := in.Latency.Milliseconds()
		l.Status, l.LatencyMs = in.Status, &ms
		if in.Error != "" {
			l.Level, l.Message = "ERROR", "Endpoint request failed: "+in.Error
		}
		if set.DataTrace {
			// A mapped integration's answer before its response templates; a proxy
			// integration's is what the client got.
			if rc.EndpointBody != nil {
				l.Body = body(rc.EndpointBody)
			} else {
				l.Body = body(ex.rw.body)
			}
		}
		lines = append(lines, l)
	}
	if rc.Error.Type == gatewayresponse.APIConfigurationError.String() && rc.Error.Message != "" {
		// What went wrong in the route's own configuration (a mapping template that failed
		// as it ran): the client is told only "Internal server error", this line says why.
		lines = append(lines, line("ERROR", "transformation", "Execution failed due to a configuration error: "+rc.Error.Message))
	}
	done := line("INFO", "method completed", "Method completed with status: "+strconv.Itoa(status)+errorSuffix(rc.Error.Type))
	ms := latency.Milliseconds()
	done.Status, done.LatencyMs = status, &ms
	if failed {
		done.Level = "ERROR"
	}
	if set.DataTrace {
		h := ex.rw.Header()
		if _, ok := h[gatewayresponse.HeaderRequestID]; !ok {
			// The server writes the id itself (httpsyntax.IDSetter); the client sees it.
			h = h.Clone()
			h[gatewayresponse.HeaderRequestID] = []string{rc.ID}
		}
		if fromCache(h) {
			// Made for whoever filled the entry: a backend that echoes its request put
			// that caller's credentials in it, which this request's redaction does not
			// know. Its body and the backend's headers are not logged.
			done.Headers = cachedHeaders(h)
			done.Body = cachedBodyNote
		} else {
			done.Headers = rl.redact.Headers(h)
			done.Body = body(ex.rw.body)
		}
	}
	lines = append(lines, done)
	p.execLog.Write(lines)
}

func errorSuffix(typ string) string {
	if typ == "" {
		return ""
	}
	return " (" + typ + ")"
}
