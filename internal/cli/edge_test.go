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

	"github.com/spf13/pflag"

	"github.com/portico-dev/portico/dataplane/edge"
)

// Every edge limit is a flag on both roles that serve clients, defaulting to edge.Defaults.
func TestEdgeFlags(t *testing.T) {
	d := edge.Defaults()
	want := map[string]string{
		"read-header-timeout": d.ReadHeaderTimeout.String(),
		"max-header-bytes":    "65536",
		"body-timeout":        d.BodyTimeout.String(),
		"body-min-rate":       "1024",
		"max-connections":     "0",
		"idle-timeout":        d.IdleTimeout.String(),
		"write-timeout":       d.WriteTimeout.String(),
	}
	for _, name := range []string{"proxy", "standalone"} {
		cmd, _, err := NewRootCommand().Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		for flag, def := range want {
			f := cmd.Flags().Lookup(flag)
			if f == nil {
				t.Errorf("%s has no --%s", name, flag)
				continue
			}
			if f.DefValue != def {
				t.Errorf("%s --%s defaults to %q, want %q", name, flag, f.DefValue, def)
			}
		}
	}

	// Set flags reach the options; max-connections 0 is resolved.
	var e edgeFlags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	e.bind(fs)
	if err := fs.Parse([]string{"--body-timeout=3s", "--body-min-rate=10", "--max-header-bytes=1000", "--write-timeout=0"}); err != nil {
		t.Fatal(err)
	}
	l, err := e.limits()
	if err != nil {
		t.Fatal(err)
	}
	if l.BodyTimeout != 3*time.Second || l.MinBodyRate != 10 || l.MaxHeaderBytes != 1000 || l.WriteTimeout != 0 ||
		l.MaxConnections != edge.DefaultMaxConnections() || l.ReadHeaderTimeout != d.ReadHeaderTimeout {
		t.Errorf("limits %+v", l)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy", "--xds-server", "127.0.0.1:1", "--max-header-bytes", "0"}, "--max-header-bytes: 0"},
		{[]string{"standalone", "-f", ".", "--body-timeout", "-1s"}, "--body-timeout: -1s is negative"},
		{[]string{"standalone", "-f", ".", "--max-connections", "-5"}, "--max-connections: -5"},
	} {
		if _, err := run(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("portico %v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
