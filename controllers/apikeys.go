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

package controllers

import (
	"context"
	"crypto/rand"
	"io"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

// GeneratedKeyLength is the length of the keys the controller generates.
const GeneratedKeyLength = 40

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// KeyGenerator fills an empty API key Secret with a random key, as Amazon API Gateway does
// for a key created without a value.
type KeyGenerator struct {
	Client client.Client
	// Rand is the randomness; crypto/rand when nil. Tests inject a fixed source.
	Rand io.Reader
}

// Reconcile generates the key of one Secret, when it has none.
func (g *KeyGenerator) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var s corev1.Secret
	if err := g.Client.Get(ctx, req.NamespacedName, &s); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if s.Type != apiv1.APIKeySecretType || len(s.Data[apiv1.APIKeySecretKey]) > 0 {
		return ctrl.Result{}, nil
	}
	key, err := GenerateKey(g.Rand)
	if err != nil {
		return ctrl.Result{}, err
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	s.Data[apiv1.APIKeySecretKey] = []byte(key)
	// Update with the resourceVersion read: if someone set a key meanwhile, theirs wins.
	return ctrl.Result{}, client.IgnoreNotFound(g.Client.Update(ctx, &s))
}

// GenerateKey returns a random key of GeneratedKeyLength letters and digits, without
// modulo bias.
func GenerateKey(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	out := make([]byte, 0, GeneratedKeyLength)
	buf := make([]byte, 64)
	for len(out) < GeneratedKeyLength {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			// 248 = 4*62: bytes at or above it would favour the first letters.
			if b < 248 && len(out) < GeneratedKeyLength {
				out = append(out, keyAlphabet[int(b)%len(keyAlphabet)])
			}
		}
	}
	return string(out), nil
}

// SetupWithManager registers the generator for API key Secrets only.
func (g *KeyGenerator) SetupWithManager(mgr ctrl.Manager) error {
	g.Client = mgr.GetClient()
	isKey := predicate.NewPredicateFuncs(func(o client.Object) bool {
		s, ok := o.(*corev1.Secret)
		return ok && s.Type == apiv1.APIKeySecretType
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("apikey").
		For(&corev1.Secret{}, builder.WithPredicates(isKey, predicate.Funcs{DeleteFunc: func(event.DeleteEvent) bool { return false }})).
		Complete(g)
}
