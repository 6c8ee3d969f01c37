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

package vtl

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// escapeJavaScriptRune is escapeJavaScript as it was written first, rune by rune: what the
// one that copies runs of plain bytes at once must print.
func escapeJavaScriptRune(s string) string {
	var b strings.Builder
	const hex = "0123456789ABCDEF"
	u4 := func(c uint16) {
		b.WriteString(`\u`)
		b.WriteByte(hex[c>>12])
		b.WriteByte(hex[c>>8&0xf])
		b.WriteByte(hex[c>>4&0xf])
		b.WriteByte(hex[c&0xf])
	}
	for _, r := range s {
		switch {
		case r >= 0x10000:
			r1, r2 := utf16.EncodeRune(r)
			u4(uint16(r1))
			u4(uint16(r2))
		case r > 0x7f:
			u4(uint16(r))
		case r < 0x20:
			switch r {
			case '\b':
				b.WriteString(`\b`)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\f':
				b.WriteString(`\f`)
			case '\r':
				b.WriteString(`\r`)
			default:
				u4(uint16(r))
			}
		case r == '\'' || r == '"' || r == '\\' || r == '/':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		default:
			b.WriteByte(byte(r))
		}
	}
	return b.String()
}

func TestEscapeJavaScriptRuns(t *testing.T) {
	cases := []string{"", "plain", "It's fragile", `"quoted" \ / '`, "tab\there\n", "\x00\x1f\x7f", "é€😀", "\xff\xfe bad", "a\xe2\x82", "'", "ends with é",
		strings.Repeat("x", 100) + "'" + strings.Repeat("y", 100)}
	alphabet := []string{"a", "Z", " ", "'", "\"", "\\", "/", "\n", "\x01", "\x7f", "é", "€", "😀", "\xff", "\xe2\x82", "\u2028"}
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 2000; n++ {
		var b strings.Builder
		for k := rng.Intn(12); k > 0; k-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		if got, want := escapeJavaScript(s), escapeJavaScriptRune(s); got != want {
			t.Errorf("escapeJavaScript(%q) = %q, want %q", s, got, want)
		}
	}
	// And through $util, which has its own test for a string to escape and builds the
	// escaped one in the arena: the suite passed with that test missing a last byte.
	tp, err := Parse(`$util.escapeJavaScript($stageVariables.s)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cases[:400] {
		if got, want := render(tp, &Env{StageVariables: MapOf(map[string]string{"s": s})}, nil), escapeJavaScriptRune(s); got != want {
			t.Errorf("$util.escapeJavaScript(%q) = %q, want %q", s, got, want)
		}
	}
}

// blank is strings.TrimSpace(s) == "", read from the start.
func TestBlank(t *testing.T) {
	for _, s := range []string{"", " ", " \t\r\n", "\u00a0\u2028 ", "\u0085", " x ", "x", "\xff", "  {}" + strings.Repeat(" ", 50), "\u200b"} {
		if got, want := blank(s), strings.TrimSpace(s) == ""; got != want {
			t.Errorf("blank(%q) = %v, want %v", s, got, want)
		}
	}
}

// The methods whose name goes into an argument's error only then still name it.
func TestStrArgNames(t *testing.T) {
	for src, want := range map[string]string{
		`$input.json($missing)`: "$input.json: argument is null",
		`$input.path($missing)`: "$input.path: argument is null",
	} {
		tp, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(tp, &Env{Body: `{}`}, nil); !strings.Contains(got, want) {
			t.Errorf("%s: %s, want %q", src, got, want)
		}
	}
}

// replaceLiteral replaces as strings.Replace does, once or everywhere.
func TestReplaceLiteral(t *testing.T) {
	for _, s := range []string{"", "a", "aaa", `It\'s`, `\'\'x\'`, "abcabcab", "xyz", "ééé"} {
		for _, old := range []string{"a", "aa", `\'`, "abc", "é", "z", "xyz!"} {
			for _, repl := range []string{"", "'", "bb", "a", "longer than before"} {
				for _, all := range []bool{false, true} {
					n := 1
					if all {
						n = -1
					}
					if got, want := replaceLiteral(s, old, repl, all), strings.Replace(s, old, repl, n); got != want {
						t.Errorf("replaceLiteral(%q, %q, %q, %v) = %q, want %q", s, old, repl, all, got, want)
					}
				}
			}
		}
	}
}

// The regular expression an evaluation asked for last answers its next asks, whatever
// else it asked for between.
func TestRegexLast(t *testing.T) {
	tp, err := Parse(`#set($s = "a.b-a.b")#foreach($i in [1..3])$s.replaceAll("a", "x") $s.replaceAll("\.", "_") $s.matches("a.*") $s.replaceFirst("b$", "B") $s.replaceAll("a", "y");#end`)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("x.b-x.b a_b-a_b true a.b-a.B y.b-y.b;", 3)
	if got := render(tp, &Env{}, nil); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Strings built in the evaluation's arena stay as built while more are built after them,
// across its chunks, with long ones allocated alone between them.
func TestArenaStrings(t *testing.T) {
	tp, err := Parse(`#set($long = $stageVariables.long)#set($l = [])#foreach($i in [1..400])#set($s = "it's $i")#if($i % 97 == 0)#set($s = "$s$long")#end#set($x = $l.add($util.escapeJavaScript($s)))#set($x = $l.add($s.replaceAll("'", "''")))#end#foreach($s in $l)$s|#end`)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("'x", 700)
	var want strings.Builder
	for i := 1; i <= 400; i++ {
		s := "it's " + strconv.Itoa(i)
		if i%97 == 0 {
			s += long
		}
		want.WriteString(escapeJavaScriptRune(s) + "|" + strings.ReplaceAll(s, "'", "''") + "|")
	}
	if got := render(tp, &Env{StageVariables: MapOf(map[string]string{"long": long})}, nil); got != want.String() {
		t.Errorf("got %.200q..., want %.200q...", got, want.String())
	}
}
