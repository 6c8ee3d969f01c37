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

package rejection

import (
	"maps"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := map[string]string{
		"shop/prod": "route a: bad\nsecond line",
		"shop/beta": "canary: percentTraffic 120 is not within 0..100",
	}
	msg := Format(in, 5, 0)
	want := "rejected 2 of 5 resources; the others were applied\n" +
		"[shop/beta] canary: percentTraffic 120 is not within 0..100\n" +
		"[shop/prod] route a: bad second line"
	if msg != want {
		t.Fatalf("Format:\n%s\nwant:\n%s", msg, want)
	}
	got, ok := Parse(msg)
	if !ok {
		t.Fatal("Parse refused its own format")
	}
	if !maps.Equal(got, map[string]string{"shop/prod": "route a: bad second line", "shop/beta": in["shop/beta"]}) {
		t.Fatalf("Parse = %v", got)
	}
}

func TestTruncated(t *testing.T) {
	in := map[string]string{}
	for _, n := range []string{"a/1", "a/2", "a/3", "a/4"} {
		in[n] = strings.Repeat("x", 100)
	}
	msg := Format(in, 4, 300)
	if len(msg) > 300 {
		t.Fatalf("message of %d bytes over the 300 asked", len(msg))
	}
	if !strings.HasSuffix(msg, "\n[...]") {
		t.Fatalf("a cut message must say so:\n%s", msg)
	}
	if _, ok := Parse(msg); ok {
		t.Fatal("Parse took a cut message as complete: the resources it left out would count as applied")
	}
}

func TestLongReasonCut(t *testing.T) {
	msg := Format(map[string]string{"a/b": strings.Repeat("é", MaxReason)}, 1, 0)
	got, ok := Parse(msg)
	if !ok {
		t.Fatal("not parsed")
	}
	r := got["a/b"]
	if len(r) > MaxReason+3 || !strings.HasSuffix(r, "...") {
		t.Fatalf("reason of %d bytes not cut to %d", len(r), MaxReason)
	}
	if !strings.HasPrefix(r, "é") || strings.ContainsRune(r, '\uFFFD') {
		t.Fatal("cut inside a UTF-8 sequence")
	}
}

func TestParseOtherMessages(t *testing.T) {
	for _, msg := range []string{
		"",
		"stage shop/prod: route a: bad",
		"rejected 1 of 2 resources; the others were applied\nno brackets here",
		"rejected 1 of 2 resources; the others were applied\n[] empty",
	} {
		if _, ok := Parse(msg); ok {
			t.Errorf("Parse(%q) took it as a per-resource rejection", msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Format(map[string]string{"a/b": "x", "c/d": "y"}, 3, 0))
	f.Add("rejected 0 of 0 resources; the others were applied")
	f.Fuzz(func(t *testing.T, msg string) {
		got, ok := Parse(msg)
		if !ok {
			return
		}
		for _, r := range got {
			if len(r) > MaxReason {
				return // Format cuts it, as it should
			}
		}
		// What parses must survive another round trip unchanged, names and reasons alike.
		again, ok := Parse(Format(got, len(got), 0))
		if !ok || !maps.Equal(got, again) {
			t.Fatalf("round trip of %q: %v -> %v (%v)", msg, got, again, ok)
		}
	})
}
