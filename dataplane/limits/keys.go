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

package limits

// QuotaKey names the quota counter of an API key in a plan on a stage. It lives here, next
// to the stores, because three readers must agree on it to the byte: the proxies' quota step
// counts under it, their /usage report reads it, and the controller reads it for
// UsagePlan.status.usage. stageKey is the stage's xDS resource name ("<namespace>/<Stage
// object name>"), plan the UsagePlan's name and keyID the API key Secret's name.
func QuotaKey(stageKey, plan, keyID string) string {
	return "quota/" + stageKey + "/" + plan + "/" + keyID
}
