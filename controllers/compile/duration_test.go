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
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		96 * time.Second:               "1 minute",
		30 * time.Second:               "less than a minute",
		7*time.Hour + 20*time.Minute:   "7 hours",
		26 * time.Hour:                 "1 day 2 hours",
		5 * 24 * time.Hour:             "5 days",
		13*24*time.Hour + 20*time.Hour: "14 days",
		24 * time.Hour:                 "1 day",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
