// Package dates reads the dates people type ("tomorrow", "петък", "+3d",
// "31.12.2026") and writes dates the way each language expects.
package dates

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"accountbot/i18n"
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

// The words of dates are data: "words.date.*" and "words.list.date_*" in
// i18n/locales/LANG/dates.toml, every language's read whatever language
// the person speaks.

// vocabulary holds the date words, read once from the translation files.
type vocabulary struct {
	weekdays map[string]time.Weekday
	// months are the month names people type, whole and short.
	months map[string]time.Month
	// prepositions may stand before a date and change nothing: "on
	// friday", "в петък", "до 15 декември", "this friday", "този петък";
	// each ends in a space.
	prepositions []string
	// next say "the next one" before a weekday: "next friday",
	// "следващия петък"; each ends in a space.
	next []string
	// phrases are whole phrases ("утре", "end of month"), by name.
	phrases map[string]string
	// in start a relative date ("in 3 days", "след 3 дни"), each ending in
	// a space; units are its units by d, w or m.
	in    []string
	units map[string]string
	// ordinals end a day number ("15-ти", "15th"); lead may stand before a
	// date at the end of a text ("by", "до").
	ordinals []string
	lead     map[string]bool
}

var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// vocab are the date words of the embedded translation files. Without
// them (they did not load, which the i18n tests prevent) only numeric
// dates are read.
var vocab = sync.OnceValue(func() *vocabulary {
	cat, err := i18n.Default()
	if err != nil {
		cat = nil
	}
	return newVocabulary(cat)
})

func newVocabulary(cat *i18n.Catalog) *vocabulary {
	w := func(key string) []string { return cat.Words(i18n.WordsPrefix + key) }
	spaced := func(key string) []string {
		var out []string
		for _, f := range w(key) {
			out = append(out, f+" ")
		}
		return out
	}
	v := &vocabulary{weekdays: map[string]time.Weekday{}, months: map[string]time.Month{}, phrases: map[string]string{},
		units: map[string]string{}, lead: map[string]bool{},
		prepositions: spaced("list.date_prepositions"), next: spaced("list.date_next"), in: spaced("list.date_in"),
		ordinals: w("list.date_ordinal")}
	for d, key := range weekdayKeys {
		for _, f := range w("date.weekday." + key) {
			v.weekdays[f] = time.Weekday(d)
		}
	}
	for m := time.January; m <= time.December; m++ {
		for _, f := range w("date.month." + strconv.Itoa(int(m))) {
			v.months[f] = m
		}
	}
	for _, p := range Phrases {
		for _, f := range w("date.phrase." + p) {
			v.phrases[f] = p
		}
	}
	for _, u := range []string{"d", "w", "m"} {
		for _, f := range w("date.unit." + u) {
			v.units[f] = u
		}
	}
	for _, f := range w("list.date_lead") {
		v.lead[f] = true
	}
	return v
}

// Phrases are the names of the whole date phrases ("words.date.phrase.NAME").
var Phrases = []string{"today", "tomorrow", "day_after_tomorrow", "yesterday", "next_week", "next_month",
	"in_a_week", "in_a_month", "end_of_month", "end_of_next_month", "end_of_week", "end_of_year"}

// Parse reads a typed date relative to now, in loc, and returns midnight of
// that day. It reports false for text that is no date it knows. Every
// command reads dates through it, so the same phrases work everywhere, in
// both languages: "2026-12-31", "31.12.2026", "today", "утре", "friday",
// "в петък", "next week", "следващата седмица", "+3d", "след 3 дни",
// "15 декември", "dec 15", "края на месеца", "end of week".
func Parse(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	s = normalize(s)
	today := Day(now, loc)
	if t, ok := parseBare(s, today, loc); ok {
		return t, true
	}
	for _, p := range vocab().prepositions {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return parseBare(rest, today, loc)
		}
	}
	return time.Time{}, false
}

// ParseFrom reads the end of a range that starts on start: a weekday
// counts from the start ("from monday to friday" typed on a Wednesday is
// next week's Monday to Friday), anything else as Parse does.
func ParseFrom(s string, start, now time.Time, loc *time.Location) (time.Time, bool) {
	if wd, ok := weekday(normalize(s)); ok {
		from := Day(start, loc)
		return AddDays(from, (int(wd)-int(from.Weekday())+7)%7), true
	}
	return Parse(s, now, loc)
}

// IsDate reports whether s is a date phrase Parse reads (whatever day it
// names), for readers that must know where a date ends.
func IsDate(s string) bool {
	// 2024 is a leap year, so that "29.02" counts as a date too.
	_, ok := Parse(s, time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC)
	return ok
}

// CutTail finds a date phrase of up to four words at the end of text
// ("обаждане утре", "send the offer next friday") and returns the text
// before it and the day. A trailing marker ("by", "до") before the date
// is dropped with it.
func CutTail(text string, now time.Time, loc *time.Location) (string, time.Time, bool) {
	words := strings.Fields(text)
	for n := min(4, len(words)); n >= 1; n-- {
		phrase := strings.Join(words[len(words)-n:], " ")
		if _, err := strconv.Atoi(phrase); err == nil {
			continue // a bare number is no date
		}
		if d, ok := Parse(strings.TrimRight(phrase, ".,;!"), now, loc); ok {
			rest := words[:len(words)-n]
			for len(rest) > 0 && vocab().lead[strings.ToLower(rest[len(rest)-1])] {
				rest = rest[:len(rest)-1]
			}
			return strings.Join(rest, " "), d, true
		}
	}
	return text, time.Time{}, false
}

func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Trim(s, "\"'„“”")
	return strings.Join(strings.Fields(s), " ")
}

// weekday reads "friday", "петък", "next friday", "следващия петък".
func weekday(s string) (time.Weekday, bool) {
	v := vocab()
	for _, p := range v.prepositions {
		s = strings.TrimPrefix(s, p)
	}
	for _, n := range v.next {
		s = strings.TrimPrefix(s, n)
	}
	wd, ok := v.weekdays[s]
	return wd, ok
}

func parseBare(s string, today time.Time, loc *time.Location) (time.Time, bool) {
	switch vocab().phrases[s] {
	case "today":
		return today, true
	case "tomorrow":
		return AddDays(today, 1), true
	case "day_after_tomorrow":
		return AddDays(today, 2), true
	case "yesterday":
		return AddDays(today, -1), true
	case "next_week":
		// Monday of the next week.
		wd := (int(today.Weekday()) + 6) % 7 // Monday = 0
		return AddDays(today, 7-wd), true
	case "next_month":
		return time.Date(today.Year(), today.Month()+1, 1, 0, 0, 0, 0, loc), true
	case "in_a_week":
		return AddDays(today, 7), true
	case "in_a_month":
		return time.Date(today.Year(), today.Month()+1, today.Day(), 0, 0, 0, 0, loc), true
	case "end_of_month":
		return time.Date(today.Year(), today.Month()+1, 0, 0, 0, 0, 0, loc), true
	case "end_of_next_month":
		return time.Date(today.Year(), today.Month()+2, 0, 0, 0, 0, 0, loc), true
	case "end_of_week":
		// Friday of this week, or of the next one at the weekend.
		d := (int(time.Friday) - int(today.Weekday()) + 7) % 7
		if today.Weekday() == time.Saturday {
			d = 6
		}
		return AddDays(today, d), true
	case "end_of_year":
		return time.Date(today.Year(), 12, 31, 0, 0, 0, 0, loc), true
	}
	if wd, ok := weekday(s); ok {
		d := (int(wd) - int(today.Weekday()) + 7) % 7
		if d == 0 {
			d = 7
		}
		return AddDays(today, d), true
	}
	if t, ok := relative(s, today); ok {
		return t, true
	}
	if t, ok := dayAndMonth(s, today, loc); ok {
		return t, true
	}
	for _, layout := range []string{"2006-01-02", "02.01.2006", "2.1.2006", "02.01.06", "2006/01/02", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSuffix(strings.TrimSuffix(s, " г."), "г."), loc); err == nil {
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

// dayAndMonth reads "15 декември", "15 dec 2026", "december 15",
// "15-ти декември 2026 г.": without a year, the next such day.
func dayAndMonth(s string, today time.Time, loc *time.Location) (time.Time, bool) {
	f := strings.Fields(strings.NewReplacer(",", " ", "г.", "").Replace(s))
	if len(f) < 2 || len(f) > 3 {
		return time.Time{}, false
	}
	for i, w := range f {
		if w != "" && w[0] >= '0' && w[0] <= '9' {
			for _, suf := range vocab().ordinals {
				w = strings.TrimSuffix(w, suf)
			}
			f[i] = w
		}
	}
	dayWord, monthWord := f[0], f[1]
	if _, err := strconv.Atoi(dayWord); err != nil {
		dayWord, monthWord = f[1], f[0]
	}
	day, err := strconv.Atoi(dayWord)
	m, ok := vocab().months[strings.TrimSuffix(monthWord, ".")]
	if err != nil || !ok || day < 1 || day > 31 {
		return time.Time{}, false
	}
	year := today.Year()
	explicit := len(f) == 3
	if explicit {
		y, err := strconv.Atoi(f[2])
		if err != nil || y < 1900 || y > 9999 {
			return time.Time{}, false
		}
		year = y
	}
	d := time.Date(year, m, day, 0, 0, 0, 0, loc)
	if d.Day() != day {
		return time.Time{}, false // 31 February
	}
	if !explicit && d.Before(today) {
		d = time.Date(year+1, m, day, 0, 0, 0, 0, loc)
	}
	return d, true
}

// relative reads "+3d", "+2w", "+1m", "in 3 days", "след 3 дни".
func relative(s string, today time.Time) (time.Time, bool) {
	for _, p := range vocab().in {
		s = strings.TrimPrefix(s, p)
	}
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
	switch vocab().units[s[i:]] {
	case "d":
		return AddDays(today, n), true
	case "w":
		return AddDays(today, 7*n), true
	case "m":
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
