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

package revisions

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
)

// List returns the revisions of every RestApi in every namespace, sorted by namespace,
// RestApi and number. An object that does not decode is skipped and logged (with the logger
// of ctx), not returned as an error: one damaged object must not stop every API from
// compiling. Use Decode to get the problems themselves.
func List(ctx context.Context, c client.Reader) ([]compile.Revision, error) {
	var list appsv1.ControllerRevisionList
	if err := c.List(ctx, &list, client.HasLabels{LabelRestApi}); err != nil {
		return nil, fmt.Errorf("listing revisions: %w", err)
	}
	revs, problems := Decode(list.Items)
	if len(problems) > 0 {
		log := logf.FromContext(ctx)
		for _, p := range problems {
			log.Error(p, "Skipping a revision that does not decode")
		}
	}
	return revs, nil
}

// Decode decodes ControllerRevisions into revisions sorted by namespace, RestApi, number (and
// hash, so that the order is total). Objects that do not decode are left out and reported,
// one error each.
func Decode(items []appsv1.ControllerRevision) ([]compile.Revision, []error) {
	revs := make([]compile.Revision, 0, len(items))
	var problems []error
	for i := range items {
		rev, err := FromObject(&items[i])
		if err != nil {
			problems = append(problems, err)
			continue
		}
		revs = append(revs, rev)
	}
	slices.SortFunc(revs, func(a, b compile.Revision) int {
		return cmp.Or(
			cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.RestApi, b.RestApi),
			cmp.Compare(a.Number, b.Number),
			cmp.Compare(a.Hash, b.Hash),
		)
	})
	return revs, problems
}

// Apply stores out.NewRevisions and deletes out.PrunedRevisions, new ones first so that no
// moment lacks a revision a Stage deploys. A revision whose RestApi is gone is skipped: the
// compile that produced it is stale, and the revision would be garbage at once. Storing a
// revision that already exists with the same hash succeeds, so Apply can be repeated; deleting
// one that is already gone succeeds too. Errors are collected per revision and returned
// joined.
//
// c's reads may come from a cache. A cache that lags behind an earlier Apply can make one
// Apply fail (the revision exists but cannot be read back yet); the caller retries.
func Apply(ctx context.Context, c client.Client, out compile.Output) error {
	var errs []error
	owners := map[types.NamespacedName]*apiv1.RestApi{}
	for _, rev := range out.NewRevisions {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := create(ctx, c, rev, owners); err != nil {
			errs = append(errs, err)
		}
	}
	for _, rev := range out.PrunedRevisions {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		obj := &appsv1.ControllerRevision{}
		obj.Namespace, obj.Name = rev.Namespace, Name(rev.RestApi, rev.Hash)
		if err := c.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("pruning revision %d of RestApi %s/%s: %w",
				rev.Number, rev.Namespace, rev.RestApi, err))
		}
	}
	return errors.Join(errs...)
}

// create stores one revision. owners caches the RestApis fetched so far (nil for a RestApi
// that is gone), since one compile usually creates at most one revision per API but prunes
// and creates for many.
func create(ctx context.Context, c client.Client, rev compile.Revision, owners map[types.NamespacedName]*apiv1.RestApi) error {
	key := types.NamespacedName{Namespace: rev.Namespace, Name: rev.RestApi}
	owner, fetched := owners[key]
	if !fetched {
		owner = &apiv1.RestApi{}
		if err := c.Get(ctx, key, owner); err != nil {
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("revision %d of RestApi %s: getting the RestApi: %w", rev.Number, key, err)
			}
			owner = nil
		}
		owners[key] = owner
	}
	if owner == nil {
		logf.FromContext(ctx).V(1).Info("Skipping a revision of a deleted RestApi",
			"restApi", key, "revision", rev.Number)
		return nil
	}

	obj, err := ToObject(rev, owner)
	if err != nil {
		return err
	}
	err = c.Create(ctx, obj)
	if !apierrors.IsAlreadyExists(err) {
		if err != nil {
			return fmt.Errorf("storing revision %d of RestApi %s: %w", rev.Number, key, err)
		}
		return nil
	}

	// The name is taken: by this very revision (an earlier Apply, or a retry), by a revision
	// of an earlier RestApi of the same name that the garbage collector has not deleted yet,
	// or, practically never, by other content whose hash shares the name's prefix.
	existing := &appsv1.ControllerRevision{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), existing); err != nil {
		return fmt.Errorf("revision %d of RestApi %s: %s exists but cannot be read: %w",
			rev.Number, key, obj.Name, err)
	}
	if got := existing.Annotations[AnnotationHash]; got != rev.Hash {
		return fmt.Errorf("revision %d of RestApi %s: name %s is taken by content with hash %q, not %q",
			rev.Number, key, obj.Name, got, rev.Hash)
	}
	if ownedBy(existing, owner) {
		return nil
	}
	// Left over from a deleted RestApi: the garbage collector will delete it, and with it
	// this API's revision. Replace it now rather than wait. The UID precondition makes sure
	// only that leftover is deleted.
	err = c.Delete(ctx, existing, client.Preconditions{UID: &existing.UID})
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("revision %d of RestApi %s: deleting %s left over from an earlier RestApi: %w",
			rev.Number, key, obj.Name, err)
	}
	obj.ResourceVersion = ""
	if err := c.Create(ctx, obj); err != nil {
		return fmt.Errorf("storing revision %d of RestApi %s: %w", rev.Number, key, err)
	}
	return nil
}

// ownedBy reports whether obj has an owner reference to owner (by UID, which tells a RestApi
// apart from an earlier one of the same name).
func ownedBy(obj *appsv1.ControllerRevision, owner *apiv1.RestApi) bool {
	for _, ref := range obj.OwnerReferences {
		if ref.UID == owner.UID {
			return true
		}
	}
	return false
}
