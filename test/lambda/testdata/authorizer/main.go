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

// Command authorizer is AWS's REQUEST authorizer example ("Lambda authorizer function
// examples" in the Amazon API Gateway developer guide) written with aws-lambda-go: it
// allows a request whose HeaderAuth1 header, QueryString1 query parameter and StageVar1
// stage variable have the expected values, and answers "Unauthorized" (401) otherwise. It
// reads the header by the client's spelling, as AWS passes it.
package main

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	if ev.Headers["HeaderAuth1"] != "headerValue1" || ev.QueryStringParameters["QueryString1"] != "queryValue1" ||
		ev.StageVariables["StageVar1"] != "stageValue1" {
		return events.APIGatewayCustomAuthorizerResponse{}, errors.New("Unauthorized")
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "me",
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{ev.MethodArn},
			}},
		},
		Context: map[string]any{"stringKey": "stringval", "numberKey": 123, "booleanKey": true},
	}, nil
}

func main() { lambda.Start(handle) }
