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

package xdsv1alpha1

// MostSpecificSetting returns the method setting that applies to method on a route's path,
// among those for which has is true: path and method, then path and "*", then "*" and the
// method or "*"; nil when none does. A more specific setting without the field asked for (a
// throttle only, when caching is asked) does not hide a broader one that has it.
func MostSpecificSetting(settings []*MethodSetting, path, method string, has func(*MethodSetting) bool) *MethodSetting {
	var best *MethodSetting
	bestRank := 3
	for _, ms := range settings {
		if !has(ms) {
			continue
		}
		rank := 3
		switch {
		case ms.GetPath() == path && ms.GetMethod() == method:
			rank = 0
		case ms.GetPath() == path && ms.GetMethod() == "*":
			rank = 1
		case ms.GetPath() == "*" && (ms.GetMethod() == "*" || ms.GetMethod() == method):
			rank = 2
		}
		if rank < bestRank {
			best, bestRank = ms, rank
		}
	}
	return best
}
