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
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// inputObj is $input: the payload and the request's parameters.
type inputObj struct {
	t                   *Template
	body                string
	parse               func() (any, error)
	path, query, header *Map
	lazyParams          func() (path, query, header *Map) // sets path, query and header
	lazyParam           func(name string) (string, bool)  // one of them, before lazyParams ran
	params              *Map
	parsed              bool
	root                any
}

// blank reports whether s is white space alone, as strings.TrimSpace(s) == "" does, from
// the start: TrimSpace went on through the trailing spaces a body may be padded with.
func blank(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) }) < 0
}

// doc reads the body as JSON once per evaluation, onto a tape unless the caller read it. An
// empty body is {}, as API Gateway's $input.json('$') answers for a request without one. A
// body that is not JSON reads as a JSON string holding it, as API Gateway reads one:
// $input.path('$') is the raw payload (the templates that turn a form post into JSON split
// it), $input.json('$') the payload quoted, and any other path finds nothing.
func (in *inputObj) doc(e *evaluator) any {
	if !in.parsed {
		in.parsed = true
		var err error
		if in.parse != nil {
			in.root, err = in.parse()
		} else if blank(in.body) {
			in.root = &Map{}
		} else {
			in.root, err = ParseTape(in.body)
		}
		switch t, ok := in.root.(*Tape); {
		case err != nil:
			in.root = in.body
		case ok:
			// A tape is shared (the caller's, or another evaluation's): this evaluation
			// reads it through its own view, allocated with the evaluator.
			in.root = e.docVal.init(t).value(0)
		}
	}
	return in.root
}

func (e *evaluator) inputMethod(off int, in *inputObj, name string, args []any) (any, error) {
	switch name {
	case "json", "path":
		if len(args) != 1 {
			break
		}
		p, err := e.strArgOf(off, "$input.", name, args[0])
		if err != nil {
			return nil, err
		}
		jp, err := in.t.paths.get(p)
		if err != nil {
			return nil, e.errf(off, KindRuntime, "$input.%s(%q): %v", name, p, err)
		}
		root := in.doc(e)
		visited := 0
		v, found := jp.eval(root, &visited)
		if err := e.charge(off, visited); err != nil {
			return nil, err
		}
		if name == "path" {
			if !found {
				return nil, nil
			}
			return v, nil
		}
		if !found {
			return `""`, nil
		}
		// Built in the arena and boxed from a slot, as the strings methods make: the three
		// allocations of a buffer, its string and the interface were most of a small
		// value's cost.
		b, ok := appendJSON(e.arenaBuf(64), v, 0)
		if !ok {
			return nil, e.errf(off, KindRuntime, "value is nested more than %d levels deep", maxValueDepth)
		}
		if len(b) > e.opts.MaxOutput {
			return nil, e.errf(off, KindLimit, "string longer than %d bytes", e.opts.MaxOutput)
		}
		return e.boxStr(e.arenaString(b)), e.charge(off, len(b)/64)
	case "params":
		if len(args) == 1 && in.lazyParams != nil && in.lazyParam != nil {
			n, err := e.strArg(off, "$input.params", args[0])
			if err != nil {
				return nil, err
			}
			v, _ := in.lazyParam(n)
			return e.boxStr(v), nil // "" for a missing one, as param answers
		}
		if in.lazyParams != nil {
			p, q, h := in.lazyParams()
			in.path, in.query, in.header, in.lazyParams = orEmpty(p), orEmpty(q), orEmpty(h), nil
		}
		switch len(args) {
		case 0:
			if in.params == nil {
				in.params = &Map{keys: []string{"path", "querystring", "header"}, vals: []any{in.path, in.query, in.header}}
			}
			return in.params, nil
		case 1:
			n, err := e.strArg(off, "$input.params", args[0])
			if err != nil {
				return nil, err
			}
			return in.param(n), nil
		}
	case "getBody":
		if len(args) == 0 {
			return in.body, nil
		}
	}
	return nil, e.errf(off, KindRuntime, "$input has no method %s with %d argument(s)", name, len(args))
}

// param looks a name up in the path, then the query string, then the headers (header
// names without regard to case), as API Gateway does; a missing one is "".
func (in *inputObj) param(n string) any {
	for _, m := range [...]*Map{in.path, in.query, in.header} {
		if v, ok := m.Get(n); ok {
			return v
		}
	}
	for i, k := range in.header.keys {
		if strings.EqualFold(k, n) {
			return in.header.vals[i]
		}
	}
	return ""
}

// utilObj is $util.
type utilObj struct{}

func (e *evaluator) utilMethod(off int, name string, args []any) (any, error) {
	switch name {
	case "escapeJavaScript", "urlEncode", "urlDecode", "base64Encode", "base64Decode", "parseJson":
	default:
		return nil, e.errf(off, KindRuntime, "$util has no method %s", name)
	}
	if len(args) != 1 {
		return nil, e.errf(off, KindRuntime, "$util.%s takes one argument", name)
	}
	if args[0] == nil {
		return nil, nil
	}
	s, err := e.strArgOf(off, "$util.", name, args[0])
	if err != nil {
		return nil, err
	}
	if err := e.charge(off, len(s)/64); err != nil {
		return nil, err
	}
	var out string
	switch name {
	case "escapeJavaScript":
		if plainJS(s) == len(s) {
			out = s
		} else {
			out = e.arenaString(appendEscapeJavaScript(e.arenaBuf(len(s)+len(s)/8+8), s))
		}
	case "urlEncode":
		out = urlEncode(s)
	case "urlDecode":
		var ok bool
		if out, ok = urlDecode(s); !ok {
			return nil, e.errf(off, KindRuntime, "$util.urlDecode: malformed escape in %q", s)
		}
	case "base64Encode":
		out = base64.StdEncoding.EncodeToString([]byte(s))
	case "base64Decode":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
				return nil, e.errf(off, KindRuntime, "$util.base64Decode: %v", err)
			}
		}
		out = string(b)
	case "parseJson":
		v, err := ParseJSON(s)
		if err != nil {
			return nil, e.errf(off, KindRuntime, "$util.parseJson: %v", err)
		}
		return v, nil
	}
	if len(out) > e.opts.MaxOutput {
		return nil, e.errf(off, KindLimit, "string longer than %d bytes", e.opts.MaxOutput)
	}
	return e.boxStr(out), nil
}

// escapeJavaScript is commons-lang's StringEscapeUtils.escapeJavaScript, what API Gateway
// runs: quotes (single ones too), backslash and '/' get a backslash, control characters
// their short escape or \u00XX, and everything beyond ASCII \uXXXX (upper-case hex, UTF-16
// units).
func escapeJavaScript(s string) string {
	if plainJS(s) == len(s) {
		return s // the usual string: nothing to escape, nothing to build
	}
	return string(appendEscapeJavaScript(nil, s))
}

// plainJS is the length of the run of bytes from s's start that escapeJavaScript prints as
// themselves.
func plainJS(s string) int {
	i := 0
	for i < len(s) && jsPlain[s[i]] {
		i++
	}
	return i
}

// appendEscapeJavaScript appends escapeJavaScript(s) to b.
func appendEscapeJavaScript(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	u4 := func(b []byte, c uint16) []byte {
		return append(b, '\\', 'u', hex[c>>12], hex[c>>8&0xf], hex[c>>4&0xf], hex[c&0xf])
	}
	for i := 0; ; {
		// The bytes that print as themselves, at once; then one rune to escape.
		n := plainJS(s[i:])
		b = append(b, s[i:i+n]...)
		if i += n; i == len(s) {
			return b
		}
		r, size := utf8.DecodeRuneInString(s[i:]) // RuneError for a bad byte, as range reads it
		switch {
		case r >= 0x10000:
			r1, r2 := utf16.EncodeRune(r)
			b = u4(u4(b, uint16(r1)), uint16(r2))
		case r > 0x7f:
			b = u4(b, uint16(r))
		case r < 0x20:
			switch r {
			case '\b':
				b = append(b, `\b`...)
			case '\n':
				b = append(b, `\n`...)
			case '\t':
				b = append(b, `\t`...)
			case '\f':
				b = append(b, `\f`...)
			case '\r':
				b = append(b, `\r`...)
			default:
				b = u4(b, uint16(r))
			}
		default: // ' " \ /
			b = append(b, '\\', byte(r))
		}
		i += size
	}
}

// jsPlain marks the bytes escapeJavaScript prints as themselves.
var jsPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '\'' && c != '"' && c != '\\' && c != '/'
	}
	return t
}()

// urlEncode is Java's URLEncoder.encode(s, "UTF-8"): letters, digits and ".-*_" stay,
// a space becomes '+', every other byte %XX.
func urlEncode(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c) || isDigit(c) || c == '.' || c == '-' || c == '*' || c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

// urlDecode is Java's URLDecoder.decode(s, "UTF-8"): '+' is a space, %XX a byte.
func urlDecode(s string) (string, bool) {
	if !strings.ContainsAny(s, "+%") {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			b = append(b, h<<4|l)
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case isDigit(c):
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
