package money

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{"12500", "12500", nil},
		{"0", "0", nil},
		{"12 500", "12500", nil},
		{"12 500,50", "12500.5", nil},
		{"12\u00a0500,50", "12500.5", nil},
		{"12\u202f500,50", "12500.5", nil},
		{"12'500.50", "12500.5", nil},
		{"12,500.50", "12500.5", nil},
		{"12.500,50", "12500.5", nil},
		{"1,234,567.89", "1234567.89", nil},
		{"1.234.567,89", "1234567.89", nil},
		{"1 234 567,89", "1234567.89", nil},
		{"1.000.000", "1000000", nil},
		{"12,5", "12.5", nil},
		{"12.50", "12.5", nil},
		{"12,500", "12500", nil},
		{"1.500", "1500", nil},
		{"0,500", "0.5", nil},
		{"1.2345", "1.2345", nil},
		{"0.123456", "0.123456", nil},
		{"1.5k", "1500", nil},
		{"1,5K", "1500", nil},
		{"2,5 хил.", "2500", nil},
		{"3m", "3000000", nil},
		{"1,2 млн.", "1200000", nil},
		{" 42 ", "42", nil},
		{"1000000000000", "1000000000000", nil},
		{"1 000 000 000 000,00", "1000000000000", nil},

		{"12,5,0", "", ErrSyntax},
		{"1,00,000", "", ErrSyntax},
		{"12 50", "", ErrSyntax},
		{"12,500,5", "", ErrSyntax},
		{"12.500.50,5.5", "", ErrSyntax},
		{"1 000,000.5", "", ErrSyntax},
		{"", "", ErrSyntax},
		{"abc", "", ErrSyntax},
		{"1e6", "", ErrSyntax},
		{".5", "", ErrSyntax},
		{"5.", "", ErrSyntax},
		{"+5", "", ErrSyntax},
		{"0.1234567", "", ErrSyntax},
		{"12_500", "", ErrSyntax},
		{"1,2.3", "", ErrSyntax},
		{"-5", "", ErrNegative},
		{"-12 500,50", "", ErrNegative},
		{"−5", "", ErrNegative},
		{"1000000000000.01", "", ErrTooLarge},
		{"1001 млрд", "", ErrSyntax},
		{"2m m", "", ErrSyntax},
		{"1 000 001m", "", ErrTooLarge},
		{strings.Repeat("1", 100), "", ErrSyntax},
	} {
		got, err := Parse(tc.in)
		if !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q) error = %v, want %v", tc.in, err, tc.err)
			continue
		}
		if tc.err == nil && !got.Equal(dec(tc.want)) {
			t.Errorf("Parse(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseWithCurrency(t *testing.T) {
	for _, tc := range []struct{ in, want, cur string }{
		{"€12,500", "12500", "EUR"},
		{"12 500 лв.", "12500", "BGN"},
		{"12 500лв", "12500", "BGN"},
		{"USD 300", "300", "USD"},
		{"300usd", "300", "USD"},
		{"300 CHF", "300", "CHF"},
		{"1.5k", "1500", ""},
		{"1,5 хил. евро", "1500", "EUR"},
		{"2500", "2500", ""},
	} {
		got, cur, err := ParseWithCurrency(tc.in)
		if err != nil || !got.Equal(dec(tc.want)) || cur != tc.cur {
			t.Errorf("ParseWithCurrency(%q) = %s %q %v, want %s %q", tc.in, got, cur, err, tc.want, tc.cur)
		}
	}
	if _, _, err := ParseWithCurrency("€-5"); !errors.Is(err, ErrNegative) {
		t.Errorf("ParseWithCurrency(€-5) error = %v, want ErrNegative", err)
	}
}

func TestParseCurrency(t *testing.T) {
	for in, want := range map[string]string{"eur": "EUR", "€": "EUR", "лв.": "BGN", "Лева": "BGN", "usd": "USD", "chf": "CHF"} {
		if got, ok := ParseCurrency(in); !ok || got != want {
			t.Errorf("ParseCurrency(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "eu", "euro1", "12€", "лв1"} {
		if got, ok := ParseCurrency(in); ok {
			t.Errorf("ParseCurrency(%q) = %q, want refusal", in, got)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		amount, cur, lang, want string
	}{
		{"12500", "EUR", "en", "€12,500.00"},
		{"12500", "EUR", "bg", "12 500,00 €"},
		{"12500.5", "EUR", "en", "€12,500.50"},
		{"12500.5", "EUR", "bg", "12 500,50 €"},
		{"1234567.891", "USD", "en", "$1,234,567.89"},
		{"1234567.891", "USD", "bg", "1 234 567,89 $"},
		{"999.999", "GBP", "en", "£1,000.00"},
		{"0", "EUR", "en", "€0.00"},
		{"0.004", "EUR", "bg", "0,00 €"},
		{"100", "BGN", "bg", "100,00 лв."},
		{"100", "BGN", "en", "BGN 100.00"},
		{"1500", "CHF", "en", "CHF 1,500.00"},
		{"1500", "CHF", "bg", "1 500,00 CHF"},
		{"-1500.5", "EUR", "en", "-€1,500.50"},
		{"-1500.5", "EUR", "bg", "-1 500,50 €"},
		{"1000000000000", "EUR", "bg", "1 000 000 000 000,00 €"},
	} {
		if got := Format(dec(tc.amount), tc.cur, tc.lang); got != tc.want {
			t.Errorf("Format(%s, %s, %s) = %q, want %q", tc.amount, tc.cur, tc.lang, got, tc.want)
		}
	}
	// Bulgarian groups with plain spaces, never no-break ones.
	if got := Format(dec("12500"), "EUR", "bg"); strings.ContainsAny(got, "\u00a0\u202f") || got != "12"+" "+"500,00"+" "+"€" {
		t.Errorf("bg format uses other spaces: %q", got)
	}
}

// Rounding to the cent is half away from zero, and only for display: the
// value itself keeps every digit.
func TestRoundHalfAwayFromZero(t *testing.T) {
	for in, want := range map[string]string{
		"0.005": "0.01", "0.015": "0.02", "0.025": "0.03", "2.345": "2.35", "2.344999": "2.34",
		"-0.005": "-0.01", "-2.345": "-2.35", "1.995": "2", "10.125": "10.13",
	} {
		if got := Round(dec(in)); !got.Equal(dec(want)) {
			t.Errorf("Round(%s) = %s, want %s", in, got, want)
		}
	}
	d := dec("0.005")
	_ = Format(d, "EUR", "en")
	if !d.Equal(dec("0.005")) {
		t.Errorf("Format changed its argument to %s", d)
	}
	if got := Format(dec("0.005"), "EUR", "en"); got != "€0.01" {
		t.Errorf("Format(0.005) = %q, want €0.01", got)
	}
}

// Exact arithmetic: a thousand tenths are exactly one hundred, and a
// weighted sum keeps every digit until it is shown.
func TestArithmeticIsExact(t *testing.T) {
	var s Sums
	for i := 0; i < 1000; i++ {
		s.Add("EUR", dec("0.1"))
	}
	if got := s.Get("EUR"); !got.Equal(dec("100")) {
		t.Errorf("1000 × 0.1 = %s, want 100", got)
	}
	if got := Percent(dec("12345.67"), 25); !got.Equal(dec("3086.4175")) {
		t.Errorf("25%% of 12345.67 = %s, want 3086.4175", got)
	}
	if got := Format(Percent(dec("12345.67"), 25), "EUR", "en"); got != "€3,086.42" {
		t.Errorf("formatted weighted = %q", got)
	}
	// Three deals of 0.335 weigh 75 % each: sum first, round once.
	var w Sums
	for i := 0; i < 3; i++ {
		w.Add("EUR", Percent(dec("0.335"), 75))
	}
	if got := w.Get("EUR"); !got.Equal(dec("0.75375")) {
		t.Errorf("weighted sum = %s", got)
	}
	if got := w.Format("en", "EUR"); got != "€0.75" {
		t.Errorf("weighted sum shown as %q, want €0.75", got)
	}
}

func TestSumsNeverMixCurrencies(t *testing.T) {
	var s Sums
	s.Add("USD", dec("100"))
	s.Add("EUR", dec("12500"))
	s.Add("BGN", dec("300"))
	s.Add("EUR", dec("0.5"))
	if got := s.Get("EUR"); !got.Equal(dec("12500.5")) {
		t.Errorf("EUR = %s", got)
	}
	if got := s.Format("en", "EUR"); got != "€12,500.50, BGN 300.00, $100.00" {
		t.Errorf("en sums = %q", got)
	}
	if got := s.Format("bg", "USD"); got != "100,00 $, 300,00 лв., 12 500,50 €" {
		t.Errorf("bg sums = %q", got)
	}
	var o Sums
	o.AddSums(s)
	o.AddSums(s)
	if got := o.Get("USD"); !got.Equal(dec("200")) {
		t.Errorf("AddSums USD = %s", got)
	}
	var empty Sums
	if got := empty.Format("bg", "EUR"); got != "0,00 €" {
		t.Errorf("empty = %q", got)
	}
}

func TestSortKey(t *testing.T) {
	a, b, c := SortKey(dec("999.999999")), SortKey(dec("1000")), SortKey(dec("1000000000000"))
	if !(a < b && b < c) {
		t.Errorf("sort keys out of order: %d %d %d", a, b, c)
	}
	if SortKey(dec("-1")) != 0 || SortKey(dec("1e20")) != ^uint64(0) {
		t.Error("sort keys of out-of-range amounts")
	}
}

// What the bot writes, it reads back: every formatted amount parses to the
// rounded value, in both languages.
func TestFormatParseRoundTrip(t *testing.T) {
	for _, s := range []string{"0", "0.01", "1", "999.99", "1000", "12500.5", "1234567.89", "1000000000000"} {
		for _, lang := range []string{"en", "bg"} {
			txt := FormatNumber(dec(s), lang)
			got, err := Parse(txt)
			if err != nil || !got.Equal(dec(s)) {
				t.Errorf("Parse(FormatNumber(%s, %s) = %q) = %s, %v", s, lang, txt, got, err)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"12500", "12 500,50", "12,500.50", "1.5k", "12,5,0", "-5", "1e6", "1 000 000 000 000", "2,5 хил.", "0,500", "€12", "\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrNegative) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Parse(%q): unexpected error %v", s, err)
			}
			return
		}
		if d.Sign() < 0 || d.GreaterThan(Max()) {
			t.Fatalf("Parse(%q) = %s: out of range", s, d)
		}
		if -d.Exponent() > MaxDecimals && !d.Equal(d.Round(MaxDecimals)) {
			t.Fatalf("Parse(%q) = %s: too many decimals", s, d)
		}
		// What is shown reads back as the shown (rounded) value.
		for _, lang := range []string{"en", "bg"} {
			back, err := Parse(FormatNumber(d, lang))
			if err != nil || !back.Equal(Round(d)) {
				t.Fatalf("round trip of %q via %s: %q → %s, %v", s, lang, FormatNumber(d, lang), back, err)
			}
		}
		_, _, _ = ParseWithCurrency(s)
	})
}
