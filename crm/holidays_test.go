package crm

import (
	"testing"
	"time"
)

func TestOrthodoxEaster(t *testing.T) {
	for year, want := range map[int]string{
		2016: "2016-05-01", 2021: "2021-05-02", 2023: "2023-04-16", 2024: "2024-05-05",
		2025: "2025-04-20", 2026: "2026-04-12", 2027: "2027-05-02", 2030: "2030-04-28",
	} {
		if got := OrthodoxEaster(year).Format(time.DateOnly); got != want {
			t.Errorf("Orthodox Easter %d = %s, want %s", year, got, want)
		}
	}
}

// TestBulgarianHolidays checks whole years against the official calendars,
// with the days moved off weekends: 2021 (1 May on Holy Saturday, Christmas
// on a weekend), 2022 (24–25 December on a weekend) and 2026.
func TestBulgarianHolidays(t *testing.T) {
	for year, want := range map[int][]string{
		2021: {"01-01", "03-03", "04-30", "05-01", "05-02", "05-03", "05-04", "05-06", "05-24", "09-06", "09-22", "12-24", "12-25", "12-26", "12-27", "12-28"},
		2022: {"01-01", "01-03", "03-03", "04-22", "04-23", "04-24", "04-25", "05-01", "05-02", "05-06", "05-24", "09-06", "09-22", "12-24", "12-25", "12-26", "12-27", "12-28"},
		2026: {"01-01", "03-03", "04-10", "04-11", "04-12", "04-13", "05-01", "05-06", "05-24", "05-25", "09-06", "09-07", "09-22", "12-24", "12-25", "12-26", "12-28"},
	} {
		var got []string
		for _, d := range PublicHolidays(HolidaysBulgaria, year) {
			got = append(got, d.Format("01-02"))
		}
		if len(got) != len(want) {
			t.Errorf("%d: %v\nwant %v", year, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%d: %v\nwant %v", year, got, want)
				break
			}
		}
	}
	if PublicHolidays("", 2026) != nil || PublicHolidays("xx", 2026) != nil {
		t.Error("an unknown calendar has holidays")
	}
}

func TestSLASkipsHolidaysAndClosedDays(t *testing.T) {
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 12, 23, 10, 0, 0, 0, sofia)
	plain := DefaultBusinessHours()
	bg := DefaultBusinessHours()
	bg.Holidays = HolidaysBulgaria
	closed := bg
	closed.Closed = []string{"2026-12-31", "not a date"}
	for _, tc := range []struct {
		name  string
		h     BusinessHours
		span  Span
		want  string
		inner time.Duration // working time from received to want
	}{
		{"no calendar: ack on Christmas Eve", plain, Span{Days: 1}, "2026-12-24 10:00", 9 * time.Hour},
		{"bg: ack after Christmas and the day moved off 26 December", bg, Span{Days: 1}, "2026-12-29 10:00", 9 * time.Hour},
		{"bg: resolve skips New Year", bg, Span{Days: 5}, "2027-01-05 10:00", 45 * time.Hour},
		{"bg and a closed day", closed, Span{Days: 5}, "2027-01-06 10:00", 45 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due := tc.h.Add(received, tc.h.Duration(tc.span), sofia)
			if got := due.In(sofia).Format("2006-01-02 15:04"); got != tc.want {
				t.Errorf("due %s, want %s", got, tc.want)
			}
			if got := tc.h.Between(received, due, sofia); got != tc.inner {
				t.Errorf("working time to the deadline %v, want %v", got, tc.inner)
			}
		})
	}
}

// BenchmarkSLABetween measures the working time of a claim that took two
// weeks, as the claims report computes it per claim, with and without a
// holiday calendar.
func BenchmarkSLABetween(b *testing.B) {
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2026, 12, 14, 10, 0, 0, 0, sofia)
	to := from.AddDate(0, 0, 14)
	for _, cal := range []string{"", HolidaysBulgaria} {
		h := DefaultBusinessHours()
		h.Holidays = cal
		name := cal
		if name == "" {
			name = "none"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				h.Between(from, to, sofia)
			}
		})
	}
}
