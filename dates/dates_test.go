package dates

import (
	"strconv"
	"testing"
	"time"

	"accountbot/i18n"
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
		{"в петък", day(2026, 11, 27)},
		{"on Friday", day(2026, 11, 27)},
		{"следващия понеделник", day(2026, 11, 30)},
		{"във вторник", day(2026, 12, 1)},
		{"15 декември", day(2026, 12, 15)},
		{"до 15 декември", day(2026, 12, 15)},
		{"15 дек. 2027", day(2027, 12, 15)},
		{"December 15", day(2026, 12, 15)},
		{"3rd august", day(2027, 8, 3)},
		{"1 ноември", day(2027, 11, 1)},
		{"края на месеца", day(2026, 11, 30)},
		{"end of month", day(2026, 11, 30)},
		{"края на седмицата", day(2026, 11, 27)},
		{"края на годината", day(2026, 12, 31)},
		{"след 3 дни", day(2026, 11, 29)},
		{"in 2 weeks", day(2026, 12, 10)},
		{"след седмица", day(2026, 12, 3)},
		{"31.12.2026 г.", day(2026, 12, 31)},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in, now, sofia)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "someday", "31.13.2026", "2026-02-30", "+d", "+99999d", "31 февруари", "15 sofia", "в София"} {
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

func TestParseFromCountsWeekdaysFromTheStart(t *testing.T) {
	utc := time.UTC
	// Tuesday 1 December 2026.
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, utc)
	from, _ := Parse("monday", now, utc)
	to, ok := ParseFrom("friday", from, now, utc)
	if !ok || !from.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, utc)) || !to.Equal(time.Date(2026, 12, 11, 0, 0, 0, 0, utc)) {
		t.Errorf("monday..friday on a Tuesday = %v..%v", from, to)
	}
	if to, _ := ParseFrom("31.12.2026", from, now, utc); to.Day() != 31 {
		t.Errorf("an absolute end moved: %v", to)
	}
}

func TestCutTail(t *testing.T) {
	utc := time.UTC
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, utc)
	for _, tc := range []struct {
		in, rest string
		day      int
	}{
		{"обаждане утре", "обаждане", 27},
		{"изпращам офертата в петък", "изпращам офертата", 27},
		{"send the offer by 15 december", "send the offer", 15},
		{"демо края на месеца", "демо", 30},
	} {
		rest, d, ok := CutTail(tc.in, now, utc)
		if !ok || rest != tc.rest || d.Day() != tc.day {
			t.Errorf("CutTail(%q) = %q, %v, %v", tc.in, rest, d, ok)
		}
	}
	if _, _, ok := CutTail("call 2", now, utc); ok {
		t.Error("a bare number taken for a date")
	}
	if !IsDate("следващата седмица") || IsDate("следващата") || !IsDate("29.02") {
		t.Error("IsDate")
	}
}

// TestMovedDateWords reads every date word the Go tables accepted before
// the words moved to the translation files, and expects the same dates.
func TestMovedDateWords(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) // a Thursday
	for w, day := range movedWeekdays {
		d, ok := Parse(w, now, time.UTC)
		if !ok || d.Weekday().String() != day || !d.After(now) {
			t.Errorf("%q: %v %v, want the next %s", w, d, ok, day)
		}
	}
	for w, month := range movedMonths {
		d, ok := Parse("15 "+w, now, time.UTC)
		if !ok || d.Month().String() != month || d.Day() != 15 {
			t.Errorf("15 %q: %v %v, want 15 %s", w, d, ok, month)
		}
	}
	for _, forms := range movedPhrases {
		want, ok := Parse(forms[0], now, time.UTC)
		if !ok {
			t.Errorf("%q is no date", forms[0])
		}
		for _, w := range forms[1:] {
			if d, ok := Parse(w, now, time.UTC); !ok || !d.Equal(want) {
				t.Errorf("%q: %v %v, want %v as %q", w, d, ok, want, forms[0])
			}
		}
	}
	friday, _ := Parse("friday", now, time.UTC)
	for _, p := range movedPrepositions {
		if d, ok := Parse(p+"friday", now, time.UTC); !ok || !d.Equal(friday) {
			t.Errorf("%q: %v %v", p+"friday", d, ok)
		}
	}
	for _, n := range movedNext {
		if wd, ok := weekday(n + "петък"); !ok || wd != time.Friday {
			t.Errorf("%q: %v %v", n+"петък", wd, ok)
		}
	}
}

// TestDateWordsInEveryLanguage fails when a date word built at run time
// ("words.date.month." + N …) is missing from a language.
func TestDateWordsInEveryLanguage(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, d := range weekdayKeys {
		keys = append(keys, "date.weekday."+d)
	}
	for m := 1; m <= 12; m++ {
		keys = append(keys, "date.month."+strconv.Itoa(m))
	}
	for _, p := range Phrases {
		keys = append(keys, "date.phrase."+p)
	}
	keys = append(keys, "date.unit.d", "date.unit.w", "date.unit.m", "list.date_prepositions", "list.date_next",
		"list.date_in", "list.date_ordinal", "list.date_lead")
	for _, k := range keys {
		for _, lang := range i18n.Languages {
			if len(cat.WordsIn(lang, i18n.WordsPrefix+k)) == 0 {
				t.Errorf("%s has no %s words", k, lang)
			}
		}
	}
}
