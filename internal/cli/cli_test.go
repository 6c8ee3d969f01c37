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
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestVersion(t *testing.T) {
	out, err := run(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "portico ") || !strings.Contains(out, runtime.Version()) || !strings.Contains(out, "commit ") {
		t.Errorf("version printed %q; want name, version, commit and %s", out, runtime.Version())
	}

	out, err = run(t, "version", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]string
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("version -o json printed %q: %v", out, err)
	}
	for _, k := range []string{"version", "commit", "goVersion", "platform"} {
		if info[k] == "" {
			t.Errorf("version -o json lacks %q: %v", k, info)
		}
	}

	if _, err := run(t, "version", "-o", "yaml"); err == nil || !strings.Contains(err.Error(), `unknown --output "yaml"`) {
		t.Errorf("version -o yaml: err = %v, want an unknown --output error", err)
	}
}

func TestRoleFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"standalone"}, `required flag(s) "file" not set`},
		{[]string{"proxy"}, `required flag(s) "xds-server" not set`},
		{[]string{"controller", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"proxy", "--xds-server", "127.0.0.1:1", "--trusted-proxies", "10.0.0.0/8,lb"}, `--trusted-proxies: "lb" is neither a CIDR range nor an address`},
		{[]string{"standalone", "-f", ".", "--trusted-proxies", "300.1.1.1"}, `--trusted-proxies: "300.1.1.1"`},
		{[]string{"standalone", "-f", ".", "--log-level", "loud"}, `unknown --log-level "loud"`},
	} {
		if _, err := run(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("portico %v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	// The admin endpoints bind to loopback unless the user says otherwise, and serve Go's
	// profiles only when asked to.
	for _, name := range []string{"proxy", "standalone"} {
		cmd, _, err := NewRootCommand().Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		if got := cmd.Flags().Lookup("admin-addr").DefValue; !strings.HasPrefix(got, "127.0.0.1:") {
			t.Errorf("%s --admin-addr defaults to %q, want a loopback address", name, got)
		}
		if f := cmd.Flags().Lookup("profiling"); f == nil || f.DefValue != "false" {
			t.Errorf("%s --profiling: %v, want a flag off by default", name, f)
		}
	}
}
