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

package compress

import (
	"strconv"
	"strings"
)

// Encoding is a content coding the proxy can produce.
type Encoding uint8

// Encodings, in the order of preference on equal q-values.
const (
	Identity Encoding = iota
	Gzip
	Deflate
)

// String is the coding's name in Content-Encoding.
func (e Encoding) String() string {
	switch e {
	case Gzip:
		return "gzip"
	case Deflate:
		return "deflate"
	}
	return "identity"
}

// Negotiate picks the coding for a response from the client's Accept-Encoding values
// (RFC 9110 section 12.5.3): the acceptable one of gzip and deflate with the highest
// q-value, gzip on a tie; "*" stands for those not named; q=0 refuses. Identity when the
// client accepts neither, or sent nothing.
func Negotiate(values []string) Encoding {
	gz, df, star := -1.0, -1.0, -1.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					q = qvalue(strings.TrimSpace(val))
				}
			}
			switch name {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "deflate":
				df = max(df, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if gz < 0 {
		gz = star
	}
	if df < 0 {
		df = star
	}
	switch {
	case gz <= 0 && df <= 0:
		return Identity
	case gz >= df:
		return Gzip
	}
	return Deflate
}

// qvalue reads a q-value: 0 to 1 with at most three decimals; anything else is 0, which
// refuses the coding rather than guess.
func qvalue(s string) float64 {
	if len(s) == 0 || len(s) > 5 {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1 {
		return 0
	}
	return f
}
