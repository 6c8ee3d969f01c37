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
