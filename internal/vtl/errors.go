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
	"errors"
	"fmt"
)

// Kind sorts errors by what the caller does about them.
type Kind int

const (
	// KindSyntax means the template does not parse. The compiler refuses it.
	KindSyntax Kind = iota + 1
	// KindRuntime means the template failed while rendering (an unknown method, a bad argument,
	// an integer overflow). API Gateway answers 500.
	KindRuntime
	// KindLimit means the template hit a cap (iterations, output size, steps, time).
	KindLimit
)

// Sentinels for errors.Is; every *Error wraps the one of its Kind.
var (
	ErrSyntax  = errors.New("vtl: syntax error")
	ErrRuntime = errors.New("vtl: runtime error")
	ErrLimit   = errors.New("vtl: limit exceeded")
)

// Error is every error of the package: a parse or evaluation failure at a position of the
// template (1-based line and column, the column counted in characters).
type Error struct {
	Kind   Kind
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Unwrap lets errors.Is(err, ErrSyntax) and its siblings sort an error.
func (e *Error) Unwrap() error {
	switch e.Kind {
	case KindSyntax:
		return ErrSyntax
	case KindLimit:
		return ErrLimit
	default:
		return ErrRuntime
	}
}

// lineCol turns a byte offset of src into a 1-based line and a 1-based column in
// characters. Positions are kept as offsets in the AST and converted only on error.
func lineCol(src string, off int) (int, int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
