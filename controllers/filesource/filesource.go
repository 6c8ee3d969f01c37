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

// Package filesource is the configuration source of `portico standalone`: manifests in files
// and folders, validated and defaulted like a cluster's API server would, and watched for
// changes. A file that stops parsing or validating is reported with its path and the reason,
// and its last good content keeps serving: one bad edit never takes an API down.
package filesource

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/manifest"
)

// Source reads manifests from Paths. It is not safe for concurrent use.
type Source struct {
	// Paths are files or folders (read recursively).
	Paths []string
	// Validator validates and defaults Portico objects; nil skips validation.
	Validator manifest.Validator
	// Namespace is given to objects that have none.
	Namespace string

	files map[string]*file
}

type file struct {
	modTime time.Time
	size    int64
	// docs are the last good documents of the file.
	docs []manifest.Document
	// err is why the file's current content is not used, or nil.
	err error
}

// Problem is a file whose current content is not used.
type Problem struct {
	Path string
	Err  error
	// Stale is true when an earlier good version of the file still serves.
	Stale bool
	// Duplicate is true for one object of the file left out, as another document defines
	// it; the file's other objects serve.
	Duplicate bool
}

func (p Problem) Error() string {
	if p.Stale {
		return fmt.Sprintf("%v (the file's last good version keeps serving)", p.Err)
	}
	return p.Err.Error()
}

// Load reads the files that changed since the last call. changed is false when no file was
// added, removed or modified; then the inputs are the same as last time. A path that does not
// exist at all is an error: a typo on the command line should not serve nothing silently.
func (s *Source) Load() (in compile.Inputs, problems []Problem, changed bool, err error) {
	if s.files == nil {
		s.files = map[string]*file{}
	}
	seen := map[string]bool{}
	for _, root := range s.Paths {
		paths, err := manifest.Files(root)
		if err != nil {
			return in, nil, false, fmt.Errorf("reading %s: %w", root, err)
		}
		for _, p := range paths {
			seen[p] = true
			c, err := s.refresh(p)
			if err != nil {
				return in, nil, false, err
			}
			changed = changed || c
		}
	}
	for p := range s.files {
		if !seen[p] {
			delete(s.files, p)
			changed = true
		}
	}
	paths := make([]string, 0, len(s.files))
	for p := range s.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	// An object is one kind, namespace and name: a second document of the same one (in
	// another file, or further down the same) is left out and reported, naming the first,
	// rather than handed to the compiler twice (two Routes of one name would fail their
	// whole stage on the proxy).
	first := map[string]string{}
	for _, p := range paths {
		f := s.files[p]
		if f.err != nil {
			problems = append(problems, Problem{Path: p, Err: f.err, Stale: f.docs != nil})
		}
		docs := copyDocs(f.docs)
		kept := docs[:0]
		for _, d := range docs {
			id, ok := objectID(d, s.namespace())
			if at, dup := first[id]; ok && dup {
				problems = append(problems, Problem{Path: p, Duplicate: true,
					Err: fmt.Errorf("%s: %s is defined in %s already, which keeps it; this one is ignored", d.Source, id, at)})
				continue
			}
			if ok {
				first[id] = d.Source
			}
			kept = append(kept, d)
		}
		manifest.AddTo(&in, kept, s.namespace())
	}
	manifest.ServicesForSlices(&in)
	return in, problems, changed, nil
}

// refresh re-reads p when its size or modification time changed.
func (s *Source) refresh(p string) (bool, error) {
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // removed between listing and reading: the next Load drops it
	}
	if err != nil {
		return false, err
	}
	f := s.files[p]
	if f != nil && f.modTime.Equal(info.ModTime()) && f.size == info.Size() {
		return false, nil
	}
	if f == nil {
		f = &file{}
		s.files[p] = f
	}
	f.modTime, f.size = info.ModTime(), info.Size()
	data, err := os.ReadFile(p)
	if err != nil {
		f.err = err
		return true, nil
	}
	docs, err := manifest.DecodeValidated(data, p, s.Validator)
	var kept []manifest.Document
	for _, d := range docs {
		if d.Object != nil {
			kept = append(kept, d)
		}
	}
	if err != nil {
		f.err = err
	} else {
		f.docs, f.err = kept, nil
	}
	return true, nil
}

func (s *Source) namespace() string {
	if s.Namespace == "" {
		return "default"
	}
	return s.Namespace
}

// copyDocs deep-copies documents, so that the compile's inputs never alias what the source
// keeps for the next Load.
// objectID is "<Kind> <namespace>/<name>" of a document's object, its namespace
// defaulted; false for one without a name.
func objectID(d manifest.Document, namespace string) (string, bool) {
	m, ok := d.Object.(metav1.Object)
	if !ok || m.GetName() == "" {
		return "", false
	}
	ns := m.GetNamespace()
	if ns == "" {
		ns = namespace
	}
	return d.Kind + " " + ns + "/" + m.GetName(), true
}

func copyDocs(docs []manifest.Document) []manifest.Document {
	out := make([]manifest.Document, len(docs))
	for i, d := range docs {
		out[i] = d
		if o, ok := d.Object.(runtime.Object); ok {
			out[i].Object = o.DeepCopyObject()
		}
	}
	return out
}
