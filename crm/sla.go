package crm

import (
	"strconv"
	"strings"
	"time"
)

// Span is an SLA term in working time: days of one working day each (the
// length of the business hours, 9 h by default) plus hours and minutes.
type Span struct {
	Days    int `json:"days,omitempty"`
	Hours   int `json:"hours,omitempty"`
	Minutes int `json:"minutes,omitempty"`
}

// ParseSpan reads "4h", "2d", "1d4h", "90m" (and "4ч", "2д", "30мин").
func ParseSpan(s string) (Span, bool) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	var sp Span
	if s == "" {
		return sp, false
	}
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 4 {
			return Span{}, false
		}
		n, _ := strconv.Atoi(s[:i])
		s = s[i:]
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') {
			j++
		}
		unit := s[:j]
		s = s[j:]
		switch unit {
		case "d", "day", "days", "д", "ден", "дни", "дена":
			sp.Days += n
		case "h", "hr", "hrs", "hour", "hours", "ч", "час", "часа":
			sp.Hours += n
		case "m", "min", "mins", "minute", "minutes", "м", "мин", "минути":
			sp.Minutes += n
		default:
			return Span{}, false
		}
	}
	if sp.IsZero() {
		return Span{}, false
	}
	return sp, true
}

// IsZero reports whether the span is empty.
func (s Span) IsZero() bool { return s.Days == 0 && s.Hours == 0 && s.Minutes == 0 }

// String writes the span as ParseSpan reads it: "1d4h".
func (s Span) String() string {
	var b strings.Builder
	if s.Days > 0 {
		b.WriteString(strconv.Itoa(s.Days) + "d")
	}
	if s.Hours > 0 {
		b.WriteString(strconv.Itoa(s.Hours) + "h")
	}
	if s.Minutes > 0 {
		b.WriteString(strconv.Itoa(s.Minutes) + "m")
	}
	if b.Len() == 0 {
		return "0h"
	}
	return b.String()
}

// BusinessHours are the working hours in which SLA time runs: the same
// wall-clock window on each working weekday, in the caller's time zone.
type BusinessHours struct {
	// Start and End are minutes after midnight (09:00 = 540).
	Start int `json:"start"`
	End   int `json:"end"`
	// Days are the working weekdays.
	Days []time.Weekday `json:"days"`
	// Holidays names a public-holiday calendar whose days off SLA time
	// skips ("" for none, HolidaysBulgaria).
	Holidays string `json:"holidays,omitempty"`
	// Closed are further days off (company closures, bridge days decreed
	// by the government), as 2026-12-31.
	Closed []string `json:"closed,omitempty"`
}

// DefaultBusinessHours are Monday to Friday, 09:00 to 18:00.
func DefaultBusinessHours() BusinessHours {
	return BusinessHours{Start: 9 * 60, End: 18 * 60, Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}}
}

// Valid reports whether the hours form a non-empty window on at least one
// day, so that every deadline exists.
func (h BusinessHours) Valid() bool {
	return h.Start >= 0 && h.End <= 24*60 && h.Start < h.End && len(h.Days) > 0
}

// DayLength is one working day: the length of the window.
func (h BusinessHours) DayLength() time.Duration { return time.Duration(h.End-h.Start) * time.Minute }

// Duration is the working time of a span.
func (h BusinessHours) Duration(s Span) time.Duration {
	return time.Duration(s.Days)*h.DayLength() + time.Duration(s.Hours)*time.Hour + time.Duration(s.Minutes)*time.Minute
}

func (h BusinessHours) works(d time.Weekday) bool {
	for _, w := range h.Days {
		if w == d {
			return true
		}
	}
	return false
}

// window returns the working window of the day of t in loc, and false on a
// day off.
func (h BusinessHours) window(day time.Time, loc *time.Location, off *daysOff) (time.Time, time.Time, bool) {
	if !h.works(day.Weekday()) || off.has(day) {
		return time.Time{}, time.Time{}, false
	}
	y, m, d := day.Date()
	// time.Date keeps wall-clock times across daylight-saving changes.
	start := time.Date(y, m, d, h.Start/60, h.Start%60, 0, 0, loc)
	end := time.Date(y, m, d, h.End/60, h.End%60, 0, 0, loc)
	return start, end, true
}

// maxSLADays bounds the day-by-day walk (ten years), so that no setting can
// make it run forever.
const maxSLADays = 3660

// Add returns the moment when d of working time has passed after from,
// counting only the business hours in loc. A deadline that falls exactly at
// the end of a working day stays on that day. A zero or negative d returns
// from.
func (h BusinessHours) Add(from time.Time, d time.Duration, loc *time.Location) time.Time {
	if d <= 0 || !h.Valid() {
		return from
	}
	t := from.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	left := d
	off := &daysOff{h: &h}
	for i := 0; i < maxSLADays; i++ {
		if ws, we, ok := h.window(day, loc, off); ok {
			start := ws
			if t.After(start) {
				start = t
			}
			if start.Before(we) {
				avail := we.Sub(start)
				if left <= avail {
					return start.Add(left)
				}
				left -= avail
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		t = day
	}
	return t
}

// Between returns the working time from a to b in loc (0 when b is not
// after a).
func (h BusinessHours) Between(a, b time.Time, loc *time.Location) time.Duration {
	if !b.After(a) || !h.Valid() {
		return 0
	}
	t := a.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	var sum time.Duration
	off := &daysOff{h: &h}
	for i := 0; i < maxSLADays && day.Before(b); i++ {
		if ws, we, ok := h.window(day, loc, off); ok {
			start, end := ws, we
			if a.After(start) {
				start = a
			}
			if b.Before(end) {
				end = b
			}
			if end.After(start) {
				sum += end.Sub(start)
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	}
	return sum
}

// SLATerm is the time to acknowledge and to resolve a claim of one
// severity.
type SLATerm struct {
	Ack     Span `json:"ack"`
	Resolve Span `json:"resolve"`
}

// ClaimSettings are the company's claim SLA settings.
type ClaimSettings struct {
	SLA   map[Severity]SLATerm `json:"sla"`
	Hours BusinessHours        `json:"hours"`
}

// DefaultClaimSettings are critical 4 h / 2 days, high 1 day / 5 days,
// medium 2 days / 10 days, low 5 days / 20 days, Monday to Friday
// 09:00–18:00.
func DefaultClaimSettings() ClaimSettings {
	return ClaimSettings{
		SLA: map[Severity]SLATerm{
			SeverityCritical: {Ack: Span{Hours: 4}, Resolve: Span{Days: 2}},
			SeverityHigh:     {Ack: Span{Days: 1}, Resolve: Span{Days: 5}},
			SeverityMedium:   {Ack: Span{Days: 2}, Resolve: Span{Days: 10}},
			SeverityLow:      {Ack: Span{Days: 5}, Resolve: Span{Days: 20}},
		},
		Hours: DefaultBusinessHours(),
	}
}

// Term returns the SLA of a severity, the default one where unset.
func (s ClaimSettings) Term(sev Severity) SLATerm {
	if t, ok := s.SLA[sev]; ok && !t.Ack.IsZero() && !t.Resolve.IsZero() {
		return t
	}
	return DefaultClaimSettings().SLA[sev]
}

// Due returns the acknowledge and resolve deadlines of a claim of severity
// sev received at from, counted in business hours of loc.
func (s ClaimSettings) Due(sev Severity, from time.Time, loc *time.Location) (ack, resolve time.Time) {
	h := s.Hours
	if !h.Valid() {
		h = DefaultBusinessHours()
	}
	t := s.Term(sev)
	return h.Add(from, h.Duration(t.Ack), loc), h.Add(from, h.Duration(t.Resolve), loc)
}

// Clone returns a deep copy.
func (s ClaimSettings) Clone() ClaimSettings {
	out := ClaimSettings{SLA: make(map[Severity]SLATerm, len(s.SLA)), Hours: s.Hours}
	for k, v := range s.SLA {
		out.SLA[k] = v
	}
	out.Hours.Days = append([]time.Weekday(nil), s.Hours.Days...)
	out.Hours.Closed = append([]string(nil), s.Hours.Closed...)
	return out
}

// WorkingDay reports whether day (any time on it, in its own location) is a
// working day of these hours: one of the working weekdays and neither a
// public holiday of the calendar nor a closed day.
func (h BusinessHours) WorkingDay(day time.Time) bool {
	if !h.works(day.Weekday()) {
		return false
	}
	off := &daysOff{h: &h}
	return !off.has(day)
}
