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

package limits

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// checkpointVersion is the format of a checkpoint file, so that a later format can read or
// refuse an earlier one instead of misreading it.
const checkpointVersion = 1

// checkpoint is the file Save writes: the quota counters of a Memory. Buckets are left out:
// they refill within seconds, whereas a quota counts a day, a week or a month.
type checkpoint struct {
	Version  int                 `json:"version"`
	Counters []checkpointCounter `json:"counters"`
}

type checkpointCounter struct {
	Key   string    `json:"key"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Used  int64     `json:"used"`
}

// Save writes the quota counters of m to path, atomically: a crash leaves the previous file or
// the new one, never a part. The file is readable by its owner only, since keys name API keys.
func (m *Memory) Save(path string) error {
	cp := checkpoint{Version: checkpointVersion, Counters: []checkpointCounter{}}
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for k, c := range s.quotas {
			cp.Counters = append(cp.Counters, checkpointCounter{
				Key:   k,
				Start: time.Unix(0, c.start).UTC(),
				End:   time.Unix(0, c.end).UTC(),
				Used:  c.used,
			})
		}
		s.mu.Unlock()
	}
	// Sorted, so that equal state writes an equal file.
	slices.SortFunc(cp.Counters, func(a, b checkpointCounter) int { return cmp.Compare(a.Key, b.Key) })
	data, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("quota checkpoint: %w", err)
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("quota checkpoint: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and renames it over
// path, so that readers and restarts see the old content or the new, whole.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	// CreateTemp makes the file 0600 and a unique name, so concurrent Saves do not collide.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	// The rename is durable once the directory is synced. Some file systems cannot sync a
	// directory; the file itself is whole either way.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// LoadMemory returns a Memory with the quota counters saved at path by Save, leaving out
// windows that have ended (by opts.Now). A missing file gives an empty Memory: the first start.
func LoadMemory(path string, opts MemoryOptions) (*Memory, error) {
	m := NewMemory(opts)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("quota checkpoint: %w", err)
	}
	var cp checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("quota checkpoint %s: %w", path, err)
	}
	if cp.Version != checkpointVersion {
		return nil, fmt.Errorf("quota checkpoint %s: version %d, want %d", path, cp.Version, checkpointVersion)
	}
	now := m.opts.Now().UnixNano()
	for _, c := range cp.Counters {
		start, end := c.Start.UnixNano(), c.End.UnixNano()
		if end <= now {
			continue
		}
		s := m.shard(c.Key)
		// A key appears once per file; the latest window wins should a file say otherwise.
		if old := s.quotas[c.Key]; old == nil || old.start < start {
			s.quotas[c.Key] = &counter{start: start, end: end, used: c.Used}
		}
	}
	return m, nil
}

// Run saves the quota counters of m to path every interval (MemoryOptions.CheckpointInterval
// when interval is not positive) until ctx ends, then once more, and returns that last
// Save's error. A proxy that is killed loses the counts of at most one interval; one that
// stops with ctx loses none. Errors of earlier Saves are logged and retried at the next tick.
func (m *Memory) Run(ctx context.Context, path string, interval time.Duration) error {
	if interval <= 0 {
		interval = m.opts.CheckpointInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			m.prune(m.opts.Now())
			return m.Save(path)
		case <-tick.C:
			m.prune(m.opts.Now())
			if err := m.Save(path); err != nil {
				m.opts.Log.Error(err, "Saving quota counters", "path", path)
			}
		}
	}
}
