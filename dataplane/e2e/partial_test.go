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

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portico-dev/portico/controllers/ir"
)

// One stage the proxy cannot build, in the same update as others, is NACKed by name: the
// control plane reports it on that stage alone, the others of the update apply and count
// as programmed, and the bad stage keeps serving its last good version (gRFC A46). This is
// the outside review's case: a REQUEST authorizer reading an unknown $context variable,
// which the compiler now refuses but an older or foreign control plane may still send.
func TestOneUnbuildableStageDoesNotBlockTheOthers(t *testing.T) {
	g := startGateway(t, seeded(1))
	out := g.deploy(fmt.Sprintf(api, "v1") + stage("", "") + `---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: beta}
spec:
  restApiRef: {name: pets}
`)
	g.programmed("default/prod")
	g.programmed("default/beta")

	var prod, beta ir.Stage
	for _, s := range out.Stages {
		switch s.Key {
		case "default/prod":
			prod = s
		case "default/beta":
			beta = s
		}
	}
	// prod gets an authorizer the proxy refuses; beta a new answer.
	brokenAPI := *prod.API
	brokenAPI.Authorizers = []ir.Authorizer{{
		Name: "auth", Type: "REQUEST", IdentitySources: []string{"$context.somethingUnknown"},
		Function: &ir.AuthorizerFunction{URI: "http://127.0.0.1:1/", TimeoutMillis: 1000, PayloadFormatVersion: "1.0"},
	}}
	brokenAPI.Routes = append([]ir.Route(nil), brokenAPI.Routes...)
	brokenAPI.Routes[0].Authorization = ir.Authorization{Authorizer: "auth"}
	prod.API, prod.Generation = &brokenAPI, 2
	betaAPI := *beta.API
	betaAPI.Routes = append([]ir.Route(nil), betaAPI.Routes...)
	betaAPI.Routes[0].Integration.Mock = &ir.Mock{StatusCode: 200, Body: "beta-v2"}
	beta.API, beta.Generation = &betaAPI, 2
	// A new stage in the same update, which never served before.
	gamma := beta
	gamma.Key, gamma.StageName = "default/gamma", "gamma"
	g.publish([]ir.Stage{prod, beta, gamma}, out.Endpoints)

	eventually(t, "prod's rejection reached the control plane", func() bool {
		return strings.Contains(g.server.Programmed("default/prod").Error, "somethingUnknown")
	})
	st := g.server.Programmed("default/prod")
	if st.Programmed || strings.Contains(st.Error, "default/beta") {
		t.Fatalf("prod's status: %+v", st)
	}
	g.programmed("default/beta")
	g.programmed("default/gamma")
	if e := g.server.Programmed("default/beta").Error; e != "" {
		t.Fatalf("beta carries a rejection: %q", e)
	}
	for path, want := range map[string]string{"/prod/hello": "v1", "/beta/hello": "beta-v2", "/gamma/hello": "beta-v2"} {
		if r := g.do("GET", path, nil); r.status != 200 || r.body != want {
			t.Errorf("GET %s = %d %q, want %q", path, r.status, r.body, want)
		}
	}
	if !g.client.Ready() {
		t.Error("the proxy is not ready although every other stage applied")
	}
}
