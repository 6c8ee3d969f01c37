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

package manifest

import (
	"testing"

	"github.com/portico-dev/portico/controllers/compile"
)

const sliceOnly = `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: fn}
spec:
  restApiRef: {name: pets}
  path: /pets/{proxy+}
  methods: [ANY]
  integration:
    type: LAMBDA_PROXY
    backendRef: {name: fn, port: 8080, path: /2015-03-31/functions/function/invocations}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: prod}
spec: {restApiRef: {name: pets}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: fn-1
  labels: {kubernetes.io/service-name: fn}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [127.0.0.1]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: other
  labels: {kubernetes.io/service-name: defined}
addressType: IPv4
ports: [{port: 9090}]
endpoints: [{addresses: [127.0.0.2]}]
---
apiVersion: v1
kind: Service
metadata: {name: defined}
spec: {ports: [{port: 9090}]}
`

// In files, an EndpointSlice without its Service is enough to reach a backend.
func TestEndpointSliceOnlyBackend(t *testing.T) {
	docs, err := Decode([]byte(sliceOnly), "slices.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var in compile.Inputs
	AddTo(&in, docs, "default")
	ServicesForSlices(&in)
	if len(in.Services) != 2 || in.Services[1].Name != "fn" || in.Services[1].Spec.Ports[0].Port != 8080 ||
		in.Services[1].Spec.Ports[0].Name != "http" {
		t.Fatalf("services %+v", in.Services)
	}
	out := compile.Compile(in)
	found := false
	for _, eps := range out.Endpoints {
		if eps.Cluster == "default/fn:8080" && len(eps.Addresses) == 1 && eps.Addresses[0] == "127.0.0.1:8080" {
			found = true
		}
	}
	if !found {
		t.Errorf("endpoints %+v", out.Endpoints)
	}
}
