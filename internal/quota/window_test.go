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

package quota

import (
	"testing"
	"time"
)

// utc is a fixed instant; tests never read the clock so that boundaries are exact.
func utc(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, time.UTC)
}

func TestWindowAt(t *testing.T) {
	tests := []struct {
		name       string
		period     string
		offset     int32
		now        time.Time
		start, end time.Time
	}{
		{"day", Day, 0, utc(2027, 3, 14, 15, 9, 26), utc(2027, 3, 14, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0)},
		{"day at midnight", Day, 0, utc(2027, 3, 14, 0, 0, 0), utc(2027, 3, 14, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0)},
		{"day a nanosecond before midnight", Day, 0, utc(2027, 3, 15, 0, 0, 0).Add(-1), utc(2027, 3, 14, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0)},
		{"day Dec 31 to Jan 1", Day, 0, utc(2027, 12, 31, 23, 0, 0), utc(2027, 12, 31, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0)},
		{"day Feb 28 non-leap", Day, 0, utc(2027, 2, 28, 12, 0, 0), utc(2027, 2, 28, 0, 0, 0), utc(2027, 3, 1, 0, 0, 0)},
		{"day Feb 29 leap", Day, 0, utc(2028, 2, 29, 12, 0, 0), utc(2028, 2, 29, 0, 0, 0), utc(2028, 3, 1, 0, 0, 0)},
		// 2027-03-14 is a Sunday.
		{"week from Sunday", Week, 0, utc(2027, 3, 17, 8, 0, 0), utc(2027, 3, 14, 0, 0, 0), utc(2027, 3, 21, 0, 0, 0)},
		{"week on Sunday midnight", Week, 0, utc(2027, 3, 14, 0, 0, 0), utc(2027, 3, 14, 0, 0, 0), utc(2027, 3, 21, 0, 0, 0)},
		{"week Saturday before", Week, 0, utc(2027, 3, 13, 23, 59, 59), utc(2027, 3, 7, 0, 0, 0), utc(2027, 3, 14, 0, 0, 0)},
		{"week from Monday", Week, 1, utc(2027, 3, 14, 8, 0, 0), utc(2027, 3, 8, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0)},
		{"week from Monday on Monday", Week, 1, utc(2027, 3, 15, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0), utc(2027, 3, 22, 0, 0, 0)},
		{"week from Saturday", Week, 6, utc(2027, 3, 19, 8, 0, 0), utc(2027, 3, 13, 0, 0, 0), utc(2027, 3, 20, 0, 0, 0)},
		{"week across the year", Week, 3, utc(2028, 1, 2, 8, 0, 0), utc(2027, 12, 29, 0, 0, 0), utc(2028, 1, 5, 0, 0, 0)},
		{"month", Month, 0, utc(2027, 3, 14, 8, 0, 0), utc(2027, 3, 1, 0, 0, 0), utc(2027, 4, 1, 0, 0, 0)},
		{"month Jan 31", Month, 0, utc(2027, 1, 31, 23, 59, 59), utc(2027, 1, 1, 0, 0, 0), utc(2027, 2, 1, 0, 0, 0)},
		{"month Feb non-leap", Month, 0, utc(2027, 2, 28, 23, 59, 59), utc(2027, 2, 1, 0, 0, 0), utc(2027, 3, 1, 0, 0, 0)},
		{"month Feb leap", Month, 0, utc(2028, 2, 29, 23, 59, 59), utc(2028, 2, 1, 0, 0, 0), utc(2028, 3, 1, 0, 0, 0)},
		{"month Dec", Month, 0, utc(2027, 12, 31, 23, 59, 59), utc(2027, 12, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0)},
		{"month on the 1st", Month, 0, utc(2028, 1, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0), utc(2028, 2, 1, 0, 0, 0)},
		{"month from the 15th after", Month, 14, utc(2027, 3, 20, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0), utc(2027, 4, 15, 0, 0, 0)},
		{"month from the 15th before", Month, 14, utc(2027, 3, 14, 23, 59, 59), utc(2027, 2, 15, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0)},
		{"month from the 15th on it", Month, 14, utc(2027, 3, 15, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0), utc(2027, 4, 15, 0, 0, 0)},
		{"month from the 15th Jan into Dec", Month, 14, utc(2028, 1, 3, 0, 0, 0), utc(2027, 12, 15, 0, 0, 0), utc(2028, 1, 15, 0, 0, 0)},
		{"month from the 28th Jan 31", Month, 27, utc(2027, 1, 31, 0, 0, 0), utc(2027, 1, 28, 0, 0, 0), utc(2027, 2, 28, 0, 0, 0)},
		{"month from the 28th Feb 28 non-leap", Month, 27, utc(2027, 2, 28, 0, 0, 0), utc(2027, 2, 28, 0, 0, 0), utc(2027, 3, 28, 0, 0, 0)},
		{"month from the 28th Mar 1 non-leap", Month, 27, utc(2027, 3, 1, 0, 0, 0), utc(2027, 2, 28, 0, 0, 0), utc(2027, 3, 28, 0, 0, 0)},
		{"month from the 28th Feb 27 leap", Month, 27, utc(2028, 2, 27, 23, 0, 0), utc(2028, 1, 28, 0, 0, 0), utc(2028, 2, 28, 0, 0, 0)},
		{"month from the 28th Feb 29 leap", Month, 27, utc(2028, 2, 29, 0, 0, 0), utc(2028, 2, 28, 0, 0, 0), utc(2028, 3, 28, 0, 0, 0)},
		{"month from the 28th Dec 31", Month, 27, utc(2027, 12, 31, 0, 0, 0), utc(2027, 12, 28, 0, 0, 0), utc(2028, 1, 28, 0, 0, 0)},
		{"month from the 28th Jan 2", Month, 27, utc(2028, 1, 2, 0, 0, 0), utc(2027, 12, 28, 0, 0, 0), utc(2028, 1, 28, 0, 0, 0)},
		{"not UTC", Day, 0, time.Date(2027, 3, 14, 23, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), utc(2027, 3, 15, 0, 0, 0), utc(2027, 3, 16, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := WindowAt(tt.period, tt.offset, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if !w.Start.Equal(tt.start) || !w.End.Equal(tt.end) {
				t.Errorf("WindowAt(%s, %d, %v) = [%v, %v), want [%v, %v)", tt.period, tt.offset, tt.now, w.Start, w.End, tt.start, tt.end)
			}
			if w.Start.Location() != time.UTC || w.End.Location() != time.UTC {
				t.Errorf("window not in UTC: %v, %v", w.Start.Location(), w.End.Location())
			}
			if tt.now.Before(w.Start) || !tt.now.Before(w.End) {
				t.Errorf("now %v outside [%v, %v)", tt.now, w.Start, w.End)
			}
		})
	}
}

func TestWindowAtErrors(t *testing.T) {
	now := utc(2027, 3, 14, 0, 0, 0)
	tests := []struct {
		period string
		offset int32
	}{
		{"YEAR", 0},
		{"day", 0},
		{"", 0},
		{Day, 1},
		{Week, -1},
		{Week, 7},
		{Month, -1},
		{Month, 28},
	}
	for _, tt := range tests {
		if w, err := WindowAt(tt.period, tt.offset, now); err == nil {
			t.Errorf("WindowAt(%q, %d) = %v, want an error", tt.period, tt.offset, w)
		}
	}
}

// The cache answers what WindowAt does, across window boundaries both ways.
func TestWindowCache(t *testing.T) {
	for _, p := range []struct {
		period string
		offset int32
	}{{Day, 0}, {Week, 3}, {Month, 14}} {
		c := NewWindowCache(p.period, p.offset)
		base := utc(2027, 12, 30, 23, 0, 0)
		for _, d := range []time.Duration{0, time.Hour, 2 * time.Hour, -time.Hour, 24 * time.Hour, 20 * 24 * time.Hour, time.Hour, 40 * 24 * time.Hour, -1} {
			now := base.Add(d)
			got, err := c.At(now)
			want, _ := WindowAt(p.period, p.offset, now)
			if err != nil || got != want {
				t.Errorf("%s %d at %v: %v (%v), want %v", p.period, p.offset, now, got, err, want)
			}
		}
	}
	if _, err := NewWindowCache("YEAR", 0).At(utc(2027, 1, 1, 0, 0, 0)); err == nil {
		t.Error("an unknown period has a window")
	}
}
