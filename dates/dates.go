// Package dates reads the dates people type ("tomorrow", "петък", "+3d",
// "31.12.2026") and writes dates the way each language expects.
package dates

import (
	"strconv"
	"strings"
	"time"
)

// Clock tells the time. The real one and a fixed or offset one for tests and
// for ACCOUNTBOT_NOW satisfy it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the machine's clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// OffsetClock runs from Start as if the process had started then.
type OffsetClock struct {
	Start   time.Time
	started time.Time
}

// NewOffsetClock returns a clock that reads start now and runs on from there.
func NewOffsetClock(start time.Time) *OffsetClock {
	return &OffsetClock{Start: start, started: time.Now()}
}

// Now returns Start plus the time elapsed since the clock was made.
func (c *OffsetClock) Now() time.Time { return c.Start.Add(time.Since(c.started)) }

// Day returns midnight of t's day in loc.
func Day(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// AddDays returns midnight n days after day, correct across DST changes.
func AddDays(day time.Time, n int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+n, 0, 0, 0, 0, day.Location())
}

var weekdays = map[string]time.Weekday{
	"monday": time.Monday, "mon": time.Monday, "понеделник": time.Monday, "пон": time.Monday, "пн": time.Monday,
	"tuesday": time.Tuesday, "tue": time.Tuesday, "вторник": time.Tuesday, "вт": time.Tuesday,
	"wednesday": time.Wednesday, "wed": time.Wednesday, "сряда": time.Wednesday, "ср": time.Wednesday,
	"thursday": time.Thursday, "thu": time.Thursday, "четвъртък": time.Thursday, "чт": time.Thursday,
	"friday": time.Friday, "fri": time.Friday, "петък": time.Friday, "пт": time.Friday,
	"saturday": time.Saturday, "sat": time.Saturday, "събота": time.Saturday, "сб": time.Saturday,
	"sunday": time.Sunday, "sun": time.Sunday, "неделя": time.Sunday, "нд": time.Sunday,
}

// Parse reads a typed date relative to now, in loc, and returns midnight of
// that day. It reports false for text that is no date it knows.
func Parse(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Join(strings.Fields(s), " ")
	today := Day(now, loc)
	switch s {
	case "today", "днес":
		return today, true
	case "tomorrow", "утре":
		return AddDays(today, 1), true
	case "вдругиден", "day after tomorrow":
		return AddDays(today, 2), true
	case "yesterday", "вчера":
		return AddDays(today, -1), true
	case "next week", "следващата седмица", "другата седмица", "следваща седмица":
		// Monday of the next week.
		wd := (int(today.Weekday()) + 6) % 7 // Monday = 0
		return AddDays(today, 7-wd), true
	case "next month", "следващия месец", "другия месец":
		return time.Date(today.Year(), today.Month()+1, 1, 0, 0, 0, 0, loc), true
	}
	if wd, ok := weekdays[strings.TrimPrefix(strings.TrimPrefix(s, "next "), "следващ ")]; ok {
		d := (int(wd) - int(today.Weekday()) + 7) % 7
		if d == 0 {
			d = 7
		}
		return AddDays(today, d), true
	}
	if t, ok := relative(s, today); ok {
		return t, true
	}
	for _, layout := range []string{"2006-01-02", "02.01.2006", "2.1.2006", "02.01.06", "2006/01/02", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	// A day and month without a year: the next such date.
	for _, layout := range []string{"02.01", "2.1"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			d := time.Date(today.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
			if d.Before(today) {
				d = d.AddDate(1, 0, 0)
			}
			return d, true
		}
	}
	return time.Time{}, false
}

// relative reads "+3d", "+2w", "+1m", "in 3 days", "след 3 дни".
func relative(s string, today time.Time) (time.Time, bool) {
	s = strings.TrimPrefix(s, "in ")
	s = strings.TrimPrefix(s, "след ")
	s = strings.TrimPrefix(s, "+")
	s = strings.ReplaceAll(s, " ", "")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 4 {
		return time.Time{}, false
	}
	n, _ := strconv.Atoi(s[:i])
	switch s[i:] {
	case "d", "day", "days", "д", "ден", "дни":
		return AddDays(today, n), true
	case "w", "week", "weeks", "с", "седм", "седмица", "седмици":
		return AddDays(today, 7*n), true
	case "m", "month", "months", "м", "месец", "месеца":
		return time.Date(today.Year(), today.Month()+time.Month(n), today.Day(), 0, 0, 0, 0, today.Location()), true
	}
	return time.Time{}, false
}

// ParseClock reads "HH:MM" (or "H:MM", "HH.MM") and returns hours and minutes.
func ParseClock(s string) (int, int, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ".", ":")
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, 0, false
	}
	return hh, mm, true
}

// Format writes a date as the language expects: 2026-12-31 in English,
// 31.12.2026 in Bulgarian.
func Format(t time.Time, lang string) string {
	if lang == "bg" {
		return t.Format("02.01.2006")
	}
	return t.Format("2006-01-02")
}

// FormatTime writes a date and a 24-hour time.
func FormatTime(t time.Time, lang string) string {
	return Format(t, lang) + " " + t.Format("15:04")
}
