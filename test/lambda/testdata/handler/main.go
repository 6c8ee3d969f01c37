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

// Command handler is a REST-style (payload 1.0) Lambda function as users write them with
// aws-lambda-go: it answers what it read from its typed event, and fails on /pets/fail.
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	if ev.PathParameters["proxy"] == "fail" {
		return events.APIGatewayProxyResponse{}, errors.New("secret failure text")
	}
	body, _ := json.Marshal(map[string]any{
		"httpMethod": ev.HTTPMethod, "resource": ev.Resource, "path": ev.Path,
		"proxy": ev.PathParameters["proxy"], "apiId": ev.RequestContext.APIID,
		"accountId": ev.RequestContext.AccountID, "stage": ev.RequestContext.Stage,
		"q": ev.MultiValueQueryStringParameters["q"],
	})
	return events.APIGatewayProxyResponse{
		StatusCode:        201,
		Headers:           map[string]string{"Content-Type": "application/json"},
		MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
		Body:              string(body),
	}, nil
}

func main() { lambda.Start(handle) }
