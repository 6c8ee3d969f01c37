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

package redis

import (
	"testing"

	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/limits/limitstest"
	"github.com/portico-dev/portico/internal/redistest"
)

// The Redis store passes the suite every store passes, so that the proxy behaves the same
// with one replica in memory and with many sharing Redis. One server serves every case: the
// suite's keys are unique to each.
func TestConformance(t *testing.T) {
	srv := redistest.Start(t)
	limitstest.Run(t, func(t *testing.T) limits.Store {
		return newStore(t, srv, Options{})
	})
}
