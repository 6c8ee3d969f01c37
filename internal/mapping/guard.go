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

package mapping

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrUnsafePath marks a value that must not stand in a backend path: a request carrying one
// is refused (400 BAD_REQUEST_PARAMETERS) before anything reaches the backend. Every error of
// the Check functions wraps it.
var ErrUnsafePath = errors.New("unsafe value for a backend path")

// The path guard. A value substituted into a backend path (a {param}, a requestParameters
// path.X from a header, query string or context, a stage variable) must not move the request
// elsewhere on the backend, whatever the backend does with it: normalize dot segments
// ("/api/../admin"), read ";" as a path parameter (Tomcat's "..;"), treat a backslash as a
// separator (IIS, some Java containers), or decode the path once more ("%252F" to "%2F" to
// "/"). So a segment is refused when its part before any ';' is "." or "..", when it holds
// '/', '\' or a control character, or when decoding it once more would give any of those.
// Values are checked as decoded once, as Amazon API Gateway decodes a path once.

// CheckSegment checks a decoded value that stands as one path segment ({param}).
func CheckSegment(v string) error {
	if why := segmentProblem(v); why != "" {
		return unsafe(v, why)
	}
	return nil
}

// CheckPath checks a decoded value that stands as a path, its slashes kept (a greedy
// {proxy+} set by requestParameters): each segment as CheckSegment does.
func CheckPath(v string) error {
	for seg := range strings.SplitSeq(v, "/") {
		if why := segmentProblem(seg); why != "" {
			return unsafe(v, why)
		}
	}
	return nil
}

// CheckEscapedPath checks a path as written on the wire, escaped (a greedy {proxy+} as the
// client sent it, a stage variable's value in a uri path, the path under the stage that a
// backendRef receives): each segment is decoded once and checked as CheckSegment does, so an
// escaped slash inside a segment ("a%2F..%2Fb") is refused.
func CheckEscapedPath(p string) error {
	for seg := range strings.SplitSeq(p, "/") {
		d := seg
		if strings.IndexByte(seg, '%') >= 0 {
			if u, err := url.PathUnescape(seg); err == nil {
				d = u
			}
		}
		if why := segmentProblem(d); why != "" {
			return unsafe(p, why)
		}
	}
	return nil
}

func unsafe(v, why string) error {
	return fmt.Errorf("%w: %q %s", ErrUnsafePath, v, why)
}

// segmentProblem says what is wrong with one decoded segment, or "".
func segmentProblem(s string) string {
	if why := plainProblem(s); why != "" {
		return why
	}
	if strings.IndexByte(s, '%') < 0 {
		return ""
	}
	// Decoded once more: what a backend that decodes again would see.
	d, err := url.PathUnescape(s)
	if err != nil || d == s {
		return ""
	}
	if why := plainProblem(d); why != "" {
		return "is encoded twice and then " + why
	}
	return ""
}

func plainProblem(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '/':
			return "holds a slash"
		case c == '\\':
			return "holds a backslash"
		case c < 0x20 || c == 0x7f:
			return "holds a control character"
		}
	}
	base, _, _ := strings.Cut(s, ";")
	if base == "." || base == ".." {
		return "is a dot segment"
	}
	return ""
}
