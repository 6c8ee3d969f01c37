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
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/portico-dev/portico/controllers/xds"
)

func TestMerge(t *testing.T) {
	const key, v1, v2 = "ns/prod", "v1", "v2"
	peer := func(id string, proxies int, stages map[string]StageReport) Report {
		return Report{Identity: id, Proxies: proxies, Stages: stages}
	}
	for _, tc := range []struct {
		name  string
		local xds.ProgrammedStatus
		peers []Report
		want  xds.ProgrammedStatus
	}{{
		name:  "no peers: the local view as it is",
		local: xds.ProgrammedStatus{Version: v1, Proxies: 1, Acked: 1, Programmed: true},
		want:  xds.ProgrammedStatus{Version: v1, Proxies: 1, Acked: 1, Programmed: true},
	}, {
		name:  "a peer's proxies that applied the same version count",
		local: xds.ProgrammedStatus{Version: v1, Proxies: 1, Acked: 1, Programmed: true},
		peers: []Report{peer("b", 1, map[string]StageReport{key: {Version: v1, Acked: 1}})},
		want:  xds.ProgrammedStatus{Version: v1, Proxies: 2, Acked: 2, Programmed: true},
	}, {
		name:  "a peer still on another version: its proxies have not applied the leader's",
		local: xds.ProgrammedStatus{Version: v2, Proxies: 1, Acked: 1, Programmed: true},
		peers: []Report{peer("b", 2, map[string]StageReport{key: {Version: v1, Acked: 2}})},
		want:  xds.ProgrammedStatus{Version: v2, Proxies: 3, Acked: 1},
	}, {
		name:  "a peer that does not serve the stage: its proxies have not applied it",
		local: xds.ProgrammedStatus{Version: v1, Proxies: 1, Acked: 1, Programmed: true},
		peers: []Report{peer("b", 1, map[string]StageReport{"ns/other": {Version: v1, Acked: 1}})},
		want:  xds.ProgrammedStatus{Version: v1, Proxies: 2, Acked: 1},
	}, {
		name:  "no proxy on the leader, all on peers",
		local: xds.ProgrammedStatus{Version: v1},
		peers: []Report{
			peer("b", 2, map[string]StageReport{key: {Version: v1, Acked: 2}}),
			peer("c", 1, map[string]StageReport{key: {Version: v1, Acked: 1}}),
		},
		want: xds.ProgrammedStatus{Version: v1, Proxies: 3, Acked: 3, Programmed: true},
	}, {
		name:  "peers without proxies: none connected anywhere",
		local: xds.ProgrammedStatus{Version: v1},
		peers: []Report{peer("b", 0, map[string]StageReport{key: {Version: v1}})},
		want:  xds.ProgrammedStatus{Version: v1},
	}, {
		name:  "a rejection on a peer shows",
		local: xds.ProgrammedStatus{Version: v1, Proxies: 1, Acked: 1, Programmed: true},
		peers: []Report{peer("b", 1, map[string]StageReport{key: {Version: v1, Error: "bad route", ErrorNode: "proxy-b"}})},
		want:  xds.ProgrammedStatus{Version: v1, Proxies: 2, Acked: 1, Error: "bad route", ErrorNode: "proxy-b"},
	}, {
		name:  "a rejection of another version does not",
		local: xds.ProgrammedStatus{Version: v2, Proxies: 1, Acked: 1, Programmed: true},
		peers: []Report{peer("b", 1, map[string]StageReport{key: {Version: v1, Error: "bad route", ErrorNode: "proxy-b"}})},
		want:  xds.ProgrammedStatus{Version: v2, Proxies: 2, Acked: 1},
	}, {
		name:  "several rejections: the first node ID in sort order, wherever it is",
		local: xds.ProgrammedStatus{Version: v1, Proxies: 1, Error: "local", ErrorNode: "proxy-m"},
		peers: []Report{
			peer("b", 1, map[string]StageReport{key: {Version: v1, Error: "on b", ErrorNode: "proxy-z"}}),
			peer("c", 1, map[string]StageReport{key: {Version: v1, Error: "on c", ErrorNode: "proxy-a"}}),
		},
		want: xds.ProgrammedStatus{Version: v1, Proxies: 3, Error: "on c", ErrorNode: "proxy-a"},
	}, {
		name:  "the local rejection wins when its node sorts first",
		local: xds.ProgrammedStatus{Version: v1, Proxies: 1, Error: "local", ErrorNode: "proxy-a"},
		peers: []Report{peer("b", 1, map[string]StageReport{key: {Version: v1, Error: "on b", ErrorNode: "proxy-b"}})},
		want:  xds.ProgrammedStatus{Version: v1, Proxies: 2, Error: "local", ErrorNode: "proxy-a"},
	}, {
		name:  "not served by the leader: left alone",
		local: xds.ProgrammedStatus{Proxies: 1},
		peers: []Report{peer("b", 1, map[string]StageReport{key: {Version: v1, Acked: 1}})},
		want:  xds.ProgrammedStatus{Proxies: 1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Merge(key, tc.local, tc.peers); got != tc.want {
				t.Errorf("Merge =\n %+v, want\n %+v", got, tc.want)
			}
		})
	}
}

func TestFresh(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	stale := 30 * time.Second
	reports := []Report{
		{Identity: "self", UpdatedAt: now},
		{Identity: "recent", UpdatedAt: now.Add(-stale)},
		{Identity: "old", UpdatedAt: now.Add(-stale - time.Millisecond)},
		{Identity: "ahead", UpdatedAt: now.Add(time.Second)},
	}
	var got []string
	for _, r := range Fresh(reports, "self", now, stale) {
		got = append(got, r.Identity)
	}
	if want := []string{"recent", "ahead"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Fresh = %v, want %v", got, want)
	}
}

func TestReportRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 2*maxError)
	r := NewReport("host_abc", 3, map[string]xds.ProgrammedStatus{
		"ns/a":   {Version: "v1", Proxies: 3, Acked: 2, Error: long, ErrorNode: "p1"},
		"ns/off": {Proxies: 3}, // not served: left out
	})
	r.UpdatedAt = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cm, err := ToConfigMap("portico-system", r)
	if err != nil {
		t.Fatal(err)
	}
	if cm.Name != ConfigMapName("host_abc") || !strings.HasPrefix(cm.Name, "portico-xds-") || len(cm.Name) != len("portico-xds-")+10 {
		t.Errorf("name %q", cm.Name)
	}
	if !Selector().Matches(labels.Set(cm.Labels)) {
		t.Errorf("labels %v do not match the selector", cm.Labels)
	}
	back, err := FromConfigMap(cm)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Stages) != 1 || len(back.Stages["ns/a"].Error) != maxError+3 {
		t.Errorf("stages %+v: want only ns/a, its error cut to %d bytes", back.Stages, maxError)
	}
	back.Stages["ns/a"] = r.Stages["ns/a"]
	if !reflect.DeepEqual(back, r) {
		t.Errorf("round trip:\n %+v\nwant\n %+v", back, r)
	}
	delete(cm.Data, DataKey)
	if _, err := FromConfigMap(cm); err == nil {
		t.Error("a ConfigMap without a report decoded")
	}
}

// Thousands of stages rejected at once still make a report that fits a ConfigMap: past a
// budget the messages are left out, the rejections still count.
func TestReportSizeIsBounded(t *testing.T) {
	stages := map[string]xds.ProgrammedStatus{}
	for i := range 3000 {
		stages[fmt.Sprintf("ns/stage-%04d", i)] = xds.ProgrammedStatus{Version: strings.Repeat("a", 64), Proxies: 9,
			Error: strings.Repeat("e", 2*maxError), ErrorNode: "proxy-1"}
	}
	r := NewReport("host", 9, stages)
	cm, err := ToConfigMap("portico-system", r)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cm.Data[DataKey]); n > 900<<10 {
		t.Fatalf("report of %d bytes, over what a ConfigMap holds with room to spare", n)
	}
	if got := r.Stages["ns/stage-0000"].Error; len(got) != maxError+3 {
		t.Errorf("the first stage's message is %d bytes, want it kept (cut to %d)", len(got), maxError)
	}
	if got := r.Stages["ns/stage-2999"]; got.Error != errorLeftOut || got.ErrorNode != "proxy-1" {
		t.Errorf("the last stage: %+v, want the rejection kept without its message", got)
	}
}
