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

// Package vtl is the Velocity Template Language subset that Amazon API Gateway runs for
// mapping templates, with API Gateway's semantics: Parse turns a template into an AST once
// (the compiler calls it to refuse a bad template with its line and column, the proxy keeps
// the result per snapshot), and Template.Eval renders it against one request's $input,
// $context and $stageVariables, returning the text and the request and response overrides
// the template set.
//
// What it takes from Velocity 1.7 (the engine API Gateway runs): references with properties,
// indexes and Java-like methods on strings, lists and maps; #set, #if/#elseif/#else,
// #foreach with $foreach and $velocityCount, #break, #stop, comments, escapes and the
// {}-delimited directive forms; literals, ranges, arithmetic with Java's integer rules,
// comparisons and logic; and 1.x's whitespace rules (a #set line vanishes, #if, #foreach,
// #else and #end eat the newline that ends their line).
//
// What it takes from API Gateway rather than Velocity: a reference that resolves to nothing
// renders as the empty string (API Gateway's behaviour, stock Velocity prints the reference's
// source; Options.LiteralNulls restores that), $input, $util and the override maps of
// $context, and the hard caps (300 KB templates, 1,000 iterations per #foreach).
//
// The body is read as JSON onto a tape (ParseTape: one pointer-free array of spans and
// numbers), which property access, #foreach and $input.path read directly; *Map and *List
// values are built only for a template that changes the body or calls a method needing them.
//
// Everything a template can do is bounded: template size, parser nesting, iterations, output
// and string sizes, evaluation steps and a context deadline. Nothing in it panics on any
// input (FuzzParse and FuzzEval hold it to that).
package vtl
