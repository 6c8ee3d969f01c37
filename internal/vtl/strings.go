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
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
)

// Java strings count UTF-16 code units: length(), substring(), indexOf() and charAt() do
// too here. ASCII strings (nearly all) take the byte fast path.

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// jstr is a string as Java sees it: its UTF-16 units, computed only when not ASCII.
type jstr struct {
	s     string
	units []uint16
}

func newJstr(s string) jstr {
	if isASCII(s) {
		return jstr{s: s}
	}
	return jstr{s: s, units: utf16.Encode([]rune(s))}
}

func (j jstr) length() int {
	if j.units == nil {
		return len(j.s)
	}
	return len(j.units)
}

func (j jstr) slice(a, b int) string {
	if j.units == nil {
		return j.s[a:b]
	}
	return string(utf16.Decode(j.units[a:b]))
}

// indexOf finds sub at or after from, in units.
func (j jstr) indexOf(sub string, from int) int {
	if from < 0 {
		from = 0
	}
	if j.units == nil && isASCII(sub) {
		if from > len(j.s) {
			return -1
		}
		i := strings.Index(j.s[from:], sub)
		if i < 0 {
			return -1
		}
		return i + from
	}
	u, su := j.u16(), utf16.Encode([]rune(sub))
	for i := from; i+len(su) <= len(u); i++ {
		if unitsEqual(u[i:i+len(su)], su) {
			return i
		}
	}
	return -1
}

func (j jstr) lastIndexOf(sub string, from int) int {
	u, su := j.u16(), utf16.Encode([]rune(sub))
	if from > len(u)-len(su) {
		from = len(u) - len(su)
	}
	for i := from; i >= 0; i-- {
		if unitsEqual(u[i:i+len(su)], su) {
			return i
		}
	}
	return -1
}

func (j jstr) u16() []uint16 {
	if j.units != nil {
		return j.units
	}
	u := make([]uint16, len(j.s))
	for i := 0; i < len(j.s); i++ {
		u[i] = uint16(j.s[i])
	}
	return u
}

func unitsEqual(a, b []uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (e *evaluator) stringMethod(off int, s string, name string, args []any) (any, error) {
	if err := e.charge(off, len(s)/64); err != nil {
		return nil, err
	}
	str := func(i int) (string, error) { return e.strArg(off, name, args[i]) }
	num := func(i int) (int, error) {
		n, err := e.intArg(off, name, args[i])
		return int(n), err
	}
	switch name {
	case "length":
		if len(args) == 0 {
			return int64(newJstr(s).length()), nil
		}
	case "isEmpty":
		if len(args) == 0 {
			return s == "", nil
		}
	case "isBlank":
		if len(args) == 0 {
			return strings.TrimSpace(s) == "", nil
		}
	case "toString", "trim", "toLowerCase", "toUpperCase", "strip":
		if len(args) == 0 {
			switch name {
			case "trim":
				return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }), nil
			case "strip":
				return strings.TrimSpace(s), nil
			case "toLowerCase":
				return strings.ToLower(s), nil
			case "toUpperCase":
				return strings.ToUpper(s), nil
			}
			return s, nil
		}
	case "contains", "startsWith", "endsWith", "equals", "equalsIgnoreCase", "concat", "compareTo", "matches":
		if len(args) == 1 {
			if name == "equals" {
				a, ok := args[0].(string)
				return ok && a == s, nil
			}
			a, err := str(0)
			if err != nil {
				return nil, err
			}
			switch name {
			case "contains":
				return strings.Contains(s, a), nil
			case "startsWith":
				return strings.HasPrefix(s, a), nil
			case "endsWith":
				return strings.HasSuffix(s, a), nil
			case "equalsIgnoreCase":
				return strings.EqualFold(s, a), nil
			case "concat":
				if len(s)+len(a) > e.opts.MaxOutput {
					return nil, e.errf(off, KindLimit, "string longer than %d bytes", e.opts.MaxOutput)
				}
				return s + a, nil
			case "compareTo":
				return int64(strings.Compare(s, a)), nil
			case "matches":
				re, err := e.regex(off, "^(?:"+a+")$")
				if err != nil {
					return nil, err
				}
				return re.MatchString(s), nil
			}
		}
	case "indexOf", "lastIndexOf":
		if len(args) == 1 || len(args) == 2 {
			a, err := str(0)
			if err != nil {
				return nil, err
			}
			j := newJstr(s)
			from := 0
			if name == "lastIndexOf" {
				from = j.length()
			}
			if len(args) == 2 {
				if from, err = num(1); err != nil {
					return nil, err
				}
			}
			if name == "indexOf" {
				return int64(j.indexOf(a, from)), nil
			}
			return int64(j.lastIndexOf(a, from)), nil
		}
	case "substring":
		if len(args) == 1 || len(args) == 2 {
			j := newJstr(s)
			a, err := num(0)
			if err != nil {
				return nil, err
			}
			b := j.length()
			if len(args) == 2 {
				if b, err = num(1); err != nil {
					return nil, err
				}
			}
			if a < 0 || b > j.length() || a > b {
				return nil, e.errf(off, KindRuntime, "substring(%d, %d) out of range for length %d", a, b, j.length())
			}
			return j.slice(a, b), nil
		}
	case "charAt":
		if len(args) == 1 {
			j := newJstr(s)
			i, err := num(0)
			if err != nil {
				return nil, err
			}
			if i < 0 || i >= j.length() {
				return nil, e.errf(off, KindRuntime, "charAt(%d) out of range for length %d", i, j.length())
			}
			return j.slice(i, i+1), nil
		}
	case "replace", "replaceAll", "replaceFirst":
		if len(args) == 2 {
			a, err := str(0)
			if err != nil {
				return nil, err
			}
			b, err := str(1)
			if err != nil {
				return nil, err
			}
			var out string
			if name == "replace" {
				out = strings.ReplaceAll(s, a, b)
			} else {
				re, err := e.regex(off, a)
				if err != nil {
					return nil, err
				}
				if out, err = e.javaReplace(off, re, s, b, name == "replaceAll"); err != nil {
					return nil, err
				}
			}
			if len(out) > e.opts.MaxOutput {
				return nil, e.errf(off, KindLimit, "string longer than %d bytes", e.opts.MaxOutput)
			}
			return e.boxStr(out), nil
		}
	case "split":
		if len(args) == 1 || len(args) == 2 {
			a, err := str(0)
			if err != nil {
				return nil, err
			}
			limit := 0
			if len(args) == 2 {
				if limit, err = num(1); err != nil {
					return nil, err
				}
			}
			re, err := e.regex(off, a)
			if err != nil {
				return nil, err
			}
			parts := javaSplit(re, s, limit)
			return parts, e.charge(off, len(parts.Items))
		}
	}
	return nil, e.errf(off, KindRuntime, "a string has no method %s with %d argument(s)", name, len(args))
}

// javaSplit is String.split: at most limit parts when limit > 0, trailing empty strings
// dropped when limit is 0, no empty leading part for a zero-width match at the start.
func javaSplit(re *regexp.Regexp, s string, limit int) *List {
	l := &List{}
	if s == "" {
		l.Items = []any{""}
		return l
	}
	n := -1
	if limit > 0 {
		n = limit - 1
	}
	last := 0
	for _, m := range re.FindAllStringIndex(s, n) {
		if m[1] == 0 {
			continue
		}
		l.Items = append(l.Items, s[last:m[0]])
		last = m[1]
	}
	l.Items = append(l.Items, s[last:])
	if limit == 0 {
		for len(l.Items) > 0 && l.Items[len(l.Items)-1] == "" {
			l.Items = l.Items[:len(l.Items)-1]
		}
	}
	return l
}

// javaReplace applies Java's replacement syntax: $n and ${name} are groups, a backslash
// takes the next character literally.
// replaceLiteral is strings.Replace(s, old, repl, 1 or -1) for an old that is not empty, in
// one pass: Replace counts the matches first, which for the short strings templates
// replace in (an escaped value, in a loop) cost as much again.
func replaceLiteral(s, old, repl string, all bool) string {
	if !strings.Contains(s, old) {
		return s
	}
	return string(appendReplaceLiteral(nil, s, old, repl, all))
}

// appendReplaceLiteral appends replaceLiteral(s, old, repl, all) to b; s holds old.
func appendReplaceLiteral(b []byte, s, old, repl string, all bool) []byte {
	i := strings.Index(s, old)
	for {
		b = append(b, s[:i]...)
		b = append(b, repl...)
		s = s[i+len(old):]
		if !all {
			break
		}
		if i = strings.Index(s, old); i < 0 {
			break
		}
	}
	return append(b, s...)
}

func (e *evaluator) javaReplace(off int, re *regexp.Regexp, s, repl string, all bool) (string, error) {
	n := 1
	if all {
		n = -1
	}
	// A pattern without metacharacters and a replacement without $ or \ (the
	// replaceAll("\\'", "'") API Gateway documents) need no regular expression engine.
	if lit, complete := re.LiteralPrefix(); complete && lit != "" && strings.IndexByte(repl, '$') < 0 && strings.IndexByte(repl, '\\') < 0 {
		if !strings.Contains(s, lit) {
			return s, nil
		}
		return e.arenaString(appendReplaceLiteral(e.arenaBuf(len(s)+max(len(repl)-len(lit), 0)), s, lit, repl, all)), nil
	}
	matches := re.FindAllStringSubmatchIndex(s, n)
	if len(matches) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		b.WriteString(s[last:m[0]])
		for i := 0; i < len(repl); i++ {
			c := repl[i]
			switch {
			case c == '\\' && i+1 < len(repl):
				i++
				b.WriteByte(repl[i])
			case c == '\\':
				return "", e.errf(off, KindRuntime, "replacement ends with a lone backslash")
			case c == '$':
				g, next := -1, i+1
				if next < len(repl) && repl[next] == '{' {
					end := strings.IndexByte(repl[next:], '}')
					if end < 0 {
						return "", e.errf(off, KindRuntime, "replacement has an unclosed ${")
					}
					g = re.SubexpIndex(repl[next+1 : next+end])
					next += end + 1
				} else {
					for next < len(repl) && isDigit(repl[next]) {
						d := int(repl[next] - '0')
						if g >= 0 && g*10+d > re.NumSubexp() {
							break
						}
						if g < 0 {
							g = d
						} else {
							g = g*10 + d
						}
						next++
					}
				}
				if g < 0 || g > re.NumSubexp() {
					return "", e.errf(off, KindRuntime, "replacement refers to a group the pattern does not have")
				}
				if m[2*g] >= 0 {
					b.WriteString(s[m[2*g]:m[2*g+1]])
				}
				i = next - 1
			default:
				b.WriteByte(c)
			}
			if b.Len() > e.opts.MaxOutput {
				return "", e.errf(off, KindLimit, "string longer than %d bytes", e.opts.MaxOutput)
			}
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// Compiled patterns are shared by every evaluation; the cache stops growing at a bound so
// that templates building patterns from input cannot fill memory.
var (
	regexCache     sync.Map
	regexCacheSize atomic.Int64
)

const (
	regexCacheMax   = 1024
	regexPatternMax = 4096
)

func (e *evaluator) regex(off int, pattern string) (*regexp.Regexp, error) {
	// The evaluation's last pattern first: a method in a loop asks for the same one on every
	// item, which the shared cache answers at the cost of hashing it.
	if e.lastRe != nil && e.lastPattern == pattern {
		return e.lastRe, nil
	}
	if v, ok := regexCache.Load(pattern); ok {
		e.lastPattern, e.lastRe = pattern, v.(*regexp.Regexp)
		return e.lastRe, nil
	}
	if len(pattern) > regexPatternMax {
		return nil, e.errf(off, KindRuntime, "regular expression longer than %d bytes", regexPatternMax)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, e.errf(off, KindRuntime, "bad regular expression %q: %v", pattern, err)
	}
	e.lastPattern, e.lastRe = pattern, re
	if regexCacheSize.Load() < regexCacheMax {
		if _, loaded := regexCache.LoadOrStore(pattern, re); !loaded {
			regexCacheSize.Add(1)
		}
	}
	return re, nil
}
