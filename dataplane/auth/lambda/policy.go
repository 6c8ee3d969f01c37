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
	"strings"
	"unicode/utf8"
)

// The IAM actions Amazon API Gateway checks an authorizer's policy for, lower case since
// actions compare case-insensitively: invokeAction to let a request through at all,
// invalidateAction to let it invalidate a cache entry with Cache-Control: max-age=0.
const (
	invokeAction     = "execute-api:invoke"
	invalidateAction = "execute-api:invalidatecache"
)

// policy is a parsed IAM policy document as an authorizer returns it. It is immutable, so a
// cached one is evaluated concurrently against each request's methodArn.
type policy struct {
	statements []statement
}

// statement is one policy statement. Exactly one of actions and notActions, and one of
// resources and notResources, is used, as the not flags say.
type statement struct {
	deny bool
	// actions are lower-cased patterns.
	actions   []string
	notAction bool
	resources []string
	notRes    bool
	// conditional is set when the statement has a Condition, which Portico cannot evaluate.
	conditional bool
}

// errPolicy wraps every reason a policy document is refused.
var errPolicy = errors.New("invalid policy document")

type rawDocument struct {
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Effect      string          `json:"Effect"`
	Action      json.RawMessage `json:"Action"`
	NotAction   json.RawMessage `json:"NotAction"`
	Resource    json.RawMessage `json:"Resource"`
	NotResource json.RawMessage `json:"NotResource"`
	Condition   json.RawMessage `json:"Condition"`
}

// parsePolicy parses a policyDocument: {"Version": ..., "Statement": [...]} where Statement
// may also be a single object, and Action and Resource strings or lists of strings.
func parsePolicy(raw []byte) (*policy, error) {
	var doc rawDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", errPolicy, err)
	}
	var raws []rawStatement
	switch trimmed := bytes.TrimSpace(doc.Statement); {
	case len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")):
		// No statement allows nothing; the request is denied, not failed.
	case trimmed[0] == '{':
		var one rawStatement
		if err := json.Unmarshal(trimmed, &one); err != nil {
			return nil, fmt.Errorf("%w: Statement: %w", errPolicy, err)
		}
		raws = append(raws, one)
	default:
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, fmt.Errorf("%w: Statement: %w", errPolicy, err)
		}
	}
	p := &policy{statements: make([]statement, 0, len(raws))}
	for i, rs := range raws {
		st, err := parseStatement(rs)
		if err != nil {
			return nil, fmt.Errorf("%w: statement %d: %w", errPolicy, i, err)
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

func parseStatement(rs rawStatement) (statement, error) {
	var st statement
	switch {
	case strings.EqualFold(rs.Effect, "Allow"):
	case strings.EqualFold(rs.Effect, "Deny"):
		st.deny = true
	default:
		return st, fmt.Errorf("effect %q is neither Allow nor Deny", rs.Effect)
	}
	var err error
	if st.actions, st.notAction, err = pick(rs.Action, rs.NotAction, "Action"); err != nil {
		return st, err
	}
	for i, a := range st.actions {
		st.actions[i] = strings.ToLower(a)
	}
	if st.resources, st.notRes, err = pick(rs.Resource, rs.NotResource, "Resource"); err != nil {
		return st, err
	}
	c := bytes.TrimSpace(rs.Condition)
	st.conditional = len(c) > 0 && !bytes.Equal(c, []byte("null")) && !bytes.Equal(c, []byte("{}"))
	return st, nil
}

// pick returns the patterns of whichever of the element and its Not form is set.
func pick(elem, notElem json.RawMessage, name string) ([]string, bool, error) {
	has, hasNot := present(elem), present(notElem)
	switch {
	case has && hasNot:
		return nil, false, fmt.Errorf("both %s and Not%s", name, name)
	case has:
		list, err := stringOrList(elem)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", name, err)
		}
		return list, false, nil
	case hasNot:
		list, err := stringOrList(notElem)
		if err != nil {
			return nil, false, fmt.Errorf("not%s: %w", name, err)
		}
		return list, true, nil
	}
	return nil, false, fmt.Errorf("no %s", name)
}

func present(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// stringOrList decodes an IAM element that is a string or a list of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("neither a string nor a list of strings")
	}
	return list, nil
}

// allows reports whether the policy allows action (lower case) on arn: some statement
// allows it and none denies it (an explicit Deny wins, and no Allow means deny, as in IAM).
// A statement with a Condition never allows, since Portico cannot evaluate it, and always
// denies when its action and resource match: an unknown condition must not open access nor
// let a Deny lapse. Actions match as IAM matches them, so "execute-api:*" and "*" grant
// InvalidateCache as well as Invoke, as they do in AWS.
func (p *policy) allows(action, arn string) bool {
	allowed := false
	for i := range p.statements {
		st := &p.statements[i]
		if !st.matches(action, arn) {
			continue
		}
		if st.deny {
			return false
		}
		if !st.conditional {
			allowed = true
		}
	}
	return allowed
}

func (st *statement) matches(action, arn string) bool {
	if anyMatch(st.actions, action) == st.notAction {
		return false
	}
	return anyMatch(st.resources, arn) != st.notRes
}

func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against an IAM pattern where '*' matches any run of characters
// ('/' and ':' included) and '?' any one character: a whole UTF-8 character, since a decoded
// path may hold some, and a Deny of "pets/?" must cover "pets/é". It backtracks only to the
// last '*', so it runs in O(len(pattern)·len(s)) at worst, whatever a function puts in its
// policy.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == '?':
			_, n := utf8.DecodeRuneInString(s[i:])
			p++
			i += n
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			// Let the '*' take one more character, whole, so that the match resumes on a
			// character boundary.
			_, n := utf8.DecodeRuneInString(s[mark:])
			mark += n
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
