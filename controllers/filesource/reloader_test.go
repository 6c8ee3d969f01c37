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

package filesource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/portico-dev/portico/controllers/ir"

	"github.com/go-logr/logr/funcr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

// The log says what a cluster's status would: a condition that only warns is a warning,
// whichever of True and False it warns with (CertificateExpiring warns when True), and an
// object is logged again only when its conditions change.
func TestReportStatuses(t *testing.T) {
	var logs []string
	r := &Reloader{Log: funcr.New(func(_, args string) { logs = append(logs, args) }, funcr.Options{})}
	domain := func(name string, expiring metav1.ConditionStatus) compile.ObjectStatus {
		return compile.ObjectStatus{Kind: "DomainName", Namespace: "default", Name: name, Conditions: []metav1.Condition{
			{Type: apiv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Ready"},
			{Type: apiv1.ConditionCertificateExpiring, Status: expiring, Reason: "CertificateValid", Message: "the certificate expires on ..."},
		}}
	}
	broken := compile.ObjectStatus{Kind: "Route", Namespace: "default", Name: "r", Conditions: []metav1.Condition{
		{Type: apiv1.ConditionAccepted, Status: metav1.ConditionFalse, Reason: "InvalidTemplate", Message: "line 1"},
	}}
	statuses := []compile.ObjectStatus{domain("healthy", metav1.ConditionFalse), domain("soon", metav1.ConditionTrue), broken}
	r.reportStatuses(statuses)
	r.reportStatuses(statuses)
	want := []string{
		`"msg"="ready" "object"="DomainName default/healthy"`,
		`"msg"="ready, with a warning" "object"="DomainName default/soon"`,
		`"msg"="not ready" "object"="Route default/r"`,
	}
	if len(logs) != len(want) {
		t.Fatalf("logs %q, want %d lines", logs, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(logs[i], `"level"=0 `+w) {
			t.Errorf("line %d = %q, want it to begin %q", i, logs[i], w)
		}
	}
}

type nopPublisher struct{}

func (nopPublisher) Update([]ir.Stage, []ir.Endpoints) int { return 0 }

// A stage added to the files later is the newer one of a conflict, whatever its name: files
// carry no creationTimestamp, and the reloader stamps the time it first read each object.
func TestLaterObjectsAreNewer(t *testing.T) {
	dir := t.TempDir()
	write := func(name, restAPI, body string) {
		t.Helper()
		doc := `apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: ` + restAPI + `}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Route
metadata: {name: ` + restAPI + `}
spec: {restApiRef: {name: ` + restAPI + `}, path: /pets, integration: {type: MOCK, mock: {body: ` + body + `}}}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: ` + restAPI + `-prod}
spec: {restApiRef: {name: ` + restAPI + `}, stageName: prod}
`
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pets.yaml", "pets", "pets")
	r := &Reloader{Source: &Source{Paths: []string{dir}}, Publisher: nopPublisher{}, Log: logr.Discard()}
	if out, err := r.Reload(); err != nil || len(out.Stages) != 1 {
		t.Fatalf("first load: %v %+v", err, out)
	}
	write("aaa.yaml", "aapets", "hijacked") // sorts first by name
	out, err := r.Reload()
	if err != nil || out == nil {
		t.Fatalf("second load: %v", err)
	}
	if len(out.Stages) != 1 || out.Stages[0].Key != "default/pets-prod" {
		t.Errorf("stages served %+v, want pets-prod alone", out.Stages)
	}
	for _, s := range out.Statuses {
		if s.Kind == "Stage" && s.Name == "aapets-prod" {
			if c := meta.FindStatusCondition(s.Conditions, apiv1.ConditionAccepted); c == nil || c.Reason != apiv1.ReasonStageConflict {
				t.Errorf("the newer stage: %+v, want StageConflict", s.Conditions)
			}
		}
	}
}
