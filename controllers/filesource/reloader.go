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

package filesource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/go-logr/logr"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/ir"
)

// Publisher serves compiled stages and endpoints: the in-process xDS server.
type Publisher interface {
	Update(stages []ir.Stage, endpoints []ir.Endpoints) (changed int)
}

// DomainPublisher is a Publisher that serves custom domains and their secrets too.
type DomainPublisher interface {
	UpdateDomains(domains []ir.Domain, secrets []ir.Secret) (changed int)
}

// Reloader compiles what the Source reads and publishes it, on start and on every change.
// It keeps the revisions a cluster would keep as ControllerRevisions; with a StateDir they
// survive restarts, so revision numbers, and Stages pinning them, stay meaningful.
type Reloader struct {
	Source    *Source
	Publisher Publisher
	Options   compile.Options
	// StateDir, when set, holds revisions.json.
	StateDir string
	Log      logr.Logger

	loaded    bool
	revisions []compile.Revision
	// firstSeen is when each object was first read, its creationTimestamp: files carry none,
	// and the older object keeps a contested stage path, domain or key.
	firstSeen map[string]metav1.Time
	reported  map[string]string // what was last logged per object, to log changes only
	problems  map[string]string
}

const revisionsFile = "revisions.json"

// Reload reads the files and, when something changed, compiles and publishes. It returns the
// compile's output (nil when nothing changed).
func (r *Reloader) Reload() (*compile.Output, error) {
	if !r.loaded && r.StateDir != "" {
		if err := r.loadRevisions(); err != nil {
			return nil, err
		}
	}
	in, problems, changed, err := r.Source.Load()
	if err != nil {
		return nil, err
	}
	r.reportProblems(problems)
	if r.loaded && !changed {
		return nil, nil
	}
	r.loaded = true
	r.stampCreation(&in, time.Now())
	in.Options = r.Options
	if in.Options.Now.IsZero() {
		// Certificates are checked for expiry when the files change.
		in.Options.Now = time.Now()
	}
	in.Revisions = r.revisions
	out := compile.Compile(in)
	r.revisions = nextRevisions(r.revisions, out)
	if r.StateDir != "" && (len(out.NewRevisions) > 0 || len(out.PrunedRevisions) > 0) {
		if err := r.saveRevisions(); err != nil {
			r.Log.Error(err, "cannot save revisions; numbers restart after a restart", "stateDir", r.StateDir)
		}
	}
	n := r.Publisher.Update(out.Stages, out.Endpoints)
	if dp, ok := r.Publisher.(DomainPublisher); ok {
		n += dp.UpdateDomains(out.Domains, out.Secrets)
	}
	r.reportStatuses(out.Statuses)
	r.Log.Info("configuration compiled", "stages", len(out.Stages), "newRevisions", len(out.NewRevisions), "changedResources", n, "filesWithProblems", len(problems))
	return &out, nil
}

// stampCreation gives each object without a creationTimestamp the time it was first read, as
// the API server would have stamped its creation: an object added to the files later is the
// newer one of a conflict, and is refused, never the one clients use. The objects of the first
// read share one time, and a conflict among them goes by namespace and name. An object that
// leaves the files is forgotten: added again, it is new.
func (r *Reloader) stampCreation(in *compile.Inputs, now time.Time) {
	seen := make(map[string]metav1.Time, len(r.firstSeen))
	stamp := func(kind string, o metav1.Object) {
		if ts := o.GetCreationTimestamp(); !ts.IsZero() {
			return
		}
		key := kind + "/" + o.GetNamespace() + "/" + o.GetName()
		t, ok := r.firstSeen[key]
		if !ok {
			t = metav1.NewTime(now)
		}
		seen[key] = t
		o.SetCreationTimestamp(t)
	}
	for i := range in.RestApis {
		stamp("RestApi", &in.RestApis[i])
	}
	for i := range in.Stages {
		stamp("Stage", &in.Stages[i])
	}
	for i := range in.UsagePlans {
		stamp("UsagePlan", &in.UsagePlans[i])
	}
	for i := range in.DomainNames {
		stamp("DomainName", &in.DomainNames[i])
	}
	for i := range in.Routes {
		stamp("Route", &in.Routes[i])
	}
	r.firstSeen = seen
}

// Run reloads every interval until ctx ends. The first Reload has happened before (its
// error is the caller's); later errors are logged, and the last good configuration serves.
func (r *Reloader) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := r.Reload(); err != nil {
				r.Log.Error(err, "reloading the configuration; the last good one keeps serving")
			}
		}
	}
}

// nextRevisions is revs plus the new ones less the pruned ones, as a cluster would store them.
func nextRevisions(revs []compile.Revision, out compile.Output) []compile.Revision {
	pruned := map[string]bool{}
	for _, p := range out.PrunedRevisions {
		pruned[fmt.Sprintf("%s/%s/%d", p.Namespace, p.RestApi, p.Number)] = true
	}
	var next []compile.Revision
	for _, rev := range append(revs, out.NewRevisions...) {
		if !pruned[fmt.Sprintf("%s/%s/%d", rev.Namespace, rev.RestApi, rev.Number)] {
			next = append(next, rev)
		}
	}
	return next
}

func (r *Reloader) loadRevisions() error {
	data, err := os.ReadFile(filepath.Join(r.StateDir, revisionsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &r.revisions); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(r.StateDir, revisionsFile), err)
	}
	return nil
}

// saveRevisions writes the revisions atomically: a crash leaves the old file or the new one.
func (r *Reloader) saveRevisions() error {
	if err := os.MkdirAll(r.StateDir, 0o700); err != nil {
		return err
	}
	data, err := json.Marshal(r.revisions)
	if err != nil {
		return err
	}
	tmp := filepath.Join(r.StateDir, revisionsFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(r.StateDir, revisionsFile))
}

// reportProblems logs each file problem once, and when a file has none left.
func (r *Reloader) reportProblems(problems []Problem) {
	now := map[string]string{} // path and reason: the path
	for _, p := range problems {
		key := p.Path + "\n" + p.Error()
		now[key] = p.Path
		if _, logged := r.problems[key]; logged {
			continue
		}
		if p.Duplicate {
			r.Log.Error(nil, "manifest object defined twice; the first keeps serving", "path", p.Path, "reason", p.Error())
		} else {
			r.Log.Error(nil, "invalid manifest file; it is ignored", "path", p.Path, "reason", p.Error())
		}
	}
	still := map[string]bool{}
	for _, path := range now {
		still[path] = true
	}
	for _, path := range r.problems {
		if !still[path] {
			still[path] = true // once per file
			r.Log.Info("manifest file is valid again", "path", path)
		}
	}
	r.problems = now
}

// warnWhen gives, for the condition types that only warn about an object that still serves,
// the status that warns: CacheKeyedByCaller warns when False, CertificateExpiring when True
// (a certificate near its end is still served). Other types are bad unless True.
var warnWhen = map[string]metav1.ConditionStatus{
	apiv1.ConditionCacheKeyedByCaller:  metav1.ConditionFalse,
	apiv1.ConditionCertificateExpiring: metav1.ConditionTrue,
}

// reportStatuses logs the conditions a cluster would show in status, when they change: with
// no API server, the log is where a standalone user sees why something is not served. A
// condition that only warns (the object serves) is logged as a warning, not as "not ready".
func (r *Reloader) reportStatuses(statuses []compile.ObjectStatus) {
	now := map[string]string{}
	for _, st := range statuses {
		var bad, warn []string
		for _, c := range st.Conditions {
			line := fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)
			if w, ok := warnWhen[c.Type]; ok {
				if c.Status == w {
					warn = append(warn, line)
				}
				continue
			}
			if c.Status != metav1.ConditionTrue {
				bad = append(bad, line)
			}
		}
		key := st.Kind + " " + st.Namespace + "/" + st.Name
		now[key] = strings.Join(bad, "; ") + "|" + strings.Join(warn, "; ")
		if now[key] == r.reported[key] {
			continue
		}
		switch {
		case len(bad) > 0:
			r.Log.Info("not ready", "object", key, "conditions", strings.Join(append(bad, warn...), "; "))
		case len(warn) > 0:
			r.Log.Info("ready, with a warning", "object", key, "conditions", strings.Join(warn, "; "))
		default:
			r.Log.Info("ready", "object", key)
		}
	}
	r.reported = now
}
