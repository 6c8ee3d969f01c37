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

package compile

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// segment is one segment of a route path.
type segment struct {
	literal string // set for literal segments
	param   string // set for {param} and {param+}
	greedy  bool
}

// parsePath splits a route path into segments. The CRD schema already refuses bad paths;
// this re-checks because the file source has no API server in front of it.
func parsePath(path string) ([]segment, error) {
	if path == "/" {
		return nil, nil
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q must start with /", path)
	}
	parts := strings.Split(path[1:], "/")
	segs := make([]segment, 0, len(parts))
	seen := map[string]bool{}
	for i, p := range parts {
		switch {
		case p == "":
			return nil, fmt.Errorf("path %q has an empty segment", path)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name := p[1 : len(p)-1]
			greedy := strings.HasSuffix(name, "+")
			name = strings.TrimSuffix(name, "+")
			if !paramName.MatchString(name) {
				return nil, fmt.Errorf("path %q: %q is not a parameter name", path, name)
			}
			if greedy && i != len(parts)-1 {
				return nil, fmt.Errorf("path %q: greedy {%s+} must be the last segment", path, name)
			}
			if seen[name] {
				return nil, fmt.Errorf("path %q names parameter %q twice", path, name)
			}
			seen[name] = true
			segs = append(segs, segment{param: name, greedy: greedy})
		case strings.ContainsAny(p, "{}"):
			return nil, fmt.Errorf("path %q: segment %q mixes a literal and a parameter", path, p)
		default:
			segs = append(segs, segment{literal: p})
		}
	}
	return segs, nil
}

var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// shapeKey is the path with parameter names erased: two routes with the same shape and an
// overlapping method can never be told apart.
func shapeKey(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		switch {
		case s.greedy:
			b.WriteString("{+}")
		case s.param != "":
			b.WriteString("{}")
		default:
			b.WriteString(s.literal)
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

func params(segs []segment) map[string]bool {
	out := map[string]bool{}
	for _, s := range segs {
		if s.param != "" {
			out[s.param] = true
		}
	}
	return out
}

var (
	stageVarRef = regexp.MustCompile(`\$\{([^}]*)\}`)
	pathRef     = regexp.MustCompile(`\{([^}]*)\}`)
)

// checkURITemplate checks an integration uri: ${stageVariables.name} references are well
// formed and {param} references name parameters of the route's path.
func checkURITemplate(uri string, pathParams map[string]bool) error {
	for _, m := range stageVarRef.FindAllStringSubmatch(uri, -1) {
		name, ok := strings.CutPrefix(m[1], "stageVariables.")
		if !ok || !stageVarName.MatchString(name) {
			return fmt.Errorf("uri %q: ${%s} is not a stage variable reference; write ${stageVariables.<name>}", uri, m[1])
		}
	}
	rest := stageVarRef.ReplaceAllString(uri, "x")
	for _, m := range pathRef.FindAllStringSubmatch(rest, -1) {
		name := strings.TrimSuffix(m[1], "+")
		if !pathParams[name] {
			return fmt.Errorf("uri %q: {%s} is not a parameter of the route's path", uri, m[1])
		}
	}
	u, err := url.Parse(pathRef.ReplaceAllString(rest, "x"))
	if err != nil {
		return fmt.Errorf("uri %q does not parse: %w", uri, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("uri %q must be an absolute http:// or https:// URL", uri)
	}
	return nil
}

var stageVarName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// checkParameterSource checks a requestParameters value against the route's path.
func checkParameterSource(src string, pathParams map[string]bool) error {
	if strings.HasPrefix(src, "'") {
		if len(src) < 2 || !strings.HasSuffix(src, "'") {
			return fmt.Errorf("static value %s needs a closing quote", src)
		}
		return nil
	}
	if name, ok := strings.CutPrefix(src, "$request.path."); ok && !pathParams[name] {
		return fmt.Errorf("%s: %q is not a parameter of the route's path", src, name)
	}
	for _, p := range []string{"$context.", "$request.header.", "$request.querystring.", "$request.path.", "$stageVariables."} {
		if strings.HasPrefix(src, p) && len(src) > len(p) {
			return nil
		}
	}
	return fmt.Errorf("%q is not $context.<var>, $request.header|querystring|path.<name>, $stageVariables.<name> or a 'static' value", src)
}
