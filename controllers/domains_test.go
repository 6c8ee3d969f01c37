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

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/status"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/controllers/xds/xdstest"
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
	notAfter := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	crt, key := pki.ServerPEM(t, notAfter, "api.example.com")
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
	now := notAfter.Add(-apiv1.CertificateExpiringWindow - 20*time.Minute)
	r := &controllers.DomainReconciler{Client: c, Reader: c, Server: srv, Status: st, Now: func() time.Time { return now }}
	res, err := r.Reconcile(context.Background(), ctrl.Request{})
	if err != nil {
		t.Fatal(err)
	}
	// The next compile is due when the certificate enters its expiring window.
	if want := 20*time.Minute + time.Second; res.RequeueAfter != want {
		t.Errorf("requeue after %v, want %v", res.RequeueAfter, want)
	}
	if served := r.ServedDomains(); len(served) != 1 || served[xds.DomainProgrammedKey("shop/api")].Stage.Name != "api" {
		t.Errorf("served domains = %v", served)
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

// Against the API server: a DomainName is Programmed once a proxy applied its snapshot and
// secrets; a rotation of its Secret reaches the proxy within seconds, through the watch of
// the Secret's metadata, and re-sends the secret alone.
func TestDomainNameProgrammedAndRotation(t *testing.T) {
	needEnv(t)
	ns := "domains"
	newNamespace(t, ns)
	pki := testpki.New(t)
	crt, key := pki.ServerPEM(t, time.Now().Add(90*24*time.Hour), "api.example.com")
	proxy := xdstest.StartProxy(t, xdsAddr, "proxy-domains", nil, xdsv1alpha1.StageSnapshotTypeURL, resource.EndpointType,
		xdsv1alpha1.DomainSnapshotTypeURL, xdsv1alpha1.TLSSecretTypeURL)
	t.Cleanup(proxy.Close)
	apply(t, ns, decode(t, `
apiVersion: apigateway.portico.dev/v1alpha1
kind: RestApi
metadata: {name: pets}
spec: {disableDefaultEndpoint: true} # served through its domain: other tests' /prod/ stages do not clash
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: Stage
metadata: {name: pets-prod}
spec: {restApiRef: {name: pets}, stageName: prod}
---
apiVersion: apigateway.portico.dev/v1alpha1
kind: DomainName
metadata: {name: api}
spec:
  domainName: api.example.com
  certificateRef: {name: api-tls}
  mappings: [{basePath: "", restApiRef: {name: pets}, stage: prod}]
`))
	dn := &apiv1.DomainName{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}}
	conds := func() []metav1.Condition { return dn.Status.Conditions }
	// The Secret does not exist yet: reported, and served once it is created (a watch event).
	condition(t, dn, conds, apiv1.ConditionReady, metav1.ConditionFalse, apiv1.ReasonCertificateNotFound)
	condition(t, dn, conds, apiv1.ConditionProgrammed, metav1.ConditionFalse, apiv1.ReasonNotServed)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api-tls"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}
	if err := env.Client.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	condition(t, dn, conds, apiv1.ConditionReady, metav1.ConditionTrue, apiv1.ReasonReady)
	condition(t, dn, conds, apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)

	secretName := ir.CertificateSecretName(ns, "api-tls")
	domainVersion := proxy.Resource(xdsv1alpha1.DomainSnapshotTypeURL, ns+"/api").GetVersion()
	stageVersion := proxy.Resource(xdsv1alpha1.StageSnapshotTypeURL, ns+"/pets-prod").GetVersion()
	secretVersion := proxy.Resource(xdsv1alpha1.TLSSecretTypeURL, secretName).GetVersion()
	crt2, key2 := pki.ServerPEM(t, time.Now().Add(180*24*time.Hour), "api.example.com")
	start := time.Now()
	update(t, secret, func(s *corev1.Secret) { s.Data = map[string][]byte{"tls.crt": crt2, "tls.key": key2} })
	// Within seconds, not at a periodic rescan: a watch event. The bound is loose for a
	// loaded machine, and far below DomainResync.
	deadline := start.Add(15 * time.Second)
	for {
		r := proxy.Resource(xdsv1alpha1.TLSSecretTypeURL, secretName)
		if r.GetVersion() != secretVersion {
			var got xdsv1alpha1.TlsSecret
			if err := r.GetResource().UnmarshalTo(&got); err != nil || string(got.GetPrivateKey()) != string(key2) {
				t.Fatalf("the rotated secret holds another key (%v)", err)
			}
			t.Logf("the rotated certificate reached the proxy in %v", time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rotated certificate did not reach the proxy within %v", deadline.Sub(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v := proxy.Resource(xdsv1alpha1.DomainSnapshotTypeURL, ns+"/api").GetVersion(); v != domainVersion {
		t.Error("a rotation re-sent the domain")
	}
	if v := proxy.Resource(xdsv1alpha1.StageSnapshotTypeURL, ns+"/pets-prod").GetVersion(); v != stageVersion {
		t.Error("a rotation re-sent the stage")
	}
	xdstest.Eventually(t, "status.certificate shows the renewed certificate", func() bool {
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(dn), dn); err != nil {
			return false
		}
		c := dn.Status.Certificate
		return c != nil && c.NotAfter != nil && c.NotAfter.After(time.Now().Add(100*24*time.Hour))
	})
	condition(t, dn, conds, apiv1.ConditionProgrammed, metav1.ConditionTrue, apiv1.ReasonProgrammed)
}
