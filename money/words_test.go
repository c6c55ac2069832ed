package money

import "testing"

// TestMovedMoneyWords reads the multipliers and currency words the Go
// tables held before they moved to the translation files
// ("words.money.*").
func TestMovedMoneyWords(t *testing.T) {
	for in, want := range map[string]string{
		"12хиляди": "12000", "12 хил.": "12000", "12хил": "12000", "12 х.": "12000", "12х": "12000",
		"12k": "12000", "12K": "12000", "1,5 милиона": "1500000", "2 млн.": "2000000", "2млн": "2000000",
		"2m": "2000000", "2M": "2000000",
	} {
		d, err := Parse(in)
		if err != nil || d.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for in, want := range map[string]string{
		"12 евро": "EUR", "euro 12": "EUR", "12 лева": "BGN", "12 лв.": "BGN", "12 лев": "BGN", "лв 12": "BGN",
		"€12": "EUR", "$12": "USD", "12£": "GBP", "12 ЕВРО": "EUR",
	} {
		if _, cur, err := ParseWithCurrency(in); err != nil || cur != want {
			t.Errorf("ParseWithCurrency(%q) = %q, %v; want %s", in, cur, err, want)
		}
	}
	for in, want := range map[string]string{"лв.": "BGN", "евро": "EUR", "Euro": "EUR", "usd": "USD"} {
		if got, ok := ParseCurrency(in); !ok || got != want {
			t.Errorf("ParseCurrency(%q) = %q, %v", in, got, ok)
		}
	}
	if _, err := Parse("12Х"); err == nil {
		t.Error("a capital Cyrillic Х multiplies")
	}
}
