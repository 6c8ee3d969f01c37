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

// Package lambda is the proxy step of TOKEN and REQUEST authorizers: it calls an HTTP
// service that speaks Amazon API Gateway's Lambda authorizer contract (the authorizer event
// POSTed as JSON, answered with a policy document or a simple response), so authorizers
// written for AWS run unchanged.
//
// A request's identity sources are read first; a missing one, or a TOKEN that does not match
// the identityValidationExpression, answers 401 without calling the function. The function's
// answer is cached by identity source values for the authorizer's resultTtlSeconds, and a
// cached policy is evaluated against each request's own methodArn, as AWS does: a policy
// allowing GET /pets/* cached from one request denies DELETE /pets/7 on the next.
package lambda
