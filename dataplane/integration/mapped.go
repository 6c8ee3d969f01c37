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
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/vtl"
)

// A non-proxy HTTP integration, as in Amazon API Gateway: the backend gets only what is
// mapped (the request template's output or the passed-through body, requestParameters and
// the template's $context.requestOverride), never the client's headers or query string; its
// answer goes through the integration responses. Both bodies are held in memory (bounded),
// as templates need them whole.

// Passthrough behaviours and content handlings.
const (
	PassthroughWhenNoMatch     = "WHEN_NO_MATCH"
	PassthroughWhenNoTemplates = "WHEN_NO_TEMPLATES"
	PassthroughNever           = "NEVER"
	ConvertToText              = "CONVERT_TO_TEXT"
	ConvertToBinary            = "CONVERT_TO_BINARY"
)

type mappedHTTP struct {
	shared      *Shared
	target      *target
	params      *mappings
	timeout     time.Duration
	responses   *gatewayresponse.Set
	method      string
	passthrough string
	convert     string
	binary      []string
	templates   *templates
	integResps  *integrationResponses
	vars        *vtl.Map
	transport   http.RoundTripper
}

func (s *Shared) newMappedHTTP(in *xdsv1alpha1.Integration, spec Spec, t *target, params *mappings, timeout time.Duration) (*mappedHTTP, error) {
	h := &mappedHTTP{
		shared: s, target: t, params: params, timeout: timeout, responses: spec.Responses,
		method: in.GetHttpMethod(), passthrough: in.GetPassthroughBehavior(), convert: in.GetContentHandling(),
		binary: spec.BinaryMediaTypes, vars: stageVariables(spec.Variables),
		transport: s.upstream(spec, t),
	}
	switch h.passthrough {
	case "":
		h.passthrough = PassthroughWhenNoMatch
	case PassthroughWhenNoMatch, PassthroughWhenNoTemplates, PassthroughNever:
	default:
		return nil, fmt.Errorf("passthroughBehavior %q is not WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER", h.passthrough)
	}
	if h.convert != "" && h.convert != ConvertToText && h.convert != ConvertToBinary {
		return nil, fmt.Errorf("contentHandling %q is not CONVERT_TO_TEXT or CONVERT_TO_BINARY", h.convert)
	}
	var err error
	if h.templates, err = compileTemplates("requestTemplates", in.GetRequestTemplates()); err != nil {
		return nil, err
	}
	if h.integResps, err = compileResponses(in.GetResponses()); err != nil {
		return nil, err
	}
	return h, nil
}

// maxBackendBody bounds the backend's answer held in memory for the integration responses.
const maxBackendBody = MaxBodyBytes

func (h *mappedHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := reqctx.From(r.Context())
	body, err := rc.ReadBody(r, MaxBodyBytes)
	switch {
	case errors.Is(err, reqctx.ErrBodyTooLarge):
		gatewayresponse.Write(w, r, gatewayresponse.RequestTooLarge, h.responses, rc.ID)
		return
	case err != nil:
		badClientBody(w, r, h.responses, rc)
		return
	}
	ct := MediaType(r.Header.Get("Content-Type"))
	out, ov, typ, ok := h.requestBody(w, r, rc, body, ct)
	if !ok {
		return
	}

	// The target, with the client's query string left out: only mapped values go.
	bare := *r
	bareURL := *r.URL
	bareURL.RawQuery = ""
	bare.URL = &bareURL
	overrides, err := h.params.pathOverrides(r, rc)
	if err != nil {
		rc.Integration.Error = err.Error()
		writeFailure(w, r, err, h.responses, rc.ID)
		return
	}
	if len(ov.Path) > 0 {
		if overrides == nil {
			overrides = map[string]string{}
		}
		for k, v := range ov.Path {
			overrides[k] = v
		}
	}
	u, ep, err := h.target.resolve(&bare, rc, overrides, false)
	if err != nil {
		rc.Integration.Error = err.Error()
		h.shared.Log.V(1).Info("integration target", "route", rc.RouteName, "error", err.Error())
		writeFailure(w, r, err, h.responses, rc.ID)
		return
	}
	if ep != nil {
		rc.Integration.Endpoint = ep.Addr
	}
	rc.Target = u
	rc.MappedBody = out
	method := h.method
	if method == "" {
		method = r.Method
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(out))
	if err != nil {
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, h.responses, rc.ID)
		return
	}
	if len(out) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header.Set("Content-Type", typ)
	req.Header.Set(gatewayresponse.HeaderRequestID, rc.ID)
	h.params.apply(req, r, rc)
	applyOverrides(req, ov)
	rc.EndpointHeaders = req.Header

	res, err := h.transport.RoundTrip(req)
	if err != nil {
		h.fail(w, r, rc, ctx, err)
		return
	}
	payload, err := io.ReadAll(io.LimitReader(res.Body, maxBackendBody+1))
	_ = res.Body.Close()
	if err != nil || len(payload) > maxBackendBody {
		if err == nil {
			err = errors.New("the backend's answer is larger than 10 MB")
		}
		h.fail(w, r, rc, ctx, err)
		return
	}
	rc.EndpointBody = payload
	payload, encoding, err := decodeAnswer(res.Header, payload)
	if err != nil {
		h.fail(w, r, rc, ctx, err)
		return
	}
	h.respond(w, r, rc, res, payload, encoding)
}

// decodeAnswer undoes a backend answer's Content-Encoding of gzip or deflate (an S3 object
// stored gzipped, a backend compressing unasked): templates and responseParameters read the
// content, and the client, which gets no Content-Encoding from a non-proxy integration
// unless one is mapped, gets it too (compressed again by minimumCompressionSize, if set).
// Other codings (br, zstd) cannot be undone here: the body stays as it is and their
// Content-Encoding is returned, for the client to get with it.
func decodeAnswer(h http.Header, payload []byte) ([]byte, string, error) {
	enc := h.Get("Content-Encoding")
	if enc == "" || strings.EqualFold(strings.TrimSpace(enc), "identity") {
		return payload, "", nil
	}
	text, decoded, err := reqctx.Decode(enc, payload, maxBackendBody)
	switch {
	case errors.Is(err, reqctx.ErrBodyTooLarge):
		return nil, "", errors.New("the backend's answer decompresses to more than 10 MB")
	case err != nil:
		return nil, "", fmt.Errorf("the backend's answer does not decompress as its Content-Encoding %q says", enc)
	case !decoded:
		return payload, enc, nil
	}
	return []byte(text), "", nil
}

// requestBody renders the backend request's body: the template for the request's media
// type, or the body itself as passthroughBehavior allows. It answers the client itself and
// returns ok false when the request goes no further.
func (h *mappedHTTP) requestBody(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, body *reqctx.Body, ct string) (out []byte, ov vtl.RequestOverride, typ string, ok bool) {
	// AWS's conversions: a body of a binary media type is base64-encoded for
	// CONVERT_TO_TEXT and passed as it is for CONVERT_TO_BINARY; any other body is text,
	// which CONVERT_TO_BINARY base64-decodes.
	text, shared := body.Text, true
	binary := h.convert != "" && isBinary(ct, h.binary)
	switch {
	case h.convert == ConvertToText && binary:
		text, shared = base64.StdEncoding.EncodeToString([]byte(body.Text)), false
	case h.convert == ConvertToBinary && !binary:
		b, err := base64.StdEncoding.DecodeString(body.Text)
		if err != nil {
			gatewayresponse.Write(w, r, gatewayresponse.BadRequestBody, h.responses, rc.ID)
			return nil, ov, "", false
		}
		text, shared = string(b), false
	}
	typ = "application/json"
	if v := r.Header["Content-Type"]; len(v) > 0 && v[0] != "" { // Get's answer, without canonicalising a canonical name
		typ = v[0]
	}
	var tmpl *vtl.Template
	if h.templates != nil {
		tmpl = h.templates.byType[ct]
	}
	if tmpl == nil {
		if h.passthrough == PassthroughNever || (h.passthrough == PassthroughWhenNoTemplates && h.templates != nil) {
			gatewayresponse.Write(w, r, gatewayresponse.UnsupportedMediaType, h.responses, rc.ID)
			return nil, ov, "", false
		}
		return []byte(text), ov, typ, true
	}
	e := env(r, rc, nil, h.vars, tmpl)
	e.Body = text
	if shared {
		e.JSON = body.TemplateJSON
	}
	res, err := tmpl.Eval(r.Context(), &e, nil)
	if err != nil {
		templateFailed(w, r, rc, h.shared, h.responses, "request template "+ct, err)
		return nil, ov, "", false
	}
	return res.OutputBytes(), res.RequestOverride, typ, true
}

// applyOverrides sets $context.requestOverride's headers and query string values.
func applyOverrides(req *http.Request, ov vtl.RequestOverride) {
	for k, v := range ov.Header {
		if validHeaderValue(k, v) {
			req.Header.Set(k, v)
		}
	}
	if len(ov.QueryString) > 0 {
		q := req.URL.Query()
		for k, v := range ov.QueryString {
			q.Set(k, v)
		}
		req.URL.RawQuery = q.Encode()
	}
}

func validHeaderValue(k, v string) bool {
	if k == "" || len(v) > 8<<10 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// respond writes the client's response from the backend's answer and the integration
// response its status selects. encoding is the answer's Content-Encoding when payload is
// still encoded with it (decodeAnswer).
func (h *mappedHTTP) respond(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, res *http.Response, payload []byte, encoding string) {
	out := w.Header()
	ir := h.integResps.selectResponse(res.StatusCode)
	status, ct := res.StatusCode, res.Header.Get("Content-Type")
	var ov vtl.ResponseOverride
	if ir != nil {
		status = ir.status
		// The mapped headers are set once the template has run (it reads the backend's
		// body, not them): a failure answers 500 with the headers the steps before the
		// integration set (CORS, Vary), and none of the response's.
		mapped := payload
		// AWS's table of response conversions: a binary answer (binaryMediaTypes) to a
		// client that accepts a binary type passes as it is, whatever templates there are.
		binary := isBinary(ct, h.binary) && isBinary(gatewayresponse.FirstMediaType(r.Header.Get("Accept")), h.binary)
		if ir.templates != nil && !binary {
			encoding = "" // the template's output is what the client gets
			var tmpl *vtl.Template
			ct, tmpl = ir.templates.forAccept(r.Header.Get("Accept"))
			e := env(r, rc, nil, h.vars, tmpl)
			e.Body = string(payload)
			result, err := tmpl.Eval(r.Context(), &e, nil)
			if err != nil {
				templateFailed(w, r, rc, h.shared, h.responses, "response template "+ct, err)
				return
			}
			payload, ov = []byte(result.Output), result.ResponseOverride
		}
		ir.headers(out, res.Header, mapped)
		if ct == "" {
			// AWS's integration responses answer JSON unless told otherwise.
			ct = "application/json"
		}
	}
	// A Content-Type the integration response maps (header.Content-Type: "'text/html'")
	// is the client's, as in AWS: the usual way to serve HTML from a template.
	if ct != "" && len(out["Content-Type"]) == 0 {
		out.Set("Content-Type", ct)
	}
	if encoding != "" && out.Get("Content-Encoding") == "" {
		out.Set("Content-Encoding", encoding)
	}
	for k, v := range ov.Header {
		if validHeaderValue(k, v) {
			out.Set(k, v)
		}
	}
	if ov.Status >= 100 && ov.Status <= 599 {
		status = ov.Status
	}
	if status != http.StatusNoContent && status != http.StatusNotModified && (status < 100 || status >= 200) {
		out.Set("Content-Length", strconv.Itoa(len(payload)))
	} else {
		payload = nil
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(payload)
	}
}

// fail answers a request the backend did not answer.
func (h *mappedHTTP) fail(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, ctx context.Context, err error) {
	rc.Integration.Error = err.Error()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil:
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationTimeout, h.responses, rc.ID)
	case r.Context().Err() != nil:
		w.WriteHeader(StatusClientClosedRequest)
	default:
		h.shared.Log.V(1).Info("integration failed", "route", rc.RouteName, "error", err.Error())
		gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, h.responses, rc.ID)
	}
}
