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
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/mapping"
)

// target is where a route's integration requests go: a bound uri template, or a cluster
// whose endpoints receive the request path under the stage as is.
type target struct {
	bound *mapping.Bound
	// static is bound parsed, when it has no parameter: a copy per request, not a parse.
	static   *url.URL
	bindErr  error
	cluster  string
	clusters *Clusters
	// path is the backend's path (backendRef.path): the whole path of a function's call, the
	// prefix of the path under the stage otherwise; "" for none.
	path string
}

// BackendPath is the path a backendRef calls on its Service, its trailing "/" cut ("" for
// the root), or an error when it is not a safe absolute path.
func BackendPath(b *xdsv1alpha1.Backend) (string, error) {
	p := strings.TrimSuffix(b.GetPath(), "/")
	if p != "" && (!strings.HasPrefix(p, "/") || mapping.CheckEscapedPath(p) != nil) {
		return "", fmt.Errorf("backend path %q is not a safe absolute path", b.GetPath())
	}
	return p, nil
}

func newTarget(in *xdsv1alpha1.Integration, spec Spec) (*target, error) {
	hasURI, hasBackend := in.GetUri() != "", in.GetBackend() != nil
	if hasURI == hasBackend {
		return nil, fmt.Errorf("a %s integration needs exactly one of uri and backend", in.GetType())
	}
	if hasBackend {
		if in.GetBackend().GetCluster() == "" {
			return nil, fmt.Errorf("backend has no cluster")
		}
		p, err := BackendPath(in.GetBackend())
		if err != nil {
			return nil, err
		}
		return &target{cluster: in.GetBackend().GetCluster(), clusters: spec.Clusters, path: p}, nil
	}
	tmpl, err := mapping.ParseTemplate(in.GetUri(), spec.Params)
	if err != nil {
		return nil, err
	}
	t := &target{}
	t.bound, t.bindErr = tmpl.Bind(spec.Variables)
	if t.bindErr != nil {
		// A stage's variables are the operator's, never the client's doing: 502, not the
		// 400 a client's path value the guard refuses gets (writeFailure).
		t.bindErr = errors.New(t.bindErr.Error())
	} else {
		if s, ok := t.bound.Static(); ok {
			if u, err := url.Parse(s); err == nil {
				t.static = u
			}
		}
	}
	return t, nil
}

var errNoEndpoints = errors.New("the backend has no endpoints")

// writeFailure answers an integration error: a value the path guard refused is the client's,
// 400 BAD_REQUEST_PARAMETERS saying so (the type's default message lists missing
// parameters, and none is missing); anything else is the backend's, 502.
func writeFailure(w http.ResponseWriter, r *http.Request, err error, responses *gatewayresponse.Set, requestID string) {
	if errors.Is(err, mapping.ErrUnsafePath) {
		gatewayresponse.WriteMessage(w, r, gatewayresponse.BadRequestParameters, unsafePathMessage, responses, requestID)
		return
	}
	gatewayresponse.Write(w, r, gatewayresponse.IntegrationFailure, responses, requestID)
}

// unsafePathMessage answers a request whose path values the path guard refused.
const unsafePathMessage = "Invalid request parameters: a path value may not be a dot segment or hold a separator"

// resolve returns the integration request's URL and, for a cluster, the endpoint chosen. A
// uri template gets the client's query string appended unless fixedPath (Lambda functions,
// whose event carries the query) is set; a cluster gets the path under the stage, or "/"
// when fixedPath. A value the path guard refuses (a parameter, an override or the path under
// the stage) fails with an error wrapping mapping.ErrUnsafePath: the request must be refused
// as the client's, before any backend sees it.
func (t *target) resolve(in *http.Request, rc *reqctx.Request, overrides map[string]string, fixedPath bool) (*url.URL, *Endpoint, error) {
	if t.bindErr != nil {
		return nil, nil, t.bindErr
	}
	if t.bound != nil {
		var u *url.URL
		if t.static != nil {
			// A copy, in the request's state: the query is added to it.
			rc.TargetURL = *t.static
			u = &rc.TargetURL
		} else {
			s, err := t.bound.Expand(&rc.Params, overrides)
			if err != nil {
				return nil, nil, err
			}
			if u, err = url.Parse(s); err != nil {
				return nil, nil, err
			}
		}
		if q := in.URL.RawQuery; q != "" && !fixedPath {
			if u.RawQuery != "" {
				u.RawQuery += "&" + q
			} else {
				u.RawQuery = q
			}
		}
		return u, nil, nil
	}
	if !fixedPath {
		// The path under the stage goes to the backend as the client wrote it: the router
		// matched it, but a greedy parameter's segments may still be "..;" or hold escaped
		// separators.
		if err := mapping.CheckEscapedPath(rc.StagePath); err != nil {
			return nil, nil, err
		}
	}
	cl := t.clusters.Get(t.cluster)
	if cl == nil || cl.Len() == 0 {
		return nil, nil, fmt.Errorf("%w: %s", errNoEndpoints, t.cluster)
	}
	ep := cl.Pick()
	u := &url.URL{Scheme: "http", Host: ep.Addr, Path: "/"}
	if t.path != "" {
		u.Path = t.path
	}
	if !fixedPath {
		u.RawQuery = in.URL.RawQuery
		if rc.StagePath != "" {
			p, err := url.PathUnescape(rc.StagePath)
			if err != nil {
				return nil, nil, err
			}
			// The prefix is plain (the compiler and newTarget allow no escapes in it), so
			// its escaped and decoded forms are the same text.
			u.Path, u.RawPath = t.path+p, t.path+rc.StagePath
		}
	}
	return u, ep, nil
}
