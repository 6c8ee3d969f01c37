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

package revisions

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
)

// testAPI returns an API with enough nesting (pointers, maps, slices) to make a lossy round
// trip show. seed makes distinct APIs hash differently.
func testAPI(seed string) *ir.API {
	return &ir.API{
		Protocol:               "HTTP",
		Hostnames:              []string{"pets.example.com"},
		APIKeySource:           "HEADER",
		CORS:                   &ir.CORS{AllowOrigins: []string{"https://app.example.com"}, MaxAgeSeconds: ptr.To[int32](600)},
		MinimumCompressionSize: ptr.To[int32](1024),
		GatewayResponses: map[string]ir.GatewayResponse{
			"THROTTLED": {StatusCode: 429, Headers: map[string]string{"Retry-After": "1"}, Body: ptr.To(`{"error":"slow down"}`)},
		},
		Models: []ir.Model{{Name: "Pet", ContentType: "application/json", Schema: `{"type":"object"}`}},
		Routes: []ir.Route{{
			Name:          "get-pet-" + seed,
			Path:          "/pets/{petId}",
			Methods:       []string{"GET"},
			Authorization: ir.Authorization{Authorizer: "jwt", Scopes: []string{"pets:read"}},
			Integration: ir.Integration{
				Type:          "HTTP_PROXY",
				Backend:       &ir.Backend{Cluster: "shop/pets:8080"},
				TimeoutMillis: 29000,
			},
		}},
		Authorizers: []ir.Authorizer{{
			Name: "jwt", Type: "JWT", IdentitySources: []string{"$request.header.Authorization"},
			JWT: &ir.JWT{Issuer: "https://idp.example.com/", Audiences: []string{"pets"}},
		}},
	}
}

// testRevision returns revision number of restApi in ns holding api, hashed the way the
// compiler documents (SHA-256 of the JSON).
func testRevision(t *testing.T, ns, restApi string, number int64, api *ir.API) compile.Revision {
	t.Helper()
	b, err := json.Marshal(api)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return compile.Revision{Namespace: ns, RestApi: restApi, Number: number, Hash: hex.EncodeToString(sum[:]), API: api}
}

func testOwner(ns, name string) *apiv1.RestApi {
	return &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name)}}
}

func TestToObject(t *testing.T) {
	rev := testRevision(t, "shop", "pets", 7, testAPI("a"))
	obj, err := ToObject(rev, testOwner("shop", "pets"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "pets-" + rev.Hash[:10]; obj.Name != want {
		t.Errorf("name = %q, want %q", obj.Name, want)
	}
	if obj.Namespace != "shop" || obj.Revision != 7 {
		t.Errorf("namespace, revision = %q, %d", obj.Namespace, obj.Revision)
	}
	wantLabels := map[string]string{LabelRestApi: "pets", LabelRevision: "7"}
	if !reflect.DeepEqual(obj.Labels, wantLabels) {
		t.Errorf("labels = %v, want %v", obj.Labels, wantLabels)
	}
	if obj.Annotations[AnnotationHash] != rev.Hash {
		t.Errorf("hash annotation = %q", obj.Annotations[AnnotationHash])
	}
	if !Selector().Matches(labels.Set(obj.Labels)) {
		t.Error("Selector does not match a revision")
	}
	if Selector().Matches(labels.Set{"app": "web"}) {
		t.Error("Selector matches a foreign ControllerRevision")
	}
	wantRef := metav1.OwnerReference{
		APIVersion: "apigateway.portico.dev/v1alpha1", Kind: "RestApi", Name: "pets", UID: "uid-pets",
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}
	if len(obj.OwnerReferences) != 1 || !reflect.DeepEqual(obj.OwnerReferences[0], wantRef) {
		t.Errorf("owner references = %+v, want [%+v]", obj.OwnerReferences, wantRef)
	}
	want, _ := json.Marshal(rev.API)
	if string(obj.Data.Raw) != string(want) {
		t.Errorf("data = %s, want %s", obj.Data.Raw, want)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, api := range []*ir.API{testAPI("a"), {Protocol: "WEBSOCKET", APIKeySource: "AUTHORIZER", RouteSelectionExpression: "$request.body.action"}} {
		rev := testRevision(t, "shop", "pets", 3, api)
		obj, err := ToObject(rev, testOwner("shop", "pets"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := FromObject(obj)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, rev) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, rev)
		}
	}
}

func TestFromObjectDataObject(t *testing.T) {
	// In-memory objects (fake clients, tests) may carry a decoded object instead of bytes.
	rev := testRevision(t, "shop", "pets", 1, testAPI("a"))
	obj, err := ToObject(rev, testOwner("shop", "pets"))
	if err != nil {
		t.Fatal(err)
	}
	var u map[string]any
	if err := json.Unmarshal(obj.Data.Raw, &u); err != nil {
		t.Fatal(err)
	}
	obj.Data = runtime.RawExtension{Object: &unstructured.Unstructured{Object: u}}
	got, err := FromObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.API, rev.API) {
		t.Errorf("API = %+v, want %+v", got.API, rev.API)
	}
}

func TestToObjectRefuses(t *testing.T) {
	good := testRevision(t, "shop", "pets", 1, testAPI("a"))
	owner := testOwner("shop", "pets")
	cases := map[string]struct {
		rev   func(*compile.Revision)
		owner *apiv1.RestApi
		want  string
	}{
		"no owner":        {owner: nil, want: "owning RestApi"},
		"other owner":     {owner: testOwner("shop", "cats"), want: "cannot be owned"},
		"owner sans UID":  {owner: &apiv1.RestApi{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "pets"}}, want: "no UID"},
		"no API":          {rev: func(r *compile.Revision) { r.API = nil }, want: "no API"},
		"number 0":        {rev: func(r *compile.Revision) { r.Number = 0 }, want: "not positive"},
		"short hash":      {rev: func(r *compile.Revision) { r.Hash = "abc" }, want: "SHA-256"},
		"upper-case hash": {rev: func(r *compile.Revision) { r.Hash = strings.ToUpper(r.Hash) }, want: "SHA-256"},
		"long name": {
			rev:   func(r *compile.Revision) { r.RestApi = strings.Repeat("a", 64) },
			owner: testOwner("shop", strings.Repeat("a", 64)),
			want:  "cannot label",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rev := good
			if tc.rev != nil {
				tc.rev(&rev)
			}
			o := tc.owner
			if o == nil && name != "no owner" {
				o = owner
			}
			_, err := ToObject(rev, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	var items []appsv1.ControllerRevision
	add := func(ns, restApi string, number int64, seed string) compile.Revision {
		rev := testRevision(t, ns, restApi, number, testAPI(seed))
		obj, err := ToObject(rev, testOwner(ns, restApi))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, *obj)
		return rev
	}
	// Added out of order; Decode sorts by namespace, RestApi, number.
	b2 := add("b", "pets", 2, "1")
	a10 := add("a", "pets", 10, "2")
	a2 := add("a", "pets", 2, "3")
	aCats := add("a", "cats", 5, "4")

	broken := items[0].DeepCopy()
	broken.Name = "pets-broken"
	broken.Data.Raw = []byte(`{"routes": "not a list"}`)
	unlabelled := items[1].DeepCopy()
	unlabelled.Name = "unlabelled"
	delete(unlabelled.Labels, LabelRestApi)
	noHash := items[1].DeepCopy()
	noHash.Name = "no-hash"
	noHash.Annotations = nil
	items = append(items, *broken, *unlabelled, *noHash)

	got, problems := Decode(items)
	want := []compile.Revision{aCats, a2, a10, b2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode order:\n got %v\nwant %v", names(got), names(want))
	}
	if len(problems) != 3 {
		t.Fatalf("problems = %v, want 3", problems)
	}
	for i, name := range []string{"pets-broken", "unlabelled", "no-hash"} {
		if !strings.Contains(problems[i].Error(), name) {
			t.Errorf("problem %d = %v, want it to name %s", i, problems[i], name)
		}
	}
}

func names(revs []compile.Revision) []string {
	var out []string
	for _, r := range revs {
		out = append(out, r.Namespace+"/"+Name(r.RestApi, r.Hash))
	}
	return out
}
