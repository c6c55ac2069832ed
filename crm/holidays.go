package crm

import (
	"sort"
	"time"
)

// HolidaysBulgaria names the calendar of Bulgaria's official days off
// (Labour Code, art. 154) that SLA time can skip.
const HolidaysBulgaria = "bg"

// OrthodoxEaster returns the date of Orthodox Easter Sunday of a year
// (1900–2199), at midnight UTC, in the Gregorian calendar.
func OrthodoxEaster(year int) time.Time {
	// Meeus' Julian-calendar algorithm, then the Julian–Gregorian gap.
	a, b, c := year%4, year%7, year%19
	d := (19*c + 15) % 30
	e := (2*a + 4*b - d + 34) % 7
	month := (d + e + 114) / 31
	day := (d+e+114)%31 + 1
	gap := year/100 - year/400 - 2
	return time.Date(year, time.Month(month), day+gap, 0, 0, 0, 0, time.UTC)
}

// PublicHolidays returns the official days off of a calendar in a year, at
// midnight UTC, in order; nil for an unknown calendar.
func PublicHolidays(calendar string, year int) []time.Time {
	if calendar != HolidaysBulgaria {
		return nil
	}
	date := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, time.UTC) }
	off := map[time.Time]bool{}
	easter := OrthodoxEaster(year)
	// Good Friday to Easter Monday; these never move to another day.
	for i := -2; i <= 1; i++ {
		off[easter.AddDate(0, 0, i)] = true
	}
	fixed := []time.Time{date(time.January, 1), date(time.March, 3), date(time.May, 1), date(time.May, 6),
		date(time.May, 24), date(time.September, 6), date(time.September, 22)}
	christmas := []time.Time{date(time.December, 24), date(time.December, 25), date(time.December, 26)}
	for _, d := range append(append([]time.Time(nil), fixed...), christmas...) {
		off[d] = true
	}
	// firstWorkday is the first Monday-to-Friday after d that is not
	// already off.
	firstWorkday := func(d time.Time) time.Time {
		for {
			d = d.AddDate(0, 0, 1)
			if !weekend(d) && !off[d] {
				return d
			}
		}
	}
	// A holiday on a Saturday or Sunday gives the first working day after
	// it off; for 24–26 December, as many working days after the 26th as
	// fell on the weekend.
	for _, d := range fixed {
		if weekend(d) {
			off[firstWorkday(d)] = true
		}
	}
	last := date(time.December, 26)
	for _, d := range christmas {
		if weekend(d) {
			last = firstWorkday(last)
			off[last] = true
		}
	}
	days := make([]time.Time, 0, len(off))
	for d := range off {
		days = append(days, d)
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
	return days
}

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// daysOff answers whether a date is a holiday or a closed day of some
// business hours, computing each year's days once per walk.
type daysOff struct {
	h    *BusinessHours
	year int
	off  map[[2]int]bool
}

func (o *daysOff) has(day time.Time) bool {
	if o.h.Holidays == "" && len(o.h.Closed) == 0 {
		return false
	}
	y, m, d := day.Date()
	if o.off == nil || o.year != y {
		o.year, o.off = y, map[[2]int]bool{}
		for _, h := range PublicHolidays(o.h.Holidays, y) {
			o.off[[2]int{int(h.Month()), h.Day()}] = true
		}
		for _, c := range o.h.Closed {
			if t, err := time.Parse(time.DateOnly, c); err == nil && t.Year() == y {
				o.off[[2]int{int(t.Month()), t.Day()}] = true
			}
		}
	}
	return o.off[[2]int{int(m), d}]
}
