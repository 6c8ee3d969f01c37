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

package lambda

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// blueprintPolicy ports the AuthPolicy class of AWS's published authorizer blueprints
// (api-gateway-authorizer-nodejs and -python) as written: it builds resource ARNs from the
// parts of the methodArn it was called with, so Portico's methodArn must split the way
// AWS's does.
type blueprintPolicy struct {
	principalID, accountID, region, restAPIID, stage string
	allow, deny                                      []string
}

var blueprintPathRegex = regexp.MustCompile(`^[/.a-zA-Z0-9-\*]+$`)

func (p *blueprintPolicy) addMethod(effect, verb, resource string) {
	if verb != "*" && verb != "GET" && verb != "POST" && verb != "PUT" && verb != "PATCH" &&
		verb != "HEAD" && verb != "DELETE" && verb != "OPTIONS" {
		panic("Invalid HTTP verb " + verb)
	}
	if !blueprintPathRegex.MatchString(resource) {
		panic("Invalid resource path: " + resource)
	}
	cleaned := strings.TrimPrefix(resource, "/")
	arn := "arn:aws:execute-api:" + p.region + ":" + p.accountID + ":" + p.restAPIID + "/" + p.stage + "/" + verb + "/" + cleaned
	if effect == "Allow" {
		p.allow = append(p.allow, arn)
	} else {
		p.deny = append(p.deny, arn)
	}
}

func (p *blueprintPolicy) build() map[string]any {
	statements := []any{}
	for _, s := range []struct {
		effect    string
		resources []string
	}{{"Allow", p.allow}, {"Deny", p.deny}} {
		if len(s.resources) > 0 {
			statements = append(statements, map[string]any{
				"Action": "execute-api:Invoke", "Effect": s.effect, "Resource": s.resources,
			})
		}
	}
	return map[string]any{
		"principalId":    p.principalID,
		"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": statements},
	}
}

// blueprintHandler is the blueprint's handler: it parses methodArn by splitting on ':' and
// '/', allows GET /pets/* for any token but "deny" (which denies all methods), and fails
// "unauthorized" with the error AWS's callback("Unauthorized") produces.
func blueprintHandler(w http.ResponseWriter, _ *http.Request, event map[string]any) {
	token, _ := event["authorizationToken"].(string)
	methodArn, _ := event["methodArn"].(string)
	switch token {
	case "unauthorized":
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_, _ = w.Write([]byte(`{"errorMessage":"Unauthorized","errorType":"Error"}`))
		return
	case "fail":
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"errorMessage":"Error: Invalid token","errorType":"Error"}`))
		return
	}
	tmp := strings.Split(methodArn, ":")
	apiGatewayArnTmp := strings.Split(tmp[5], "/")
	p := &blueprintPolicy{
		principalID: "user|" + token, accountID: tmp[4], region: tmp[3],
		restAPIID: apiGatewayArnTmp[0], stage: apiGatewayArnTmp[1],
	}
	if token == "deny" {
		p.addMethod("Deny", "*", "*")
	} else {
		p.addMethod("Allow", "GET", "/pets/*")
		p.addMethod("Allow", "POST", "/pets")
	}
	resp := p.build()
	resp["context"] = map[string]any{"key": "value", "number": 1, "bool": true}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func TestAnAuthorizerWrittenToAWSBlueprintRunsUnchanged(t *testing.T) {
	a := newAuthz(t, blueprintHandler)
	az := tokenAuthorizer(a.URL, 300)
	e := newEnv(t, routeFor(az), Options{Region: "eu-west-1"})

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "alice"), http.StatusOK, "")
	got := e.authorizer()
	if got.PrincipalID != "user|alice" || got.Context["key"] != "value" || got.Context["number"] != "1" || got.Context["bool"] != "true" {
		t.Fatalf("authorizer context %+v", got)
	}
	if arn := a.Last()["methodArn"]; arn != "arn:aws:execute-api:eu-west-1:shop:pets/prod/GET/pets/7" {
		t.Fatalf("methodArn %v", arn)
	}
	// The cached policy answers the other requests of the same token.
	expectStatus(t, e.do("GET", "/pets/8/photos", "Authorization", "alice"), http.StatusOK, "")
	expectStatus(t, e.do("DELETE", "/pets/7", "Authorization", "alice"), http.StatusForbidden, "ACCESS_DENIED")
	expectStatus(t, e.do("GET", "/stores/1", "Authorization", "alice"), http.StatusForbidden, "ACCESS_DENIED")
	expectStatus(t, e.do("GET", "/pets", "Authorization", "alice"), http.StatusForbidden, "ACCESS_DENIED")
	expectCalls(t, a, 1)

	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "deny"), http.StatusForbidden, "ACCESS_DENIED")
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "unauthorized"), http.StatusUnauthorized, "UNAUTHORIZED")
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "fail"), http.StatusInternalServerError, "AUTHORIZER_FAILURE")
}
