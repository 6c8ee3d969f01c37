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
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/internal/mapping"
)

// clusterName names the endpoint set of a Service port: "<namespace>/<service>:<port>".
func clusterName(namespace, service string, port int32) string {
	return fmt.Sprintf("%s/%s:%d", namespace, service, port)
}

func parseCluster(cluster string) (namespace, service string, port int32, ok bool) {
	ns, rest, ok1 := strings.Cut(cluster, "/")
	svc, p, ok2 := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(p, 10, 32)
	if !ok1 || !ok2 || err != nil {
		return "", "", 0, false
	}
	return ns, svc, int32(n), true
}

// servicePort finds the Service port a cluster names.
func (w *world) servicePort(cluster string) (*corev1.Service, *corev1.ServicePort, string) {
	ns, svcName, port, ok := parseCluster(cluster)
	if !ok {
		return nil, nil, fmt.Sprintf("backend %q is not a Service port", cluster)
	}
	svc := w.services[nsName{ns, svcName}]
	if svc == nil {
		return nil, nil, fmt.Sprintf("Service %s does not exist in namespace %s", svcName, ns)
	}
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			return svc, &svc.Spec.Ports[i], ""
		}
	}
	return svc, nil, fmt.Sprintf("Service %s has no port %d", svcName, port)
}

// backendProblem says what is wrong with a backend, or "" when its Service port exists.
func (w *world) backendProblem(cluster string) string {
	_, _, problem := w.servicePort(cluster)
	return problem
}

// endpoints resolves a cluster to the ready addresses of its Service's EndpointSlices, matching
// the Service port to the slice port by name, as kube-proxy does.
func (w *world) endpoints(cluster string) ir.Endpoints {
	out := ir.Endpoints{Cluster: cluster}
	svc, sp, problem := w.servicePort(cluster)
	if problem != "" {
		return out
	}
	for _, es := range w.slices[nsName{svc.Namespace, svc.Name}] {
		var port int32 = -1
		for _, p := range es.Ports {
			if ptrString(p.Name) == sp.Name && p.Port != nil {
				port = *p.Port
			}
		}
		if port < 0 {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, addr := range ep.Addresses {
				out.Addresses = append(out.Addresses, net.JoinHostPort(addr, strconv.Itoa(int(port))))
			}
		}
	}
	sort.Strings(out.Addresses)
	out.Addresses = slices.Compact(out.Addresses)
	return out
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// compileAuthorizer compiles an Authorizer (records its status too).
func (w *world) compileAuthorizer(st statuses, a *apiv1.Authorizer) *ir.Authorizer {
	s := &a.Spec
	out := &ir.Authorizer{
		Name:                         a.Name,
		Type:                         string(s.Type),
		IdentitySources:              s.IdentitySources,
		IdentityValidationExpression: s.IdentityValidationExpression,
		ResultTTLSeconds:             300,
	}
	if len(out.IdentitySources) == 0 {
		out.IdentitySources = []string{"$request.header.Authorization"}
	}
	if s.ResultTTLSeconds != nil {
		out.ResultTTLSeconds = *s.ResultTTLSeconds
	}
	status := st.of(KindAuthorizer, a)
	if j := s.JWT; j != nil {
		jwks, _ := mapping.JWKSURI(j.Issuer, j.JWKSURI) // an error refuses the Authorizer below
		out.JWT = &ir.JWT{
			Issuer: j.Issuer, Audiences: sortedCopy(j.Audiences), JWKSURI: jwks, ClockSkewSeconds: 60,
		}
		if j.ClockSkewSeconds != nil {
			out.JWT.ClockSkewSeconds = *j.ClockSkewSeconds
		}
	}
	if f := s.Function; f != nil {
		out.Function = &ir.AuthorizerFunction{
			URI:                   f.URI,
			TimeoutMillis:         orDefaultInt(f.TimeoutMillis, 10000),
			PayloadFormatVersion:  orDefault(f.PayloadFormatVersion, "1.0"),
			EnableSimpleResponses: f.EnableSimpleResponses,
		}
		if f.BackendRef != nil {
			out.Function.Backend = &ir.Backend{Cluster: clusterName(a.Namespace, f.BackendRef.Name, f.BackendRef.Port), Path: f.BackendRef.Path}
			if msg := w.backendProblem(out.Function.Backend.Cluster); msg != "" {
				status.set(apiv1.ConditionReady, false, apiv1.ReasonBackendNotFound, msg+"; requests it authorizes get 500 AUTHORIZER_FAILURE until it exists")
			}
		}
	}
	if reason, err := authorizerProblem(a); err != nil {
		status.refuse(reason, err.Error()+"; the routes that name it are refused")
	}
	status.accept("the authorizer is valid", "in use by the routes that name it")
	return out
}

// authorizerProblem says why an Authorizer would fail on the proxy (identity sources the proxy
// does not read for its type, a JWT key address it could not fetch, an identityValidationExpression
// Go's regexp does not compile), so that the Authorizer and its routes are refused here, with a
// reason, rather than the whole stage by the proxy.
func authorizerProblem(a *apiv1.Authorizer) (reason string, err error) {
	if _, err := mapping.CheckIdentitySources(string(a.Spec.Type), a.Spec.IdentitySources); err != nil {
		return apiv1.ReasonInvalidIdentitySource, err
	}
	if expr := a.Spec.IdentityValidationExpression; expr != "" && a.Spec.Type == apiv1.AuthorizerToken {
		// The proxy's RE2 has no lookarounds or backreferences, which expressions written
		// for AWS's (Java) regular expressions may use.
		if _, err := mapping.CompileIdentityValidation(expr); err != nil {
			return apiv1.ReasonRejected, fmt.Errorf("%w (Go's RE2 syntax: no lookarounds or backreferences)", err)
		}
	}
	if j := a.Spec.JWT; j != nil {
		if _, err := mapping.JWKSURI(j.Issuer, j.JWKSURI); err != nil {
			return apiv1.ReasonInvalidJWKSURI, err
		}
	}
	if f := a.Spec.Function; f != nil && f.URI != "" {
		// The proxy's parser, as for integration uris: a stage variable is a whole host (or
		// host:port) or stands in the path or query, never part of a host.
		if _, err := mapping.ParseTemplate(f.URI, nil); err != nil {
			return apiv1.ReasonInvalidTemplate, fmt.Errorf("function.%w", err)
		}
	}
	return "", nil
}
