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

package cli

import (
	"context"
	"testing"
)

// startStandalone runs `portico standalone` in process on the hooks' listeners until the
// test ends, and returns once it is ready and its /readyz answers 200. Stopping with an error,
// before or at the end of the test, fails the test.
func startStandalone(t *testing.T, opts standaloneOptions, hooks *standaloneHooks) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	hooks.ready = ready
	done := make(chan error, 1)
	go func() { done <- runStandalone(ctx, opts, hooks) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("standalone stopped: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("standalone: %v", err)
		}
	})
	admin := "http://" + hooks.adminListener.Addr().String()
	until(t, "/readyz answers 200", func() bool { return get(t, "GET", admin+"/readyz").status == 200 })
}
