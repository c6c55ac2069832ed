package crm

import (
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestBusinessHoursAdd(t *testing.T) {
	sofia := zone(t, "Europe/Sofia")
	ny := zone(t, "America/New_York")
	tokyo := zone(t, "Asia/Tokyo")
	at := func(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
		return time.Date(y, m, d, hh, mm, 0, 0, loc)
	}
	h := DefaultBusinessHours()
	sixDays := BusinessHours{Start: 8 * 60, End: 17 * 60, Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}}
	tests := []struct {
		name  string
		hours BusinessHours
		loc   *time.Location
		from  time.Time
		span  Span
		want  time.Time
	}{
		{"within the day", h, sofia, at(sofia, 2026, 3, 2, 10, 0), Span{Hours: 4}, at(sofia, 2026, 3, 2, 14, 0)},
		{"a day from the opening ends the same evening", h, sofia, at(sofia, 2026, 3, 2, 9, 0), Span{Days: 1}, at(sofia, 2026, 3, 2, 18, 0)},
		{"exactly at closing stays on that day", h, sofia, at(sofia, 2026, 3, 2, 10, 0), Span{Hours: 8}, at(sofia, 2026, 3, 2, 18, 0)},
		{"one hour past closing goes to the next morning", h, sofia, at(sofia, 2026, 3, 2, 10, 0), Span{Hours: 9}, at(sofia, 2026, 3, 3, 10, 0)},
		{"a day is the same time on the next working day", h, sofia, at(sofia, 2026, 3, 2, 10, 0), Span{Days: 1}, at(sofia, 2026, 3, 3, 10, 0)},
		{"over the weekend", h, sofia, at(sofia, 2026, 3, 6, 16, 0), Span{Hours: 4}, at(sofia, 2026, 3, 9, 11, 0)},
		{"received on Saturday", h, sofia, at(sofia, 2026, 3, 7, 11, 0), Span{Hours: 4}, at(sofia, 2026, 3, 9, 13, 0)},
		{"received on Sunday night", h, sofia, at(sofia, 2026, 3, 8, 23, 30), Span{Days: 1}, at(sofia, 2026, 3, 9, 18, 0)},
		{"received after hours", h, sofia, at(sofia, 2026, 3, 2, 19, 0), Span{Hours: 1}, at(sofia, 2026, 3, 3, 10, 0)},
		{"received before hours", h, sofia, at(sofia, 2026, 3, 2, 7, 0), Span{Hours: 1}, at(sofia, 2026, 3, 2, 10, 0)},
		{"received at closing on Friday", h, sofia, at(sofia, 2026, 3, 6, 18, 0), Span{Hours: 1}, at(sofia, 2026, 3, 9, 10, 0)},
		{"Friday closing deadline is not moved to Monday", h, sofia, at(sofia, 2026, 3, 6, 14, 0), Span{Hours: 4}, at(sofia, 2026, 3, 6, 18, 0)},
		{"spring DST weekend in Sofia", h, sofia, at(sofia, 2026, 3, 27, 16, 0), Span{Hours: 4}, time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)},
		{"autumn DST weekend in Sofia", h, sofia, at(sofia, 2026, 10, 23, 16, 0), Span{Hours: 4}, time.Date(2026, 10, 26, 9, 0, 0, 0, time.UTC)},
		{"spring DST in New York, 2 days", h, ny, at(ny, 2026, 3, 6, 16, 0), Span{Days: 2}, time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC)},
		{"autumn DST in New York", h, ny, at(ny, 2026, 10, 30, 17, 0), Span{Hours: 2}, time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)},
		{"the same instant in Sofia", h, sofia, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Span{Hours: 4}, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)},
		{"the same instant in New York waits for the opening", h, ny, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Span{Hours: 4}, time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC)},
		{"Tokyo, Friday evening", h, tokyo, at(tokyo, 2026, 3, 6, 17, 30), Span{Hours: 1}, at(tokyo, 2026, 3, 9, 9, 30)},
		{"low: 20 working days", h, sofia, at(sofia, 2026, 3, 2, 9, 0), Span{Days: 20}, at(sofia, 2026, 3, 27, 18, 0)},
		{"medium: 10 days over new year", h, sofia, at(sofia, 2026, 12, 23, 12, 0), Span{Days: 10}, at(sofia, 2027, 1, 6, 12, 0)},
		{"minutes", h, sofia, at(sofia, 2026, 3, 2, 17, 45), Span{Minutes: 30}, at(sofia, 2026, 3, 3, 9, 15)},
		{"six-day week with 8-17", sixDays, sofia, at(sofia, 2026, 3, 7, 16, 0), Span{Hours: 2}, at(sofia, 2026, 3, 9, 9, 0)},
		{"six-day week, a day is 9 h", sixDays, sofia, at(sofia, 2026, 3, 6, 8, 0), Span{Days: 1}, at(sofia, 2026, 3, 6, 17, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.hours.Add(tt.from, tt.hours.Duration(tt.span), tt.loc)
			if !got.Equal(tt.want) {
				t.Errorf("Add(%s, %s) = %s, want %s", tt.from.In(tt.loc), tt.span, got.In(tt.loc), tt.want.In(tt.loc))
			}
			// The working time between the start and the deadline is the
			// span itself.
			if back := tt.hours.Between(tt.from, got, tt.loc); back != tt.hours.Duration(tt.span) {
				t.Errorf("Between(from, deadline) = %v, want %v", back, tt.hours.Duration(tt.span))
			}
		})
	}
}

func TestBusinessHoursBetween(t *testing.T) {
	sofia := zone(t, "Europe/Sofia")
	at := func(m time.Month, d, hh, mm int) time.Time { return time.Date(2026, m, d, hh, mm, 0, 0, sofia) }
	h := DefaultBusinessHours()
	tests := []struct {
		name string
		a, b time.Time
		want time.Duration
	}{
		{"same day", at(3, 2, 10, 0), at(3, 2, 12, 30), 150 * time.Minute},
		{"over the weekend", at(3, 6, 17, 0), at(3, 9, 10, 0), 2 * time.Hour},
		{"weekend only", at(3, 7, 10, 0), at(3, 8, 20, 0), 0},
		{"reversed", at(3, 9, 10, 0), at(3, 6, 17, 0), 0},
		{"a full week", at(3, 2, 0, 0), at(3, 9, 0, 0), 45 * time.Hour},
		{"over the DST change", at(3, 27, 16, 0), at(3, 30, 11, 0), 4 * time.Hour},
	}
	for _, tt := range tests {
		if got := h.Between(tt.a, tt.b, sofia); got != tt.want {
			t.Errorf("%s: Between = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClaimSettingsDue(t *testing.T) {
	sofia := zone(t, "Europe/Sofia")
	from := time.Date(2026, 3, 2, 10, 0, 0, 0, sofia) // Monday
	s := DefaultClaimSettings()
	tests := []struct {
		sev          Severity
		ack, resolve time.Time
	}{
		{SeverityCritical, time.Date(2026, 3, 2, 14, 0, 0, 0, sofia), time.Date(2026, 3, 4, 10, 0, 0, 0, sofia)},
		{SeverityHigh, time.Date(2026, 3, 3, 10, 0, 0, 0, sofia), time.Date(2026, 3, 9, 10, 0, 0, 0, sofia)},
		{SeverityMedium, time.Date(2026, 3, 4, 10, 0, 0, 0, sofia), time.Date(2026, 3, 16, 10, 0, 0, 0, sofia)},
		{SeverityLow, time.Date(2026, 3, 9, 10, 0, 0, 0, sofia), time.Date(2026, 3, 30, 10, 0, 0, 0, sofia)},
	}
	for _, tt := range tests {
		ack, res := s.Due(tt.sev, from, sofia)
		if !ack.Equal(tt.ack) || !res.Equal(tt.resolve) {
			t.Errorf("%s: due %s / %s, want %s / %s", tt.sev, ack, res, tt.ack, tt.resolve)
		}
	}
	// Changed settings apply; a broken setting falls back to the default.
	c := s.Clone()
	c.SLA[SeverityCritical] = SLATerm{Ack: Span{Hours: 1}, Resolve: Span{Hours: 8}}
	if ack, res := c.Due(SeverityCritical, from, sofia); !ack.Equal(from.Add(time.Hour)) || !res.Equal(time.Date(2026, 3, 2, 18, 0, 0, 0, sofia)) {
		t.Errorf("changed SLA: %s / %s", ack, res)
	}
	if s.SLA[SeverityCritical].Ack.Hours != 4 {
		t.Error("Clone shares the SLA map")
	}
	c.Hours = BusinessHours{}
	if ack, _ := c.Due(SeverityCritical, from, sofia); !ack.Equal(from.Add(time.Hour)) {
		t.Errorf("invalid hours did not fall back to the default: %s", ack)
	}
}

func TestParseSpan(t *testing.T) {
	good := map[string]Span{"4h": {Hours: 4}, "2d": {Days: 2}, "1d4h": {Days: 1, Hours: 4}, "90m": {Minutes: 90}, "4ч": {Hours: 4}, "2д": {Days: 2}, "1 d 2 h": {Days: 1, Hours: 2}}
	for in, want := range good {
		if got, ok := ParseSpan(in); !ok || got != want {
			t.Errorf("ParseSpan(%q) = %+v %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "0h", "h", "4x", "12345h", "-1d"} {
		if _, ok := ParseSpan(in); ok {
			t.Errorf("ParseSpan(%q) accepted", in)
		}
	}
	if s := (Span{Days: 1, Hours: 4}).String(); s != "1d4h" {
		t.Errorf("String = %q", s)
	}
}
