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

package lambda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/portico-dev/portico/dataplane/gatewayresponse"
)

// decide returns the decision for a request: from the cache when the authorizer caches and
// holds one for these identity values, else from the function. Concurrent requests with the
// same key share one call, as they would share its cached answer.
func (h *handler) decide(in *eventInput) (*decision, error) {
	var key cacheKey
	if h.ttl > 0 {
		key = newCacheKey(append(h.keyParts[:len(h.keyParts):len(h.keyParts)], in.identity...)...)
		if d, ok := h.s.cache.get(key, h.s.opts.Now(), h.ttl); ok {
			return d, nil
		}
	}
	// The event is built here, not in a shared call, which may outlive this request.
	event, err := h.event(in)
	if err != nil {
		return nil, err
	}
	requestID := in.rc.ID
	if h.ttl <= 0 {
		return h.call(in.r.Context(), event, requestID)
	}
	// Not the first caller's context: its client leaving must not fail the others, and the
	// call may outlive its request, whose state the proxy then reuses. Only its span, the
	// parent of the call's, is taken along.
	shared := trace.ContextWithSpan(context.Background(), trace.SpanFromContext(in.r.Context()))
	ch := h.s.flight.DoChan(string(key[:]), func() (any, error) {
		// A call that ended between this request's cache miss and here has put its answer:
		// take it rather than call the function twice.
		if d, ok := h.s.cache.get(key, h.s.opts.Now(), h.ttl); ok {
			return d, nil
		}
		d, err := h.call(shared, event, requestID)
		if err == nil {
			h.s.cache.put(key, d, h.s.opts.Now())
		}
		return d, err
	})
	if h.s.joined != nil {
		h.s.joined()
	}
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*decision), nil
	case <-in.r.Context().Done():
		return nil, in.r.Context().Err()
	}
}

// event is the authorizer's event for a request, in its type and payload format.
func (h *handler) event(in *eventInput) ([]byte, error) {
	switch {
	case h.token:
		return tokenEventJSON(in)
	case h.version == "1.0":
		return requestEventV1JSON(in)
	}
	return requestEventV2JSON(in)
}

// call POSTs the authorizer event to the function and parses its answer.
func (h *handler) call(ctx context.Context, event []byte, requestID string) (*decision, error) {
	target, ep, cl, err := h.target()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	res, err := h.post(ctx, target, event, requestID)
	if ep != nil && isDialError(err) {
		// Nothing reached the endpoint: take it out of rotation and try another once, as
		// the integrations do.
		cl.Eject(ep)
		if other := cl.PickOther(ep); other != nil {
			res, err = h.post(ctx, "http://"+other.Addr+h.path, event, requestID)
			if isDialError(err) {
				cl.Eject(other)
			}
		}
	}
	if err != nil {
		return nil, h.callError(ctx, err)
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	switch {
	case err != nil:
		return nil, h.callError(ctx, fmt.Errorf("reading the function's answer: %w", err))
	case len(body) > maxAnswer:
		return nil, fmt.Errorf("the function's answer is over %d bytes", maxAnswer)
	case isUnauthorized(res.StatusCode, body):
		return nil, errUnauthorized
	case res.StatusCode < 200 || res.StatusCode > 299:
		return nil, fmt.Errorf("the function answered %d", res.StatusCode)
	}
	return parseDecision(body, h.simple, h.version == "1.0")
}

func (h *handler) post(ctx context.Context, target string, event []byte, requestID string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(gatewayresponse.HeaderRequestID, requestID)
	return h.s.client.Do(req)
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// callError says when a call failed for taking longer than the function's timeout.
func (h *handler) callError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the function did not answer within %v: %w", h.timeout, err)
	}
	return err
}
