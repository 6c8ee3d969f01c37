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

package compile_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/internal/testpki"
)

// now is the real time: testpki certificates start an hour before it.
var now = time.Now().UTC()

func dmeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: "shop", Name: name, Generation: 1}
}

// domainInputs serves RestApis pets and orders, each with stage prod, and a DomainName api
// for api.example.com mapping both.
func domainInputs(t *testing.T, notAfter time.Time) compile.Inputs {
	t.Helper()
	p := testpki.New(t)
	crt, key := p.ServerPEM(t, notAfter, "api.example.com")
	return compile.Inputs{
		RestApis: []apiv1.RestApi{{ObjectMeta: dmeta("pets")}, {ObjectMeta: dmeta("orders"), Spec: apiv1.RestApiSpec{DisableDefaultEndpoint: true}}},
		Stages: []apiv1.Stage{
			{ObjectMeta: dmeta("pets-prod"), Spec: apiv1.StageSpec{RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, StageName: "prod"}},
			{ObjectMeta: dmeta("orders-prod"), Spec: apiv1.StageSpec{RestApiRef: apiv1.LocalObjectReference{Name: "orders"}, StageName: "prod"}},
		},
		Secrets:    []corev1.Secret{{ObjectMeta: dmeta("api-tls"), Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}},
		ConfigMaps: []corev1.ConfigMap{{ObjectMeta: dmeta("partners"), Data: map[string]string{"ca.crt": string(p.CAPEM())}}},
		DomainNames: []apiv1.DomainName{{ObjectMeta: dmeta("api"), Spec: apiv1.DomainNameSpec{
			DomainName:     "api.example.com",
			CertificateRef: apiv1.LocalObjectReference{Name: "api-tls"},
			MutualTLS:      &apiv1.MutualTLS{TruststoreRef: apiv1.TruststoreRef{Name: "partners"}},
			Mappings: []apiv1.BasePathMapping{
				{BasePath: "", RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, Stage: "prod"},
				{BasePath: "orders/v1", RestApiRef: apiv1.LocalObjectReference{Name: "orders"}, Stage: "prod"},
			},
		}}},
		Options: compile.Options{Now: now},
	}
}

func domainStatus(t *testing.T, statuses []compile.ObjectStatus, name string) compile.ObjectStatus {
	t.Helper()
	for _, s := range statuses {
		if s.Kind == compile.KindDomainName && s.Name == name {
			return s
		}
	}
	t.Fatalf("no status for DomainName %s", name)
	return compile.ObjectStatus{}
}

func cond(s compile.ObjectStatus, typ string) metav1.Condition {
	for _, c := range s.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

func TestDomainCompiles(t *testing.T) {
	in := domainInputs(t, now.Add(90*24*time.Hour))
	out := compile.Compile(in)
	if len(out.Domains) != 1 {
		t.Fatalf("domains = %+v", out.Domains)
	}
	d := out.Domains[0]
	want := []ir.BasePathMapping{{BasePath: "orders/v1", Stage: "shop/orders-prod"}, {BasePath: "", Stage: "shop/pets-prod"}}
	if d.Key != "shop/api" || d.SecurityPolicy != "TLS_1_2" || d.Certificate != "tls/shop/api-tls" || d.Truststore != "ca/shop/partners/ca.crt" {
		t.Errorf("domain = %+v", d)
	}
	if len(d.Mappings) != 2 || d.Mappings[0] != want[0] || d.Mappings[1] != want[1] {
		t.Errorf("mappings = %+v, want longest first %+v", d.Mappings, want)
	}
	if len(out.Secrets) != 2 || out.Secrets[0].Name != "ca/shop/partners/ca.crt" || len(out.Secrets[1].PrivateKey) == 0 {
		t.Errorf("secrets = %v", len(out.Secrets))
	}
	s := domainStatus(t, out.Statuses, "api")
	if c := cond(s, apiv1.ConditionReady); c.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %+v", c)
	}
	if c := cond(s, apiv1.ConditionCertificateExpiring); c.Status != metav1.ConditionFalse {
		t.Errorf("CertificateExpiring = %+v", c)
	}
	if s.URL != "https://api.example.com/" || s.Certificate == nil || s.Certificate.DNSNames[0] != "api.example.com" {
		t.Errorf("status = %+v", s)
	}
	for _, st := range out.Stages {
		if st.DisableDefaultEndpoint != (st.RestApi == "orders") {
			t.Errorf("stage %s DisableDefaultEndpoint = %v", st.Key, st.DisableDefaultEndpoint)
		}
	}
	// No dump of the compile shows a key.
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "PRIVATE KEY") || strings.Contains(string(b), "privateKey") {
		t.Error("the private key is in the compile's JSON")
	}
}

func TestDomainProblems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*compile.Inputs)
		served bool
		reason string
	}{
		{"missing secret", func(in *compile.Inputs) { in.Secrets = nil }, false, apiv1.ReasonCertificateNotFound},
		{"opaque secret", func(in *compile.Inputs) { in.Secrets[0].Type = corev1.SecretTypeOpaque }, false, apiv1.ReasonInvalidCertificate},
		{"garbage certificate", func(in *compile.Inputs) { in.Secrets[0].Data["tls.crt"] = []byte("x") }, false, apiv1.ReasonInvalidCertificate},
		{"other domain", func(in *compile.Inputs) { in.DomainNames[0].Spec.DomainName = "www.example.com" }, false, apiv1.ReasonCertificateNameMismatch},
		{"wildcard not covered", func(in *compile.Inputs) { in.DomainNames[0].Spec.DomainName = "*.example.com" }, false, apiv1.ReasonCertificateNameMismatch},
		{"expired", func(in *compile.Inputs) { in.Options.Now = now.Add(400 * 24 * time.Hour) }, false, apiv1.ReasonInvalidCertificate},
		{"missing truststore", func(in *compile.Inputs) { in.ConfigMaps = nil }, false, apiv1.ReasonTruststoreNotFound},
		{"bad truststore", func(in *compile.Inputs) { in.ConfigMaps[0].Data["ca.crt"] = "nothing" }, false, apiv1.ReasonInvalidTruststore},
		{"missing stage", func(in *compile.Inputs) { in.DomainNames[0].Spec.Mappings[1].Stage = "beta" }, true, apiv1.ReasonStageNotFound},
		{"missing api", func(in *compile.Inputs) { in.DomainNames[0].Spec.Mappings[1].RestApiRef.Name = "nope" }, true, apiv1.ReasonRestApiNotFound},
		{"stage not served", func(in *compile.Inputs) {
			in.Stages[1].Status.Conditions = []metav1.Condition{{Type: apiv1.ConditionAccepted, Status: metav1.ConditionFalse, Reason: apiv1.ReasonRevisionNotFound}}
		}, true, apiv1.ReasonNotServed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := domainInputs(t, now.Add(90*24*time.Hour))
			tc.edit(&in)
			domains, secrets, statuses := compile.Domains(in)
			if served := len(domains) == 1; served != tc.served {
				t.Fatalf("served = %v, want %v", served, tc.served)
			}
			if tc.served && len(domains[0].Mappings) != 1 {
				t.Errorf("mappings = %+v, want the other one served", domains[0].Mappings)
			}
			if !tc.served && len(secrets) != 0 {
				t.Errorf("an unserved domain sent %d secrets", len(secrets))
			}
			c := cond(domainStatus(t, statuses, "api"), apiv1.ConditionReady)
			if c.Status != metav1.ConditionFalse || c.Reason != tc.reason {
				t.Errorf("Ready = %+v, want False %s", c, tc.reason)
			}
			if strings.Contains(c.Message, "PRIVATE") {
				t.Errorf("message quotes the key: %s", c.Message)
			}
		})
	}
}

func TestDomainExpiringAndConflict(t *testing.T) {
	in := domainInputs(t, now.Add(10*24*time.Hour))
	second := in.DomainNames[0].DeepCopy()
	second.Name, second.Namespace = "copy", "other"
	second.CreationTimestamp = metav1.NewTime(now)
	in.DomainNames = append(in.DomainNames, *second)
	domains, _, statuses := compile.Domains(in)
	if len(domains) != 1 || domains[0].Key != "shop/api" {
		t.Fatalf("domains = %+v", domains)
	}
	if c := cond(domainStatus(t, statuses, "api"), apiv1.ConditionCertificateExpiring); c.Status != metav1.ConditionTrue {
		t.Errorf("CertificateExpiring = %+v", c)
	}
	if c := cond(domainStatus(t, statuses, "copy"), apiv1.ConditionReady); c.Reason != apiv1.ReasonDomainConflict {
		t.Errorf("Ready of the younger = %+v", c)
	}
}
