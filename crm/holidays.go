package crm

import (
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
	off := bulgarianDaysOff(year)
	var days []time.Time
	for yd := 1; yd <= 366; yd++ {
		if off.has(yd) {
			days = append(days, time.Date(year, time.January, yd, 0, 0, 0, 0, time.UTC))
		}
	}
	return days
}

// yearDays is a set of days of one year, by day of the year (1–366).
type yearDays [6]uint64

func (y *yearDays) add(yd int)      { y[yd/64] |= 1 << (yd % 64) }
func (y *yearDays) has(yd int) bool { return yd > 0 && yd <= 366 && y[yd/64]&(1<<(yd%64)) != 0 }

// bulgarianDaysOff computes Bulgaria's days off of a year without
// allocating: SLA walks ask for it once per claim.
func bulgarianDaysOff(year int) yearDays {
	var off yearDays
	jan1 := int(time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC).Weekday())
	weekend := func(yd int) bool {
		wd := (jan1 + yd - 1) % 7
		return wd == int(time.Saturday) || wd == int(time.Sunday)
	}
	yday := func(m time.Month, d int) int { return time.Date(year, m, d, 0, 0, 0, 0, time.UTC).YearDay() }
	// Good Friday to Easter Monday; these never move to another day.
	easter := OrthodoxEaster(year).YearDay()
	for i := -2; i <= 1; i++ {
		off.add(easter + i)
	}
	fixed := [...]int{yday(time.January, 1), yday(time.March, 3), yday(time.May, 1), yday(time.May, 6),
		yday(time.May, 24), yday(time.September, 6), yday(time.September, 22)}
	christmas := yday(time.December, 24)
	for _, d := range fixed {
		off.add(d)
	}
	for d := christmas; d <= christmas+2; d++ {
		off.add(d)
	}
	// firstWorkday is the first Monday-to-Friday after d that is not
	// already off.
	firstWorkday := func(d int) int {
		for {
			d++
			if !weekend(d) && !off.has(d) {
				return d
			}
		}
	}
	// A holiday on a Saturday or Sunday gives the first working day after
	// it off; for 24–26 December, as many working days after the 26th as
	// fell on the weekend.
	for _, d := range fixed {
		if weekend(d) {
			off.add(firstWorkday(d))
		}
	}
	last := christmas + 2
	for d := christmas; d <= christmas+2; d++ {
		if weekend(d) {
			last = firstWorkday(last)
			off.add(last)
		}
	}
	return off
}

// daysOff answers whether a date is a holiday or a closed day of some
// business hours, computing each year's days once per walk.
type daysOff struct {
	h    *BusinessHours
	year int
	off  yearDays
}

func (o *daysOff) has(day time.Time) bool {
	if o.h.Holidays == "" && len(o.h.Closed) == 0 {
		return false
	}
	y := day.Year()
	if o.year != y {
		o.year, o.off = y, yearDays{}
		if o.h.Holidays == HolidaysBulgaria {
			o.off = bulgarianDaysOff(y)
		}
		for _, c := range o.h.Closed {
			if t, err := time.Parse(time.DateOnly, c); err == nil && t.Year() == y {
				o.off.add(t.YearDay())
			}
		}
	}
	return o.off.has(day.YearDay())
}
