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
	"fmt"
	"sync/atomic"
	"time"
)

// WindowAt returns the quota window of a UsagePlan quota that contains now. Windows are in
// UTC, as in API Gateway, whatever now's location:
//
//   - DAY: [00:00, next 00:00); offset must be 0.
//   - WEEK: seven days starting at 00:00 on weekday offset (0 = Sunday .. 6 = Saturday).
//   - MONTH: starting at 00:00 on day offset+1 (0 = the 1st .. 27 = the 28th) and running to
//     the same day of the next month. Day 28 at most, so that every month has the start day.
//
// It is pure, so that every replica (and the Redis store) derives the same window from the
// same instant.
func WindowAt(period string, offset int32, now time.Time) (Window, error) {
	now = now.UTC()
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch period {
	case Day:
		if offset != 0 {
			return Window{}, fmt.Errorf("quota period %s: offset %d, must be 0", period, offset)
		}
		return Window{Start: today, End: today.AddDate(0, 0, 1)}, nil
	case Week:
		if offset < 0 || offset > 6 {
			return Window{}, fmt.Errorf("quota period %s: offset %d, must be 0 (Sunday) to 6 (Saturday)", period, offset)
		}
		back := (int(today.Weekday()) - int(offset) + 7) % 7
		start := today.AddDate(0, 0, -back)
		return Window{Start: start, End: start.AddDate(0, 0, 7)}, nil
	case Month:
		if offset < 0 || offset > 27 {
			return Window{}, fmt.Errorf("quota period %s: offset %d, must be 0 (the 1st) to 27 (the 28th)", period, offset)
		}
		day := int(offset) + 1
		if d < day {
			// Before this month's start day: the window began last month. time.Date
			// normalizes month 0 to December of the year before.
			m--
		}
		start := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
		// The start day is 28 at most, so AddDate never overflows into the month after.
		return Window{Start: start, End: start.AddDate(0, 1, 0)}, nil
	default:
		return Window{}, fmt.Errorf("quota period %q: must be %s, %s or %s", period, Day, Week, Month)
	}
}

// WindowCache is the WindowAt of one quota period and offset, computed once per window
// instead of once per request: the calendar arithmetic costs more than the counter it
// selects. The zero value is not usable; use NewWindowCache. Safe for concurrent use.
type WindowCache struct {
	period  string
	offset  int32
	current atomic.Pointer[Window]
}

// NewWindowCache returns the cache of the quota windows of period and offset.
func NewWindowCache(period string, offset int32) *WindowCache {
	return &WindowCache{period: period, offset: offset}
}

// At returns WindowAt(period, offset, now). A window is kept until a time outside it comes
// (either way: concurrent callers' clocks may be a little out of order), so a clock that
// jumps back gets the window it is in, as WindowAt would say.
func (c *WindowCache) At(now time.Time) (Window, error) {
	if w := c.current.Load(); w != nil && !now.Before(w.Start) && now.Before(w.End) {
		return *w, nil
	}
	w, err := WindowAt(c.period, c.offset, now)
	if err != nil {
		return Window{}, err
	}
	c.current.Store(&w)
	return w, nil
}
