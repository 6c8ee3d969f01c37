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

package openapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/schema"
)

// What the importer writes, `kubectl apply` and `portico standalone` must take as it is: a
// value AWS takes that the CRDs' schemas, their CEL rules or the compiler refuse (a Java
// regular expression Go's does not read, a CORS policy AWS would refuse too) is found here,
// before the manifests are written, rather than on apply after a summary saying all was
// carried over. A refused Route or Authorizer is left out and reported (with the routes an
// Authorizer protects: never served unprotected); a refused RestApi or Stage makes the
// document invalid.

var validator = sync.OnceValues(schema.New)

// refusal is why the API server or the compiler would refuse obj (a Portico object whose
// TypeMeta is set), or "".
func refusal(obj any) string {
	v, err := validator()
	if err != nil {
		return "" // the embedded CRDs always load; the compile below still checks
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return err.Error()
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return err.Error()
	}
	if errs := v.DefaultAndValidate(m); len(errs) > 0 {
		return "the CRD refuses it: " + errs.ToAggregate().Error()
	}
	return ""
}

// notAccepted is the message of each object's Accepted=False condition in out, by kind and
// name.
func notAccepted(out compile.Output) map[[2]string]string {
	refused := map[[2]string]string{}
	for _, s := range out.Statuses {
		for _, c := range s.Conditions {
			if c.Type == apiv1.ConditionAccepted && c.Status == metav1.ConditionFalse {
				refused[[2]string{s.Kind, s.Name}] = c.Reason + ": " + c.Message
			}
		}
	}
	return refused
}

// checkAuthorizer is why a would be refused, as refusal and the compiler say, or "".
func (im *importer) checkAuthorizer(a *apiv1.Authorizer) string {
	if why := refusal(a); why != "" {
		return why
	}
	return notAccepted(compile.Compile(compile.Inputs{Authorizers: []apiv1.Authorizer{*a}}))[[2]string{compile.KindAuthorizer, a.Name}]
}

// check leaves out the routes the API server or the compiler would refuse, reporting each
// where its operation is, and fails on a RestApi or Stage they would refuse.
func (im *importer) check() error {
	for _, o := range []struct {
		obj        any
		kind, name string
	}{{im.res.RestApi, "RestApi", im.res.RestApi.Name}, {im.res.Stage, "Stage", im.res.Stage.Name}} {
		if why := refusal(o.obj); why != "" {
			return &Error{File: im.file, Pointer: "#", Err: fmt.Errorf("the %s %s the document makes would be refused: %s", o.kind, o.name, why)}
		}
	}
	keep := im.res.Routes[:0]
	for _, r := range im.res.Routes {
		if why := refusal(&r); why != "" {
			im.leaveOut(r, why)
			continue
		}
		keep = append(keep, r)
	}
	im.res.Routes = keep
	refused := notAccepted(compile.Compile(inputsOf(&im.res)))
	if why, bad := refused[[2]string{compile.KindRestApi, im.res.RestApi.Name}]; bad {
		return &Error{File: im.file, Pointer: "#", Err: fmt.Errorf("the RestApi %s the document makes would be refused: %s", im.res.RestApi.Name, why)}
	}
	im.res.Routes = slices.DeleteFunc(im.res.Routes, func(r apiv1.Route) bool {
		why, bad := refused[[2]string{compile.KindRoute, r.Name}]
		if bad {
			im.leaveOut(r, why)
		}
		return bad
	})
	return nil
}

// leaveOut reports route r as left out, why, at its operation.
func (im *importer) leaveOut(r apiv1.Route, why string) {
	at := im.routeAt[r.Name]
	im.omit(at.ptr, at.what, "the Route would be refused ("+why+"); left out")
}
