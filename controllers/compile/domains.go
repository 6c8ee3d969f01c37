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
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/internal/certs"
)

// Domains compiles the DomainNames of in alone: their certificates, truststores and
// base path mappings. Mappings are resolved against the Stage objects, not against a compile
// of them, so that a domain does not need its APIs recompiled, and a Secret rotation
// recompiles one domain. A stage that is refused is reported on the Stage, not here.
func Domains(in Inputs) (domains []ir.Domain, secrets []ir.Secret, out []ObjectStatus) {
	w := newWorld(&in)
	st := statuses{}
	domains, secrets = w.compileDomains(st)
	for _, s := range st {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b ObjectStatus) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return domains, secrets, out
}

func (w *world) compileDomains(st statuses) ([]ir.Domain, []ir.Secret) {
	dns := make([]*apiv1.DomainName, 0, len(w.in.DomainNames))
	for i := range w.in.DomainNames {
		dns = append(dns, &w.in.DomainNames[i])
	}
	// The older DomainName keeps a contested domain, across namespaces: SNI has no namespace.
	sort.Slice(dns, func(i, j int) bool { return olderFirst(dns[i], dns[j]) })
	configMaps := map[nsName]*corev1.ConfigMap{}
	for i := range w.in.ConfigMaps {
		c := &w.in.ConfigMaps[i]
		configMaps[nsName{c.Namespace, c.Name}] = c
	}
	owner := map[string]*apiv1.DomainName{}
	secrets := map[string]ir.Secret{}
	var domains []ir.Domain
	for _, d := range dns {
		status := st.of(KindDomainName, d)
		if first, taken := owner[d.Spec.DomainName]; taken {
			status.refuse(apiv1.ReasonDomainConflict, fmt.Sprintf("DomainName %s/%s, older, serves %s", first.Namespace, first.Name, d.Spec.DomainName))
			continue
		}
		owner[d.Spec.DomainName] = d
		out, cert, trust := w.compileDomain(status, d, configMaps)
		if out == nil {
			continue
		}
		secrets[cert.Name] = cert
		if trust != nil {
			secrets[trust.Name] = *trust
		}
		domains = append(domains, *out)
	}
	slices.SortFunc(domains, func(a, b ir.Domain) int { return cmp.Compare(a.Key, b.Key) })
	var list []ir.Secret
	for _, name := range sortedKeys(secrets) {
		list = append(list, secrets[name])
	}
	return domains, list
}

// compileDomain returns nil when the domain cannot be served: without a usable certificate
// there is nothing to answer a handshake with. A mapping whose stage is missing is left out
// with Ready False, and the other mappings are served.
func (w *world) compileDomain(status *ObjectStatus, d *apiv1.DomainName, configMaps map[nsName]*corev1.ConfigMap) (*ir.Domain, ir.Secret, *ir.Secret) {
	status.set(apiv1.ConditionAccepted, true, apiv1.ReasonAccepted, "the domain is valid")
	policy := string(d.Spec.SecurityPolicy)
	if policy == "" {
		policy = string(apiv1.SecurityPolicyTLS12)
	}
	ref := d.Spec.CertificateRef.Name
	secret := w.secrets[nsName{d.Namespace, ref}]
	if secret == nil {
		status.refuse(apiv1.ReasonCertificateNotFound, "Secret "+ref+" does not exist in namespace "+d.Namespace)
		return nil, ir.Secret{}, nil
	}
	if secret.Type != corev1.SecretTypeTLS {
		status.refuse(apiv1.ReasonInvalidCertificate, fmt.Sprintf("Secret %s is of type %q, not %s", ref, secret.Type, corev1.SecretTypeTLS))
		return nil, ir.Secret{}, nil
	}
	crt, key := secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey]
	pair, err := certs.KeyPair(crt, key)
	if err != nil {
		status.refuse(apiv1.ReasonInvalidCertificate, "Secret "+ref+": "+err.Error())
		return nil, ir.Secret{}, nil
	}
	leaf := pair.Leaf
	status.Certificate = &apiv1.CertificateStatus{NotAfter: &metav1.Time{Time: leaf.NotAfter.UTC()}, DNSNames: slices.Clone(leaf.DNSNames)}
	if !certs.Covers(leaf, d.Spec.DomainName) {
		status.refuse(apiv1.ReasonCertificateNameMismatch, fmt.Sprintf("the certificate in Secret %s is for %s, not %s", ref, strings.Join(leaf.DNSNames, ", "), d.Spec.DomainName))
		return nil, ir.Secret{}, nil
	}
	if now := w.in.Options.Now; !now.IsZero() {
		if certs.Expired(leaf, now) {
			status.refuse(apiv1.ReasonInvalidCertificate, fmt.Sprintf("the certificate in Secret %s is valid from %s to %s", ref, leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339)))
			return nil, ir.Secret{}, nil
		}
		left := leaf.NotAfter.Sub(now)
		expiring := left < apiv1.CertificateExpiringWindow
		reason, msg := apiv1.ReasonCertificateValid, "the certificate expires on "+leaf.NotAfter.UTC().Format(time.RFC3339)
		if expiring {
			reason = apiv1.ReasonCertificateExpiring
			msg = fmt.Sprintf("the certificate expires in %s, on %s; renew Secret %s", humanDuration(left), leaf.NotAfter.UTC().Format(time.RFC3339), ref)
		}
		status.set(apiv1.ConditionCertificateExpiring, expiring, reason, msg)
	}
	cert := ir.Secret{Name: ir.CertificateSecretName(d.Namespace, ref), Certificate: slices.Clone(crt), PrivateKey: slices.Clone(key)}
	out := &ir.Domain{
		Key: d.Namespace + "/" + d.Name, Generation: d.Generation,
		DomainName: d.Spec.DomainName, SecurityPolicy: policy, Certificate: cert.Name,
		HTTPRedirect: d.Spec.HTTPRedirect,
	}
	var trust *ir.Secret
	if m := d.Spec.MutualTLS; m != nil {
		t := m.TruststoreRef
		k := cmp.Or(t.Key, apiv1.DefaultTruststoreKey)
		cm := configMaps[nsName{d.Namespace, t.Name}]
		bundle, ok := "", false
		if cm != nil {
			bundle, ok = cm.Data[k]
		}
		if !ok {
			status.refuse(apiv1.ReasonTruststoreNotFound, fmt.Sprintf("ConfigMap %s with key %s does not exist in namespace %s", t.Name, k, d.Namespace))
			return nil, ir.Secret{}, nil
		}
		if _, err := certs.Truststore([]byte(bundle)); err != nil {
			status.refuse(apiv1.ReasonInvalidTruststore, fmt.Sprintf("ConfigMap %s key %s: %v", t.Name, k, err))
			return nil, ir.Secret{}, nil
		}
		trust = &ir.Secret{Name: ir.TruststoreSecretName(d.Namespace, t.Name, k), TrustedCA: []byte(bundle)}
		out.Truststore = trust.Name
	}
	var missing problems
	for _, m := range d.Spec.Mappings {
		key, reason, msg := w.mappedStage(d.Namespace, m)
		if key == "" {
			missing.add(reason, msg)
			continue
		}
		out.Mappings = append(out.Mappings, ir.BasePathMapping{BasePath: strings.Trim(m.BasePath, "/"), Stage: key})
	}
	// Longest base path first: that is the order the proxy matches them in.
	slices.SortFunc(out.Mappings, func(a, b ir.BasePathMapping) int {
		return cmp.Or(cmp.Compare(len(b.BasePath), len(a.BasePath)), cmp.Compare(a.BasePath, b.BasePath))
	})
	status.URL = "https://" + d.Spec.DomainName + "/"
	if missing.reason != "" {
		status.set(apiv1.ConditionReady, false, missing.reason, missing.String()+"; the domain serves its other mappings")
	} else {
		status.set(apiv1.ConditionReady, true, apiv1.ReasonReady, fmt.Sprintf("serving %d base path mappings", len(out.Mappings)))
	}
	return out, cert, trust
}

// mappedStage returns the key of the Stage a mapping names, or why there is none.
func (w *world) mappedStage(namespace string, m apiv1.BasePathMapping) (key, reason, msg string) {
	api := nsName{namespace, m.RestApiRef.Name}
	if w.restApis[api] == nil {
		return "", apiv1.ReasonRestApiNotFound, fmt.Sprintf("basePath %q: RestApi %s does not exist in namespace %s", m.BasePath, api.name, namespace)
	}
	for _, s := range w.stages[api] {
		if stageName(s) == m.Stage {
			key := namespace + "/" + s.Name
			// A whole compile knows which stages it serves; Domains alone (the controller's
			// domain reconciler) reads it from the Stage's written status.
			served := !writtenUnserved(s)
			if w.served != nil {
				served = w.served[key]
			}
			if !served {
				return "", apiv1.ReasonNotServed, fmt.Sprintf("basePath %q: Stage %s of RestApi %s is not served (its conditions say why)", m.BasePath, s.Name, api.name)
			}
			return key, "", ""
		}
	}
	return "", apiv1.ReasonStageNotFound, fmt.Sprintf("basePath %q: RestApi %s has no stage %s", m.BasePath, api.name, m.Stage)
}

// humanDuration writes a time left as a person reads it: "5 days", "1 day 3 hours",
// "7 hours", "12 minutes", "less than a minute".
func humanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	days, hours := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour)
	switch {
	case days > 0 && hours > 0 && days < 3:
		return plural(days, "day") + " " + plural(hours, "hour")
	case days > 0:
		return plural(int64((d+12*time.Hour)/(24*time.Hour)), "day")
	case hours > 0:
		return plural(hours, "hour")
	case d >= time.Minute:
		return plural(int64(d/time.Minute), "minute")
	}
	return "less than a minute"
}
