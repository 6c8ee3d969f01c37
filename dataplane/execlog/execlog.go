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

// Package execlog writes execution logs, as Amazon API Gateway's CloudWatch execution logs:
// for a method whose methodSettings.<key>.logging level is INFO (or ERROR, for a failed
// request), one JSON line per step of the request (method request, authorizer, API key,
// request validation, endpoint request, endpoint response, method completed), each with the request id. Credentials are
// redacted where the line is made (Authorization, cookies, API keys, the authorizers'
// identity sources, credential-like query parameters), so that no sink ever holds them.
package execlog

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// Level is how much a method logs.
type Level uint8

// Levels, from nothing to everything.
const (
	Off Level = iota
	Error
	Info
)

// Setting is a method's execution log setting.
type Setting struct {
	Level     Level
	DataTrace bool
}

// For returns the setting of method on route r: the most specific method setting with
// logging, ranked as the throttle and the cache rank them (xdsv1alpha1.MostSpecific: path and
// method, then path and ANY on an ANY route, then path and "*", then "*/*"), or Off.
func For(settings []*xdsv1alpha1.MethodSetting, r *xdsv1alpha1.Route, method string) Setting {
	ms := xdsv1alpha1.MostSpecific(settings, r, method, func(ms *xdsv1alpha1.MethodSetting) bool { return ms.GetLogging() != nil })
	best := ms.GetLogging()
	if best == nil {
		return Setting{}
	}
	s := Setting{DataTrace: best.GetDataTrace()}
	switch best.GetLevel() {
	case "INFO":
		s.Level = Info
	case "ERROR":
		s.Level = Error
	}
	return s
}

// Writer writes execution log lines to an io.Writer, one whole line per write.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewWriter returns a Writer on w; now stamps the lines (time.Now when nil).
func NewWriter(w io.Writer, now func() time.Time) *Writer {
	if now == nil {
		now = time.Now
	}
	return &Writer{w: w, now: now}
}

// Line is one execution log line. Fields are written in this order, empty ones left out.
type Line struct {
	// At, when set, is when the step happened (the method request: when the request came);
	// Write stamps the others with the time it writes them, the request's end.
	At        time.Time         `json:"-"`
	Time      string            `json:"time"`
	Level     string            `json:"level"`
	RequestID string            `json:"requestId"`
	API       string            `json:"api,omitempty"`
	Stage     string            `json:"stage,omitempty"`
	Route     string            `json:"route,omitempty"`
	Step      string            `json:"step"`
	Message   string            `json:"message"`
	Status    int               `json:"status,omitempty"`
	LatencyMs *int64            `json:"latencyMs,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      string            `json:"body,omitempty"`
}

// Write writes lines as one write, so that a request's lines stay together.
func (w *Writer) Write(lines []Line) {
	if w == nil || len(lines) == 0 {
		return
	}
	ts := w.now().UTC().Format(time.RFC3339Nano)
	var b []byte
	for i := range lines {
		lines[i].Time = ts
		if !lines[i].At.IsZero() {
			lines[i].Time = lines[i].At.UTC().Format(time.RFC3339Nano)
		}
		j, err := json.Marshal(&lines[i])
		if err != nil {
			continue
		}
		b = append(append(b, j...), '\n')
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.w.Write(b)
}

// MaxBody is how much of a body a data trace line keeps, as AWS's execution logs keep the
// first kilobyte of each.
const MaxBody = 1024

// Truncated ends a body cut at MaxBody.
const Truncated = " [TRUNCATED]"

// Body returns b as a data trace line's body: its first MaxBody bytes, marked when cut.
func Body[T ~string | ~[]byte](b T) string {
	if len(b) <= MaxBody {
		return string(b)
	}
	return string(b[:MaxBody]) + Truncated
}

// Redacted is what stands for a credential.
const Redacted = "********"

// Redactor knows which headers and query parameters carry credentials for one API.
type Redactor struct {
	headers map[string]bool // canonical header names
	query   map[string]bool // lower-case parameter names
}

// credentialHeaders always carry credentials.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Amz-Security-Token"}

// credentialQuery are query parameter names that usually carry credentials.
var credentialQuery = []string{
	"api_key", "apikey", "api-key", "key", "token", "access_token", "id_token", "refresh_token", "code",
	"client_secret", "client_assertion", "signature", "sig", "x-amz-signature", "x-amz-security-token",
	"x-amz-credential", "password", "passwd", "secret", "auth", "session", "sessionid",
}

// NewRedactor returns the redactor of an API: the usual credential headers and parameters
// plus whatever its authorizers read their identity from.
func NewRedactor(api *xdsv1alpha1.Api) *Redactor {
	r := &Redactor{headers: map[string]bool{}, query: map[string]bool{}}
	for _, h := range credentialHeaders {
		r.headers[h] = true
	}
	for _, q := range credentialQuery {
		r.query[q] = true
	}
	for _, a := range api.GetAuthorizers() {
		for _, src := range a.GetIdentitySources() {
			src = strings.TrimPrefix(strings.TrimPrefix(src, "$request."), "method.request.")
			if h, ok := strings.CutPrefix(src, "header."); ok {
				r.headers[http.CanonicalHeaderKey(h)] = true
			} else if q, ok := strings.CutPrefix(src, "querystring."); ok {
				r.query[strings.ToLower(q)] = true
			}
		}
	}
	return r
}

// Common is the redactor of the usual credential headers and parameters, for what belongs
// to no API.
var Common = NewRedactor(nil)

// Headers returns h with credential values redacted, one value per name (joined by commas).
func (r *Redactor) Headers(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) == 1 && v[0] == "" && k == "User-Agent" {
			continue // how a proxy says "send none" to net/http: not a header it sends
		}
		if r.headers[http.CanonicalHeaderKey(k)] {
			out[k] = Redacted
			continue
		}
		out[k] = strings.Join(v, ",")
	}
	return out
}

// Query returns a raw query string with credential parameters' values redacted.
func (r *Redactor) Query(raw string) string { return r.QueryMasked(raw, Redacted) }

// QueryMasked is Query with mask for the values.
func (r *Redactor) QueryMasked(raw, mask string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if hasValue && r.query[strings.ToLower(name)] {
			parts[i] = p[:strings.IndexByte(p, '=')+1] + mask
		}
	}
	return strings.Join(parts, "&")
}

// minSecret is the shortest credential value Scrub looks for in bodies: shorter ones would
// redact ordinary text by chance.
const minSecret = 4

// Secrets returns the credential values a request carries in h and its raw query (whole
// header values, and the token after an authorization scheme), for Scrub to take out of the
// bodies a data trace logs: a backend that echoes its request would otherwise put them back.
func (r *Redactor) Secrets(h http.Header, rawQuery string) []string {
	var out []string
	add := func(v string) {
		if len(v) >= minSecret {
			out = append(out, v)
		}
	}
	for k, vs := range h {
		if !r.headers[http.CanonicalHeaderKey(k)] {
			continue
		}
		for _, v := range vs {
			add(v)
			if _, token, ok := strings.Cut(v, " "); ok {
				add(strings.TrimSpace(token))
			}
		}
	}
	if rawQuery != "" {
		for _, p := range strings.Split(rawQuery, "&") {
			name, value, ok := strings.Cut(p, "=")
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if !ok || !r.query[strings.ToLower(name)] {
				continue
			}
			add(value)
			if v, err := url.QueryUnescape(value); err == nil && v != value {
				add(v)
			}
		}
	}
	return out
}

// TargetSecrets returns the credential values an integration's own URL carries (its user
// information, its credential parameters): a backend that echoes its request would put them
// in the bodies a data trace logs, which the client never sent.
func (r *Redactor) TargetSecrets(u *url.URL) []string {
	if u == nil {
		return nil
	}
	out := r.Secrets(nil, u.RawQuery)
	if u.User != nil {
		if p, ok := u.User.Password(); ok && len(p) >= minSecret {
			out = append(out, p)
		}
		if n := u.User.Username(); len(n) >= minSecret {
			out = append(out, n)
		}
	}
	return out
}

// Scrub returns body with every secret replaced by Redacted.
func Scrub(body string, secrets []string) string {
	for _, s := range secrets {
		if strings.Contains(body, s) {
			body = strings.ReplaceAll(body, s, Redacted)
		}
	}
	return body
}

// URL returns u as a string with user information and credential parameters redacted.
func (r *Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery = r.Query(c.RawQuery)
	if c.User == nil {
		return c.String()
	}
	// Written by hand: url.User would escape the asterisks.
	c.User = nil
	s := c.String()
	if i := strings.Index(s, "://"); i >= 0 {
		return s[:i+3] + Redacted + "@" + s[i+3:]
	}
	return s
}
