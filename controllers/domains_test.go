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

package controllers_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/status"
	"github.com/portico-dev/portico/internal/scheme"
	"github.com/portico-dev/portico/internal/testpki"
)

type domainServer struct {
	domains []ir.Domain
	secrets []ir.Secret
}

func (s *domainServer) UpdateDomains(d []ir.Domain, sec []ir.Secret) int {
	s.domains, s.secrets = d, sec
	return len(d) + len(sec)
}

type statusRecorder struct{ got []compile.ObjectStatus }

func (s *statusRecorder) Write(_ context.Context, st []compile.ObjectStatus, _ status.ProgrammedFunc) (status.Result, error) {
	s.got = st
	return status.Result{}, nil
}

// The reconciler reads only the Secret and ConfigMap a DomainName names, and publishes what
// the compiler makes of them.
func TestDomainReconciler(t *testing.T) {
	pki := testpki.New(t)
	crt, key := pki.ServerPEM(t, time.Now().Add(time.Hour), "api.example.com")
	om := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: "shop", Name: name} }
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(
		&apiv1.RestApi{ObjectMeta: om("pets")},
		&apiv1.Stage{ObjectMeta: om("pets-prod"), Spec: apiv1.StageSpec{RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, StageName: "prod"}},
		&corev1.Secret{ObjectMeta: om("api-tls"), Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": crt, "tls.key": key}},
		&corev1.ConfigMap{ObjectMeta: om("partners"), Data: map[string]string{"ca.crt": string(pki.CAPEM())}},
		&apiv1.DomainName{ObjectMeta: om("api"), Spec: apiv1.DomainNameSpec{
			DomainName: "api.example.com", CertificateRef: apiv1.LocalObjectReference{Name: "api-tls"},
			MutualTLS: &apiv1.MutualTLS{TruststoreRef: apiv1.TruststoreRef{Name: "partners", Key: "ca.crt"}},
			Mappings:  []apiv1.BasePathMapping{{RestApiRef: apiv1.LocalObjectReference{Name: "pets"}, Stage: "prod"}},
		}},
		&apiv1.DomainName{ObjectMeta: om("broken"), Spec: apiv1.DomainNameSpec{
			DomainName: "broken.example.com", CertificateRef: apiv1.LocalObjectReference{Name: "missing"},
		}},
	).Build()
	srv, st := &domainServer{}, &statusRecorder{}
	r := &controllers.DomainReconciler{Client: c, Reader: c, Server: srv, Status: st}
	res, err := r.Reconcile(context.Background(), ctrl.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter != controllers.DomainRescan {
		t.Errorf("requeue after %v", res.RequeueAfter)
	}
	if len(srv.domains) != 1 || srv.domains[0].Key != "shop/api" || len(srv.secrets) != 2 {
		t.Fatalf("published %d domains, %d secrets", len(srv.domains), len(srv.secrets))
	}
	reasons := map[string]string{}
	for _, s := range st.got {
		for _, cond := range s.Conditions {
			if cond.Type == apiv1.ConditionReady {
				reasons[s.Name] = cond.Reason
			}
		}
	}
	if reasons["api"] != apiv1.ReasonReady || reasons["broken"] != apiv1.ReasonCertificateNotFound {
		t.Errorf("Ready reasons = %v", reasons)
	}
}
