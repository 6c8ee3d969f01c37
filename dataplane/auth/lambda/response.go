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
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// decision is a function's parsed answer. It is immutable once built: the cache shares it
// between requests, each of which evaluates it against its own methodArn.
type decision struct {
	// simple is set for a {isAuthorized} answer, whose verdict is authorized.
	simple     bool
	authorized bool
	// policy is the answer's policyDocument when it is not simple.
	policy      *policy
	principalID string
	context     map[string]string
	// values are the context values as answered, compact JSON, for Lambda events.
	values   map[string]json.RawMessage
	usageKey string
	// size is the answer's length, what the cache charges for it.
	size int
}

// allows reports whether the decision lets arn through.
func (d *decision) allows(arn string) bool {
	if d.simple {
		return d.authorized
	}
	return d.policy.allows(invokeAction, arn)
}

// mayInvalidate reports whether the decision lets the caller invalidate arn's cache entries:
// only a policy granting execute-api:InvalidateCache on it does. A simple answer
// ({isAuthorized}) carries no permissions beyond invoking, so it never does.
func (d *decision) mayInvalidate(arn string) bool {
	return !d.simple && d.policy.allows(invalidateAction, arn)
}

// errUnauthorized is a function's "Unauthorized" answer: the caller gets 401.
var errUnauthorized = errors.New("the function answered Unauthorized")

// isUnauthorized recognizes the ways a function says "Unauthorized": AWS's blueprints
// fail with that exact error message (callback("Unauthorized") in Node.js,
// raise Exception('Unauthorized') in Python), which reaches an HTTP caller as the plain
// text, a JSON string, or a Lambda error object {"errorMessage": "Unauthorized"}; an HTTP
// service may also simply answer 401.
func isUnauthorized(status int, body []byte) bool {
	if status == http.StatusUnauthorized {
		return true
	}
	b := bytes.TrimSpace(body)
	if string(b) == "Unauthorized" || string(b) == `"Unauthorized"` {
		return true
	}
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	var e struct {
		ErrorMessage *string `json:"errorMessage"`
	}
	return json.Unmarshal(b, &e) == nil && e.ErrorMessage != nil && *e.ErrorMessage == "Unauthorized"
}

// parseDecision decodes a function's 2xx answer. simple accepts {isAuthorized, context}
// (payload 2.0 with enableSimpleResponses); every format accepts the policy answer
// {principalId, policyDocument, context, usageIdentifierKey}. strictContext refuses
// context values that are objects or arrays, as Amazon API Gateway's REST APIs (payload
// 1.0) do; otherwise they are passed on as compact JSON, as HTTP APIs allow them.
func parseDecision(body []byte, simple, strictContext bool) (*decision, error) {
	if isUnauthorized(http.StatusOK, body) {
		return nil, errUnauthorized
	}
	var raw struct {
		IsAuthorized       json.RawMessage            `json:"isAuthorized"`
		PrincipalID        json.RawMessage            `json:"principalId"`
		PolicyDocument     json.RawMessage            `json:"policyDocument"`
		Context            map[string]json.RawMessage `json:"context"`
		UsageIdentifierKey *string                    `json:"usageIdentifierKey"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("the function's answer does not decode: %w", err)
	}
	d := &decision{size: len(body)}
	switch {
	case simple && present(raw.IsAuthorized):
		if err := json.Unmarshal(raw.IsAuthorized, &d.authorized); err != nil {
			return nil, fmt.Errorf("isAuthorized is not a boolean")
		}
		d.simple = true
	case present(raw.PolicyDocument):
		p, err := parsePolicy(raw.PolicyDocument)
		if err != nil {
			return nil, err
		}
		d.policy = p
	case simple:
		return nil, errors.New("the function's answer has neither isAuthorized nor policyDocument")
	default:
		return nil, errors.New("the function's answer has no policyDocument")
	}
	if present(raw.PrincipalID) {
		s, err := scalar(raw.PrincipalID, true)
		if err != nil {
			return nil, fmt.Errorf("principalId: %w", err)
		}
		d.principalID = s
	}
	if raw.UsageIdentifierKey != nil {
		d.usageKey = *raw.UsageIdentifierKey
	}
	if len(raw.Context) > 0 {
		d.context = make(map[string]string, len(raw.Context))
		d.values = make(map[string]json.RawMessage, len(raw.Context))
		for k, v := range raw.Context {
			if !present(v) {
				continue
			}
			s, err := scalar(v, strictContext)
			if err != nil {
				return nil, fmt.Errorf("context %q: %w", k, err)
			}
			d.context[k] = s
			var buf bytes.Buffer
			if err := json.Compact(&buf, v); err != nil {
				return nil, fmt.Errorf("context %q: %w", k, err)
			}
			d.values[k] = buf.Bytes()
		}
	}
	return d, nil
}

// scalar renders a JSON value as $context.authorizer.* holds it: strings as they are,
// numbers and booleans as their JSON text ("42", "true"), as AWS stringifies them. Objects
// and arrays are an error when strict, compact JSON otherwise.
func scalar(raw json.RawMessage, strict bool) (string, error) {
	v := bytes.TrimSpace(raw)
	switch {
	case len(v) == 0:
		return "", nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	case v[0] == '{' || v[0] == '[':
		if strict {
			return "", errors.New("objects and arrays are not allowed; use strings, numbers or booleans")
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	return string(v), nil
}
