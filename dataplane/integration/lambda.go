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

package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/mapping"
)

// lambda is a LAMBDA_PROXY route: the request becomes an Amazon API Gateway proxy event
// (payload format 1.0 or 2.0) POSTed as JSON to the function, and the function's proxy
// response ({statusCode, headers, multiValueHeaders, cookies, body, isBase64Encoded})
// becomes the response. Unlike HTTP integrations both are buffered: the event and the
// response are single JSON documents.
//
// requestParameters are not applied to the event: Amazon API Gateway has no parameter
// mapping for proxy integrations of REST APIs either.
type lambda struct {
	shared    *Shared
	target    *target
	version   string
	timeout   time.Duration
	responses *gatewayresponse.Set
	binary    []string
	transport *upstream
}

func (s *Shared) newLambda(in *xdsv1alpha1.Integration, spec Spec, t *target, _ *mappings, timeout time.Duration) (*lambda, error) {
	v := in.GetPayloadFormatVersion()
	if v == "" {
		v = "2.0"
	}
	if v != "1.0" && v != "2.0" {
		return nil, fmt.Errorf("payloadFormatVersion %q is neither 1.0 nor 2.0", v)
	}
	return &lambda{
		shared: s, target: t, version: v, timeout: timeout, responses: spec.Responses,
		binary:    spec.BinaryMediaTypes,
		transport: s.upstream(spec, t),
	}, nil
}

// maxLambdaResponse bounds the function's answer; Lambda's own limit is 6 MB.
const maxLambdaResponse = MaxBodyBytes

func (l *lambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := reqctx.From(r.Context())
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	var tooLarge *http.MaxBytesError
	switch {
	case rc.BodyTooLarge() || errors.As(err, &tooLarge) || len(body) > MaxBodyBytes:
		gatewayresponse.Write(w, r, gatewayresponse.RequestTooLarge, l.responses, rc.ID)
		return
	case rc.BodyBroken():
		badClientBody(w, r, l.responses, rc)
		return
	case err != nil:
		rc.Integration.Error = err.Error()
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	event, err := l.event(r, rc, body)
	if err != nil {
		l.fail(w, r, rc, err)
		return
	}
	u, ep, err := l.target.resolve(r, rc, nil, true)
	if err != nil {
		l.fail(w, r, rc, err)
		return
	}
	rc.Target = u
	if ep != nil {
		rc.Integration.Endpoint = ep.Addr
	}
	ctx, cancel := context.WithTimeout(r.Context(), l.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(event))
	if err != nil {
		l.fail(w, r, rc, err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(gatewayresponse.HeaderRequestID, rc.ID)
	rc.EndpointHeaders = req.Header
	res, err := l.transport.RoundTrip(req)
	if err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil:
			rc.Integration.Error = err.Error()
			gatewayresponse.Write(w, r, gatewayresponse.IntegrationTimeout, l.responses, rc.ID)
		case r.Context().Err() != nil:
			rc.Integration.Error = err.Error()
			w.WriteHeader(StatusClientClosedRequest)
		default:
			// Unreachable: a failed call, answered as the format's (500 for 2.0).
			l.functionFailed(w, r, rc, err)
		}
		return
	}
	defer func() { _ = res.Body.Close() }()
	payload, err := io.ReadAll(io.LimitReader(res.Body, maxLambdaResponse+1))
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil:
		rc.Integration.Error = "reading the function's response: " + ctx.Err().Error()
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationTimeout, l.responses, rc.ID)
		return
	case err != nil:
		l.functionFailed(w, r, rc, fmt.Errorf("reading the function's response: %w", err))
		return
	case len(payload) > maxLambdaResponse:
		l.functionFailed(w, r, rc, fmt.Errorf("the function's response is over %d bytes", maxLambdaResponse))
		return
	case res.StatusCode < 200 || res.StatusCode > 299:
		l.functionFailed(w, r, rc, fmt.Errorf("the function answered %d", res.StatusCode))
		return
	case FunctionError(res.Header, payload):
		// The runtime's error object ({errorMessage, errorType, stackTrace}) is the
		// function's failure, not its answer: its text stays in the logs.
		l.functionFailed(w, r, rc, fmt.Errorf("the function failed: %s", FunctionErrorText(payload)))
		return
	}
	resp, err := parseLambdaResponse(payload, l.version)
	if err != nil {
		l.functionFailed(w, r, rc, err)
		return
	}
	resp.write(w, r)
}

func (l *lambda) fail(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, err error) {
	rc.Integration.Error = err.Error()
	l.shared.Log.V(1).Info("lambda integration failed", "route", rc.RouteName, "error", err.Error())
	writeFailure(w, r, err, l.responses, rc.ID)
}

// functionFailed answers a function's error or unusable answer as Amazon API Gateway does:
// 502 INTEGRATION_FAILURE for payload 1.0 (REST APIs), 500 {"message":"Internal Server
// Error"} for 2.0 (HTTP APIs). Neither carries the function's text; both are the
// INTEGRATION_FAILURE gateway response, so an override of it (or of DEFAULT_5XX) applies.
func (l *lambda) functionFailed(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, err error) {
	if l.version == "1.0" {
		l.fail(w, r, rc, err)
		return
	}
	rc.Integration.Error = err.Error()
	l.shared.Log.V(1).Info("lambda function failed", "route", rc.RouteName, "error", err.Error())
	gatewayresponse.WriteAs(w, r, gatewayresponse.IntegrationFailure, http.StatusInternalServerError,
		"Internal Server Error", l.responses, rc.ID)
}

// FunctionError reports whether a function's 2xx answer is its failure rather than its
// response: the Lambda invoke API (and the Runtime Interface Emulator) answers a function
// error 200 with X-Amz-Function-Error, and a runtime behind a plain HTTP shim may answer
// only the error object. The REST and WebSocket integrations both ask it, so that a
// failing function is never taken for one that answered.
func FunctionError(h http.Header, payload []byte) bool {
	return h.Get("X-Amz-Function-Error") != "" || isFunctionError(payload)
}

// isFunctionError recognizes the error object a Lambda runtime answers for a failed
// invocation: errorMessage or errorType, and no statusCode.
func isFunctionError(payload []byte) bool {
	var e struct {
		StatusCode   json.RawMessage `json:"statusCode"`
		ErrorMessage json.RawMessage `json:"errorMessage"`
		ErrorType    json.RawMessage `json:"errorType"`
	}
	if json.Unmarshal(payload, &e) != nil {
		return false
	}
	return e.StatusCode == nil && (e.ErrorMessage != nil || e.ErrorType != nil)
}

// FunctionErrorText is an error object's type and message, for the logs.
func FunctionErrorText(payload []byte) string {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	_ = json.Unmarshal(payload, &e)
	s := strings.TrimSpace(e.ErrorType + ": " + e.ErrorMessage)
	if len(s) > 512 {
		s = s[:512]
	}
	return s
}

// lambdaResponse is a function's proxy response, decoded.
type lambdaResponse struct {
	status  int
	headers http.Header
	body    []byte
}

// parseLambdaResponse decodes a proxy response. With payload format 2.0, a JSON answer
// without statusCode is the body of a 200 application/json response, as in AWS.
func parseLambdaResponse(payload []byte, version string) (*lambdaResponse, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil || fields["statusCode"] == nil {
		if version == "2.0" && json.Valid(payload) {
			body := payload
			var text string
			if json.Unmarshal(payload, &text) == nil {
				// AWS's inferred response: a function returning "Hello" answers Hello.
				body = []byte(text)
			}
			return &lambdaResponse{
				status:  http.StatusOK,
				headers: http.Header{"Content-Type": {"application/json"}},
				body:    body,
			}, nil
		}
		return nil, fmt.Errorf("the function's response is not a proxy response with a statusCode")
	}
	var raw struct {
		// A number, or a string of digits, which AWS takes too (its own blueprints answer
		// 'statusCode': '200'): json.Number reads both.
		StatusCode        json.Number      `json:"statusCode"`
		Headers           map[string]any   `json:"headers"`
		MultiValueHeaders map[string][]any `json:"multiValueHeaders"`
		Cookies           []string         `json:"cookies"`
		Body              *string          `json:"body"`
		IsBase64Encoded   bool             `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("the function's response does not decode: %w", err)
	}
	status, err := raw.StatusCode.Int64()
	if err != nil || status < 200 || status > 599 {
		// A 1xx is no answer: sent, it would be an interim response (100, then whatever
		// came next) or a 101 switching the connection to nothing.
		return nil, fmt.Errorf("the function's statusCode %s is not a final HTTP status (200-599)", raw.StatusCode)
	}
	out := &lambdaResponse{status: int(status), headers: http.Header{}}
	// Each format reads its own fields, as AWS's: multiValueHeaders is 1.0's, cookies 2.0's;
	// the other's is ignored (a function filling both would send its cookies twice).
	if version == "2.0" {
		raw.MultiValueHeaders = nil
	} else {
		raw.Cookies = nil
	}
	multi := make(map[string][]any, len(raw.MultiValueHeaders)) // by canonical name
	for k, vs := range raw.MultiValueHeaders {
		ck := http.CanonicalHeaderKey(k)
		multi[ck] = append(multi[ck], vs...)
		for _, v := range vs {
			if err := addHeader(out.headers, k, v); err != nil {
				return nil, err
			}
		}
	}
	for k, v := range raw.Headers {
		// A header in both maps keeps every value: headers' is added unless
		// multiValueHeaders already has it (whatever the spelling), as AWS merges them.
		if containsScalar(multi[http.CanonicalHeaderKey(k)], v) {
			continue
		}
		if err := addHeader(out.headers, k, v); err != nil {
			return nil, err
		}
	}
	for _, c := range raw.Cookies {
		if err := addHeader(out.headers, "Set-Cookie", c); err != nil {
			return nil, err
		}
	}
	if version == "1.0" && out.headers.Get("Content-Type") == "" && out.status != http.StatusNoContent && out.status != http.StatusNotModified {
		// A REST API answers a proxy response that names no Content-Type as JSON, as
		// Amazon API Gateway does (the server would otherwise sniff one: text/plain).
		out.headers.Set("Content-Type", "application/json")
	}
	if raw.Body != nil {
		if raw.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*raw.Body)
			if err != nil {
				return nil, fmt.Errorf("the function's body is not base64: %w", err)
			}
			out.body = b
		} else {
			out.body = []byte(*raw.Body)
		}
	}
	return out, nil
}

// containsScalar reports whether vs holds v, comparing only JSON scalars: == on two maps
// in interfaces would panic.
func containsScalar(vs []any, v any) bool {
	switch v.(type) {
	case string, float64, bool:
		return slices.Contains(vs, v)
	}
	return false
}

// addHeader adds a header value of a function's response: strings, numbers and booleans, as
// functions often return numbers for Content-Length-like headers.
func addHeader(h http.Header, k string, v any) error {
	if !mapping.ValidHeaderName(k) {
		return fmt.Errorf("the function's header %q is not a header name", k)
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(v)
	case nil:
		return nil
	default:
		return fmt.Errorf("the function's header %q is not a string", k)
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		return fmt.Errorf("the function's header %q has a line break", k)
	}
	h.Add(k, s)
	return nil
}

// hopHeaders are the response headers a function does not decide.
var hopHeaders = []string{"Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Trailer", "Te", "Proxy-Connection", "Content-Length", gatewayresponse.HeaderRequestID}

func (l *lambdaResponse) write(w http.ResponseWriter, r *http.Request) {
	for _, k := range hopHeaders {
		l.headers.Del(k)
	}
	h := w.Header()
	for k, v := range l.headers {
		h[k] = v
	}
	if l.status != http.StatusNoContent && l.status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(l.body)))
	}
	w.WriteHeader(l.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(l.body)
	}
}
