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

package edge

import "testing"

func TestConnectionsFor(t *testing.T) {
	for _, tc := range []struct {
		files uint64
		want  int
	}{
		{0, 4096},       // unknown: the memory bound
		{1 << 20, 4096}, // Kubernetes' usual limit: the memory bound
		{1024, 480},     // a shell's default: half, less the reserve
		{100, 64},       // tiny: still usable
		{8256, 4096},    // exactly at the bound
		{8254, 4095},
	} {
		if got := connectionsFor(tc.files); got != tc.want {
			t.Errorf("connectionsFor(%d) = %d, want %d", tc.files, got, tc.want)
		}
	}
}
