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

// Package revisions stores API revisions, the immutable compiled forms of a RestApi (Amazon
// API Gateway's deployments), as apps/v1 ControllerRevisions owned by their RestApi.
//
// A revision's object name is derived from its content hash, so storing the same content
// twice lands on the same name and is a no-op: that makes Apply idempotent without reading
// first, and safe to retry after a partial failure. Revisions are never updated; the compiler
// creates new ones and prunes old ones.
package revisions

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
)

// Labels and annotations of a revision object.
const (
	// LabelRestApi names the RestApi a revision belongs to. Every revision carries it; List
	// selects on it, and a cache can be limited to objects carrying it.
	LabelRestApi = "apigateway.portico.dev/restapi"
	// LabelRevision is the revision number, as a decimal string, for kubectl -l queries.
	LabelRevision = "apigateway.portico.dev/revision"
	// AnnotationHash is the full hex SHA-256 of the API's canonical JSON. The name holds only
	// a prefix of it; the annotation tells a prefix collision apart from the same content.
	AnnotationHash = "apigateway.portico.dev/hash"
)

// hashPrefixLen is how many hex characters of the hash go into a revision's name: 40 bits,
// so a collision among one API's few revisions is practically impossible, and detected by
// Apply if it happens.
const hashPrefixLen = 10

// hashLen is the length of a hex SHA-256.
const hashLen = 64

// Name is the object name of the revision of restApi with the given content hash.
func Name(restApi, hash string) string {
	prefix := hash
	if len(prefix) > hashPrefixLen {
		prefix = prefix[:hashPrefixLen]
	}
	return restApi + "-" + prefix
}

// Selector selects the ControllerRevisions that are Portico revisions. A manager can restrict
// its ControllerRevision cache with it, so that the revisions of StatefulSets and DaemonSets
// are not cached too.
func Selector() labels.Selector {
	req, err := labels.NewRequirement(LabelRestApi, selection.Exists, nil)
	if err != nil {
		panic(err) // a constant key; cannot fail at run time
	}
	return labels.NewSelector().Add(*req)
}

// ToObject builds the ControllerRevision that stores rev, owned by owner, the RestApi the
// revision belongs to. owner must carry its UID: the owner reference is what makes the
// garbage collector delete revisions with their RestApi.
func ToObject(rev compile.Revision, owner *apiv1.RestApi) (*appsv1.ControllerRevision, error) {
	if owner == nil {
		return nil, errors.New("revision needs its owning RestApi")
	}
	if owner.Name != rev.RestApi || owner.Namespace != rev.Namespace {
		return nil, fmt.Errorf("revision of %s/%s cannot be owned by RestApi %s/%s",
			rev.Namespace, rev.RestApi, owner.Namespace, owner.Name)
	}
	if owner.UID == "" {
		return nil, fmt.Errorf("RestApi %s/%s has no UID; fetch it from the API server", owner.Namespace, owner.Name)
	}
	if err := validate(rev); err != nil {
		return nil, err
	}
	if rev.API == nil {
		return nil, fmt.Errorf("revision %d of %s/%s has no API", rev.Number, rev.Namespace, rev.RestApi)
	}
	data, err := json.Marshal(rev.API)
	if err != nil {
		return nil, fmt.Errorf("encoding revision %d of %s/%s: %w", rev.Number, rev.Namespace, rev.RestApi, err)
	}
	return &appsv1.ControllerRevision{
		TypeMeta: metav1.TypeMeta{APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "ControllerRevision"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: rev.Namespace,
			Name:      Name(rev.RestApi, rev.Hash),
			Labels: map[string]string{
				LabelRestApi:  rev.RestApi,
				LabelRevision: strconv.FormatInt(rev.Number, 10),
			},
			Annotations: map[string]string{AnnotationHash: rev.Hash},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: apiv1.GroupVersion.String(),
				Kind:       "RestApi",
				Name:       owner.Name,
				UID:        owner.UID,
				// Controller lets a watch map a revision to its RestApi the usual way
				// (handler.EnqueueRequestForOwner with OnlyControllerOwner).
				Controller: ptr.To(true),
				// Foreground deletion of a RestApi waits for its revisions.
				BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: rev.Number,
	}, nil
}

// FromObject decodes a revision from its ControllerRevision. It fails on objects that are not
// Portico revisions or whose data does not decode.
func FromObject(obj *appsv1.ControllerRevision) (compile.Revision, error) {
	if obj == nil {
		return compile.Revision{}, errors.New("nil ControllerRevision")
	}
	where := obj.Namespace + "/" + obj.Name
	rev := compile.Revision{
		Namespace: obj.Namespace,
		RestApi:   obj.Labels[LabelRestApi],
		Number:    obj.Revision,
		Hash:      obj.Annotations[AnnotationHash],
	}
	if err := validate(rev); err != nil {
		return compile.Revision{}, fmt.Errorf("ControllerRevision %s: %w", where, err)
	}
	raw := obj.Data.Raw
	if len(raw) == 0 && obj.Data.Object != nil {
		// Objects built in memory (not read from the API server) may hold a decoded object.
		var err error
		if raw, err = json.Marshal(obj.Data.Object); err != nil {
			return compile.Revision{}, fmt.Errorf("ControllerRevision %s: encoding data: %w", where, err)
		}
	}
	if len(raw) == 0 {
		return compile.Revision{}, fmt.Errorf("ControllerRevision %s: no data", where)
	}
	var api ir.API
	if err := json.Unmarshal(raw, &api); err != nil {
		return compile.Revision{}, fmt.Errorf("ControllerRevision %s: decoding data: %w", where, err)
	}
	rev.API = &api
	return rev, nil
}

// validate checks the fields a revision's identity is made of, so that a bad revision is
// refused before it reaches the API server, and a foreign or damaged object is not taken for
// a revision.
func validate(rev compile.Revision) error {
	if rev.RestApi == "" {
		return fmt.Errorf("no %s label", LabelRestApi)
	}
	// The RestApi's name is a label value, which is limited to 63 characters, while object
	// names may have 253.
	if errs := validation.IsValidLabelValue(rev.RestApi); len(errs) > 0 {
		return fmt.Errorf("RestApi name %q cannot label its revisions: %v", rev.RestApi, errs)
	}
	if rev.Number < 1 {
		return fmt.Errorf("revision number %d is not positive", rev.Number)
	}
	if len(rev.Hash) != hashLen {
		return fmt.Errorf("hash %q is not a hex SHA-256", rev.Hash)
	}
	// Lower case only: the name holds a prefix of the hash, and names are lower case.
	if _, err := hex.DecodeString(rev.Hash); err != nil || strings.ToLower(rev.Hash) != rev.Hash {
		return fmt.Errorf("hash %q is not a lower-case hex SHA-256", rev.Hash)
	}
	return nil
}
