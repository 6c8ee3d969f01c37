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

// A Secret written with stringData reads as the API server would store it: its values in
// data, over data's own (a kubernetes.io/tls Secret of PEM text, as API.md writes one).
func TestSecretStringData(t *testing.T) {
	docs, err := Decode([]byte(`apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: cert}
data: {tls.crt: b2xk, ca.crt: Y2E=}
stringData: {tls.crt: "new", tls.key: "key"}
`), "secret.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var in compile.Inputs
	AddTo(&in, docs, "default")
	if len(in.Secrets) != 1 {
		t.Fatalf("%d secrets", len(in.Secrets))
	}
	s := in.Secrets[0]
	if string(s.Data["tls.crt"]) != "new" || string(s.Data["tls.key"]) != "key" || string(s.Data["ca.crt"]) != "ca" || s.StringData != nil {
		t.Errorf("data %q, stringData %q", s.Data, s.StringData)
	}
}
