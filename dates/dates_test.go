package dates

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal(err)
	}
	// Thursday, 26 November 2026, 22:30 in Sofia.
	now := time.Date(2026, 11, 26, 22, 30, 0, 0, sofia)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, sofia) }
	tests := []struct {
		in   string
		want time.Time
	}{
		{"today", day(2026, 11, 26)},
		{"днес", day(2026, 11, 26)},
		{"Tomorrow", day(2026, 11, 27)},
		{"утре", day(2026, 11, 27)},
		{"friday", day(2026, 11, 27)},
		{"петък", day(2026, 11, 27)},
		{"thursday", day(2026, 12, 3)},
		{"monday", day(2026, 11, 30)},
		{"понеделник", day(2026, 11, 30)},
		{"+3d", day(2026, 11, 29)},
		{"+3д", day(2026, 11, 29)},
		{"+2w", day(2026, 12, 10)},
		{"next week", day(2026, 11, 30)},
		{"следващата седмица", day(2026, 11, 30)},
		{"2026-12-31", day(2026, 12, 31)},
		{"31.12.2026", day(2026, 12, 31)},
		{"1.2.2027", day(2027, 2, 1)},
		{"15.01", day(2027, 1, 15)},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in, now, sofia)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "someday", "31.13.2026", "2026-02-30", "+d", "+99999d"} {
		if got, ok := Parse(bad, now, sofia); ok {
			t.Errorf("Parse(%q) = %v, want no date", bad, got)
		}
	}
}

func TestAddDaysAcrossDST(t *testing.T) {
	sofia, _ := time.LoadLocation("Europe/Sofia")
	// Clocks go forward on 29 March 2026 in Sofia.
	d := AddDays(time.Date(2026, 3, 28, 0, 0, 0, 0, sofia), 2)
	if d.Hour() != 0 || d.Day() != 30 {
		t.Errorf("AddDays across DST = %v", d)
	}
}

func TestFormat(t *testing.T) {
	d := time.Date(2026, 12, 31, 9, 5, 0, 0, time.UTC)
	if got := Format(d, "en"); got != "2026-12-31" {
		t.Errorf("en: %s", got)
	}
	if got := FormatTime(d, "bg"); got != "31.12.2026 09:05" {
		t.Errorf("bg: %s", got)
	}
}

func TestParseClock(t *testing.T) {
	if h, m, ok := ParseClock("9:30"); !ok || h != 9 || m != 30 {
		t.Errorf("9:30 → %d %d %v", h, m, ok)
	}
	for _, bad := range []string{"25:00", "12:5", "noon", "12"} {
		if _, _, ok := ParseClock(bad); ok {
			t.Errorf("ParseClock(%q) accepted", bad)
		}
	}
}
