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

package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
)

// HashAPI returns the hex SHA-256 of an API's canonical JSON: its revision identity.
// encoding/json writes struct fields in order and map keys sorted, and the compiler sorts
// every list, so equal APIs hash equal.
func HashAPI(api *ir.API) string {
	data, err := json.Marshal(api)
	if err != nil {
		panic(err) // ir types are plain data; Marshal cannot fail on them
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// revisionFor finds the revision of api with the given hash, or assigns the next number.
func (w *world) revisionFor(restApi *apiv1.RestApi, api *ir.API, hash string) (Revision, bool) {
	k := nsName{restApi.Namespace, restApi.Name}
	var last int64
	for _, r := range w.revisions[k] {
		if r.Hash == hash {
			return *r, false
		}
		last = max(last, r.Number)
	}
	rev := Revision{Namespace: restApi.Namespace, RestApi: restApi.Name, Number: last + 1, Hash: hash, API: api}
	w.revisions[k] = append(w.revisions[k], &rev)
	return rev, true
}

func (w *world) revision(namespace, restApi string, number int64) *Revision {
	for _, r := range w.revisions[nsName{namespace, restApi}] {
		if r.Number == number {
			return r
		}
	}
	return nil
}

// prune lists the revisions of restApi past its revisionHistoryLimit, newest kept, never the
// current one nor one a Stage deploys.
func (w *world) prune(restApi *apiv1.RestApi, current int64) []Revision {
	limit := int32(10)
	if l := restApi.Spec.RevisionHistoryLimit; l != nil && *l > 0 {
		limit = *l
	}
	pinned := map[int64]bool{}
	for _, s := range w.stages[nsName{restApi.Namespace, restApi.Name}] {
		if d := s.Spec.Deployment; d != nil {
			pinned[d.Revision] = true
		}
		if c := s.Spec.Canary; c != nil && c.Deployment != nil {
			pinned[c.Deployment.Revision] = true
		}
		// What the stage serves now, as its status says: a stage whose pin names a revision
		// that does not exist goes on serving it (compileStage), so it must stay.
		if r := s.Status.DeployedRevision; r != 0 {
			pinned[r] = true
		}
	}
	revs := w.revisions[nsName{restApi.Namespace, restApi.Name}] // ascending numbers
	var out []Revision
	kept := int32(0)
	for i := len(revs) - 1; i >= 0; i-- {
		r := revs[i]
		switch {
		case r.Number == current:
			kept++ // the current revision counts towards the limit and is always kept
		case pinned[r.Number]:
			// Deployed revisions are kept whatever the limit, and do not use it up.
		case kept < limit:
			kept++
		default:
			out = append(out, Revision{Namespace: r.Namespace, RestApi: r.RestApi, Number: r.Number, Hash: r.Hash})
		}
	}
	// Newest first above; report oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
