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
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/controllers"
)

// The usage flags are checked before the controller looks for a cluster.
func TestControllerUsageFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"controller", "--usage-interval", "0s"}, "--usage-interval must be positive"},
		{[]string{"controller", "--state-redis", "http://127.0.0.1:6379"}, "--state-redis: "},
	} {
		if _, err := run(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("portico %v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	cmd, _, err := NewRootCommand().Find([]string{"controller"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cmd.Flags().Lookup("usage-interval").DefValue; got != controllers.DefaultUsageInterval.String() || controllers.DefaultUsageInterval != time.Minute {
		t.Errorf("--usage-interval defaults to %s, want 1m0s", got)
	}
	if got := cmd.Flags().Lookup("state-redis").DefValue; got != "" {
		t.Errorf("--state-redis defaults to %q, want none (no usage in status)", got)
	}
}
