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

package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/portico-dev/portico/controllers/xds"
)

const (
	// LabelReport marks the ConfigMaps holding replicas' reports; the controller's cache
	// holds only those (Selector).
	LabelReport = "apigateway.portico.dev/xds-report"
	// DataKey is the ConfigMap key holding the report as JSON.
	DataKey = "report.json"
	// namePrefix starts every report's ConfigMap name.
	namePrefix = "portico-xds-"
	// maxError bounds an error message in a report: a ConfigMap holds at most 1 MiB, and the
	// leader's own proxies' errors are shown in full anyway.
	maxError = 1024
	// maxErrors bounds the bytes of every error message of a report together, so that a
	// replica whose proxies reject thousands of stages at once still fits a ConfigMap.
	maxErrors = 256 << 10
	// errorLeftOut replaces the messages past maxErrors: the rejection still counts.
	errorLeftOut = "rejected (see the proxy log)"
)

// Report is what one replica's proxies acknowledged, per stage it serves.
type Report struct {
	// Identity names the replica (by default its host name and a random suffix).
	Identity string `json:"identity"`
	// UpdatedAt is when the replica wrote the report, by its own clock. Replicas write at
	// least every heartbeat, so an old UpdatedAt means a replica that is gone.
	UpdatedAt time.Time `json:"updatedAt"`
	// Proxies is the number of proxies connected to the replica. It is per replica rather
	// than per stage: Portico's proxies subscribe to every stage, so a proxy on a replica that
	// does not serve a stage (yet) is one that has not applied it.
	Proxies int `json:"proxies"`
	// Stages are the served stages, by stage key.
	Stages map[string]StageReport `json:"stages,omitempty"`
}

// StageReport is one replica's view of one stage.
type StageReport struct {
	// Version is the stage's version on that replica: acknowledgements of another version
	// do not count for the leader's.
	Version string `json:"version"`
	// Acked is how many of the replica's proxies applied Version.
	Acked int `json:"acked"`
	// Error and ErrorNode are a rejection of Version by one of the replica's proxies (the
	// first node ID in sort order), empty when none rejected it.
	Error     string `json:"error,omitempty"`
	ErrorNode string `json:"errorNode,omitempty"`
}

// NewReport builds a report from a replica's proxy count and its stages' programmed states
// (xds.Server.ProgrammedStages). UpdatedAt is left for the writer to set.
func NewReport(identity string, proxies int, stages map[string]xds.ProgrammedStatus) Report {
	r := Report{Identity: identity, Proxies: proxies}
	if len(stages) > 0 {
		r.Stages = make(map[string]StageReport, len(stages))
	}
	budget := maxErrors
	// In key order, so that the same rejections keep the same messages from write to write.
	for _, key := range slices.Sorted(maps.Keys(stages)) {
		s := stages[key]
		if s.Version == "" {
			continue
		}
		msg := s.Error
		if len(msg) > maxError {
			msg = msg[:maxError] + "..."
		}
		if msg != "" {
			if len(msg) > budget {
				msg = errorLeftOut
			} else {
				budget -= len(msg)
			}
		}
		r.Stages[key] = StageReport{Version: s.Version, Acked: s.Acked, Error: msg, ErrorNode: s.ErrorNode}
	}
	return r
}

// Selector selects the report ConfigMaps.
func Selector() labels.Selector {
	return labels.SelectorFromSet(labels.Set{LabelReport: "true"})
}

// ConfigMapName is the name of the ConfigMap holding the report of the replica identity: a
// short hash, since identities may be long or hold characters names may not.
func ConfigMapName(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return namePrefix + hex.EncodeToString(sum[:])[:10]
}

// ToConfigMap is the ConfigMap holding r in namespace.
func ToConfigMap(namespace string, r Report) (*corev1.ConfigMap, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace,
			Name:      ConfigMapName(r.Identity),
			Labels:    map[string]string{LabelReport: "true"},
		},
		Data: map[string]string{DataKey: string(b)},
	}, nil
}

// FromConfigMap decodes the report a ConfigMap holds.
func FromConfigMap(cm *corev1.ConfigMap) (Report, error) {
	var r Report
	data, ok := cm.Data[DataKey]
	if !ok {
		return r, fmt.Errorf("ConfigMap %s/%s has no %s", cm.Namespace, cm.Name, DataKey)
	}
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return r, fmt.Errorf("ConfigMap %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return r, nil
}

// DefaultIdentity is the host name (a pod's name in Kubernetes) and a random suffix, as
// controller-runtime's leader election names replicas: two processes on one host differ,
// and a restarted one does not take over its predecessor's report.
func DefaultIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "portico-controller"
	}
	return host + "_" + rand.String(8)
}
