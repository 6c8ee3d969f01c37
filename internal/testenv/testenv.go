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

// Package testenv starts a real kube-apiserver and etcd for integration tests, with Portico's
// CRDs installed. The binaries come from hack/kube-assets.sh (make kube-assets), found through
// KUBEBUILDER_ASSETS or under the module's bin/k8s/<version>.
package testenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/portico-dev/portico/internal/scheme"
	"github.com/portico-dev/portico/internal/testkit"
)

// Env is a running API server with Portico's CRDs installed.
type Env struct {
	Config *rest.Config
	Client client.Client
	Scheme *runtime.Scheme
	// ModuleRoot is the repository root, for tests that read config/ or docs/.
	ModuleRoot string
	// Assets is the folder of the kube-apiserver, etcd and kubectl binaries.
	Assets string

	env      *envtest.Environment
	teardown []func()
}

// Defer registers f to run before the API server stops, last registered first: stop
// controllers there, or the API server waits for their watches to end.
func (e *Env) Defer(f func()) { e.teardown = append(e.teardown, f) }

// Start starts etcd and kube-apiserver and installs the CRDs. It is meant for TestMain:
// a package starts one server and shares it.
func Start() (*Env, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	assets, err := assetsDir(root)
	if err != nil {
		return nil, err
	}
	e := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		// envtest's 10 s for the CRDs to be served, and 20 s for etcd and the API server to
		// start, are short on a loaded machine; these are bounds, not waits.
		CRDInstallOptions: envtest.CRDInstallOptions{MaxTime: testkit.WaitTimeout},
	}
	if os.Getenv("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT") == "" {
		e.ControlPlaneStartTimeout = testkit.WaitTimeout
	}
	if os.Getenv("KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT") == "" {
		e.ControlPlaneStopTimeout = testkit.WaitTimeout
	}
	cfg, err := e.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	s := scheme.New()
	// Tests install CRDs of their own (another operator's, say).
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		_ = e.Stop()
		return nil, err
	}
	return &Env{Config: cfg, Client: c, Scheme: s, ModuleRoot: root, Assets: assets, env: e}, nil
}

// Stop runs the deferred teardowns, then stops the API server and etcd.
func (e *Env) Stop() error {
	for i := len(e.teardown) - 1; i >= 0; i-- {
		e.teardown[i]()
	}
	return e.env.Stop()
}

// Main is a TestMain body: it starts the environment, runs the package's tests, stops it and
// exits. With -short it runs the tests without an environment, and setup receives nil.
func Main(m *testing.M, setup func(*Env)) {
	flag.Parse()
	if testing.Short() {
		setup(nil)
		os.Exit(m.Run())
	}
	env, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
	setup(env)
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv: stop:", err)
	}
	os.Exit(code)
}

// ModuleRoot walks up from the working directory to the folder holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// assetsDir finds the kube-apiserver and etcd binaries: KUBEBUILDER_ASSETS when set, else
// the newest bin/k8s/<version> of the module.
func assetsDir(root string) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "bin", "k8s", "v*"))
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "kube-apiserver")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("no kube-apiserver found: run 'make kube-assets' (or 'make test', which does) first")
}

// WaitForCRD waits until the CRD named name is Established, failing the test after
// testkit.WaitTimeout.
func WaitForCRD(t *testing.T, e *Env, name string) {
	t.Helper()
	deadline := time.Now().Add(testkit.WaitTimeout)
	for {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := e.Client.Get(context.Background(), client.ObjectKey{Name: name}, &crd); err == nil {
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRD %s not established", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
