// Package money reads the amounts people type and writes amounts the way
// each language expects, on exact decimals (github.com/shopspring/decimal):
// no floating point anywhere, so every sum is right to the cent.
//
// Reading (Parse) accepts what people write in English and Bulgarian:
//
//	12500            plain digits
//	12 500,50        groups of three split by spaces (also no-break and thin
//	12'500.50        spaces, or an apostrophe), a comma or a point for cents
//	12,500.50        both marks: the last one is the decimal mark
//	12.500,50
//	12,5  12.50      one mark followed by one, two or four to six digits:
//	                 the decimal mark
//	12,500  1.500    one mark followed by exactly three digits after a group
//	                 of one to three digits (not "0"): thousands, since prices
//	                 are rarely written to a tenth of a cent ("1.2345" still
//	                 reads as a decimal)
//	1.5k  2,5 хил.   k/K/хил./х. multiply by a thousand, m/M/млн. by a
//	3m   1,2 млн.    million
//
// and refuses everything else: misplaced groups ("12,5,0", "1,00,000"), a
// sign ("-5", "+5"), exponents ("1e6"), more than six decimals, and amounts
// over 10^12. Zero is allowed (an amount not known yet).
//
// Writing (Format) rounds half away from zero to the cent, only for
// display; the stored value keeps every digit. English puts the symbol
// first ("€12,500.00"); Bulgarian groups with plain spaces and puts the
// symbol last ("12 500,00 €"). Plain spaces (U+0020) are used throughout,
// never no-break spaces, so that what the bot writes can be typed back and
// searched for as seen.
package money

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"accountbot/i18n"

	"github.com/shopspring/decimal"
)

// Max returns the largest amount accepted: 10^12.
func Max() decimal.Decimal { return decimal.New(1, 12) }

// MaxDecimals is the most digits accepted after the decimal mark.
const MaxDecimals = 6

// Errors of Parse. Callers map them to a message with an example.
var (
	ErrSyntax   = errors.New("money: not an amount")
	ErrNegative = errors.New("money: negative amount")
	ErrTooLarge = errors.New("money: amount over 10^12")
)

// maxInput is the longest text Parse reads; longer text is no amount.
const maxInput = 64

// affix is a typed suffix (or prefix) and what it stands for.
type affix struct {
	text string
	exp  int32  // a multiplier's power of ten
	code string // a currency's ISO code
}

// words are the multipliers and currency words of the translation files
// ("words.money.*"), read once, each list longest first so that "хил." is
// tried before "х" and "лв." before "лв". The multipliers' Latin letters
// count in either case ("12k", "12K").
var words = sync.OnceValue(func() (w struct{ multipliers, currencies []affix }) {
	cat, err := i18n.Default()
	if err != nil {
		cat = nil // the i18n tests keep the files loading
	}
	for name, exp := range map[string]int32{"thousand": 3, "million": 6} {
		for _, f := range cat.Words(i18n.WordsPrefix + "money.multiplier." + name) {
			w.multipliers = append(w.multipliers, affix{text: f, exp: exp})
			if up := strings.ToUpper(f); up != f && isLetters(f) {
				w.multipliers = append(w.multipliers, affix{text: up, exp: exp})
			}
		}
	}
	for _, code := range []string{"EUR", "BGN"} {
		for _, f := range cat.Words(i18n.WordsPrefix + "money.currency." + strings.ToLower(code)) {
			w.currencies = append(w.currencies, affix{text: f, code: code})
		}
	}
	w.currencies = append(w.currencies, []affix{{text: "€", code: "EUR"}, {text: "$", code: "USD"}, {text: "£", code: "GBP"}}...)
	longestFirst := func(xs []affix) {
		sort.SliceStable(xs, func(i, j int) bool { return len(xs[i].text) > len(xs[j].text) })
	}
	longestFirst(w.multipliers)
	longestFirst(w.currencies)
	return w
})

// Parse reads a typed, non-negative amount (see the package comment for
// what it accepts).
func Parse(s string) (decimal.Decimal, error) {
	if len(s) > maxInput || !utf8.ValidString(s) {
		return decimal.Decimal{}, ErrSyntax
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "−") {
		if _, err := Parse(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "−")); err == nil {
			return decimal.Decimal{}, ErrNegative
		}
		return decimal.Decimal{}, ErrSyntax
	}
	var exp int32
	for _, m := range words().multipliers {
		if strings.HasSuffix(s, m.text) {
			s = strings.TrimSpace(strings.TrimSuffix(s, m.text))
			exp = m.exp
			break
		}
	}
	digits, err := normalize(s)
	if err != nil {
		return decimal.Decimal{}, err
	}
	d, err := decimal.NewFromString(digits)
	if err != nil {
		return decimal.Decimal{}, ErrSyntax
	}
	d = d.Shift(exp)
	if d.GreaterThan(Max()) {
		return decimal.Decimal{}, ErrTooLarge
	}
	return d, nil
}

// normalize turns a typed number into plain "digits[.digits]" or reports
// why it cannot.
func normalize(s string) (string, error) {
	if s == "" {
		return "", ErrSyntax
	}
	// Group separators that can never be a decimal mark become '_'.
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',':
			b.WriteRune(r)
		case r == ' ', r == '\u00a0', r == '\u202f', r == '\u2009', r == '\'', r == '’':
			b.WriteByte('_')
		default:
			return "", ErrSyntax
		}
	}
	s = b.String()
	if s[0] < '0' || s[0] > '9' || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return "", ErrSyntax
	}
	lastComma, lastPoint := strings.LastIndexByte(s, ','), strings.LastIndexByte(s, '.')
	commas, points := strings.Count(s, ","), strings.Count(s, ".")
	spaced := strings.Contains(s, "_")
	intPart, frac := s, ""
	switch {
	case commas > 0 && points > 0:
		dec := lastComma
		group := byte('.')
		if lastPoint > lastComma {
			dec, group = lastPoint, ','
		}
		intPart, frac = s[:dec], s[dec+1:]
		if strings.IndexByte(intPart, s[dec]) >= 0 || strings.IndexByte(frac, group) >= 0 {
			return "", ErrSyntax
		}
		if spaced {
			return "", ErrSyntax // one kind of group mark per number
		}
		intPart = strings.ReplaceAll(intPart, string(group), "_")
	case commas+points > 1:
		// The same mark more than once: thousands, unless spaces group.
		mark := ","
		if points > 0 {
			mark = "."
		}
		if spaced {
			return "", ErrSyntax
		}
		intPart = strings.ReplaceAll(s, mark, "_")
	case commas+points == 1:
		dec := lastComma
		if points == 1 {
			dec = lastPoint
		}
		head, tail := s[:dec], s[dec+1:]
		if !spaced && len(tail) == 3 && isGroupHead(head) {
			intPart = head + "_" + tail
		} else {
			intPart, frac = head, tail
		}
	}
	if len(frac) > MaxDecimals || strings.Trim(frac, "0123456789") != "" {
		return "", ErrSyntax
	}
	if err := checkGroups(intPart); err != nil {
		return "", err
	}
	out := strings.ReplaceAll(intPart, "_", "")
	if frac != "" {
		out += "." + frac
	}
	return out, nil
}

// isGroupHead reports whether s can lead a number grouped in thousands:
// one to three digits, not starting with 0.
func isGroupHead(s string) bool {
	if len(s) == 0 || len(s) > 3 || s[0] == '0' {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

// checkGroups checks an integer part whose groups are split by '_': the
// first group has one to three digits, every other exactly three.
func checkGroups(s string) error {
	groups := strings.Split(s, "_")
	if len(groups) == 1 {
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return ErrSyntax
		}
		return nil
	}
	if !isGroupHead(groups[0]) {
		return ErrSyntax
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || strings.Trim(g, "0123456789") != "" {
			return ErrSyntax
		}
	}
	return nil
}

// symbols maps currency codes to the symbols people know; other codes are
// written as the code.
var symbols = map[string]string{
	"EUR": "€",
	"USD": "$",
	"GBP": "£",
	"BGN": "лв.",
}

// ParseCurrency reads a currency code ("usd"), symbol ("€") or word
// ("лв.", "евро") and returns the upper-case ISO code.
func ParseCurrency(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, x := range words().currencies {
		if strings.EqualFold(s, x.text) {
			return x.code, true
		}
	}
	if len(s) != 3 || !isLetters(s) {
		return "", false
	}
	return strings.ToUpper(s), true
}

// ParseWithCurrency reads an amount that may carry a currency symbol, word
// or three-letter code before or after the number ("€12,500", "12 500 лв.",
// "USD 300", "300usd"). The currency is "" when none is written.
func ParseWithCurrency(s string) (decimal.Decimal, string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxInput {
		return decimal.Decimal{}, "", ErrSyntax
	}
	for _, x := range words().currencies {
		n := len(x.text)
		if len(s) > n && strings.EqualFold(s[:n], x.text) {
			d, err := Parse(s[n:])
			return d, x.code, err
		}
		if len(s) > n && strings.EqualFold(s[len(s)-n:], x.text) {
			d, err := Parse(s[:len(s)-n])
			return d, x.code, err
		}
	}
	if len(s) > 3 && isLetters(s[:3]) && !isLetters(s[3:4]) {
		d, err := Parse(s[3:])
		return d, strings.ToUpper(s[:3]), err
	}
	if len(s) > 3 && isLetters(s[len(s)-3:]) && !isLetters(s[len(s)-4:len(s)-3]) {
		if _, err := Parse(s); err != nil { // "1.5k" is no code "5k"
			d, err := Parse(s[:len(s)-3])
			return d, strings.ToUpper(s[len(s)-3:]), err
		}
	}
	d, err := Parse(s)
	return d, "", err
}

func isLetters(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Round rounds d half away from zero to the cent.
func Round(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// Symbol returns the symbol of a currency code, or the code itself.
func Symbol(currency string) string {
	if s, ok := symbols[currency]; ok {
		return s
	}
	return currency
}

// Format writes d in currency for lang ("en" or "bg"), rounded to the cent:
// "€12,500.00" and "12 500,00 €". Currencies without a known symbol are
// written with their code: "CHF 12,500.00", "12 500,00 CHF".
func Format(d decimal.Decimal, currency, lang string) string {
	num := FormatNumber(d, lang)
	neg := strings.HasPrefix(num, "-")
	num = strings.TrimPrefix(num, "-")
	sign := ""
	if neg {
		sign = "-"
	}
	sym, known := symbols[currency]
	if lang == "bg" {
		if !known {
			sym = currency
		}
		return sign + num + " " + sym
	}
	if !known || currency == "BGN" {
		return sign + currency + " " + num
	}
	return sign + sym + num
}

// FormatNumber writes d rounded to the cent with the language's marks:
// "12,500.00" in English, "12 500,00" in Bulgarian.
func FormatNumber(d decimal.Decimal, lang string) string {
	group, dec := ",", "."
	if lang == "bg" {
		group, dec = " ", ","
	}
	s := Round(d).StringFixed(2)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg && (intPart != "0" || strings.Trim(frac, "0") != "") {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	b.WriteString(dec)
	b.WriteString(frac)
	return b.String()
}

// Percent returns d × pct / 100, exactly.
func Percent(d decimal.Decimal, pct int) decimal.Decimal {
	return d.Mul(decimal.NewFromInt(int64(pct))).Shift(-2)
}

// SortKey returns d as a non-negative integer number of millionths, capped,
// for keys that sort by amount. Amounts beyond the accepted range sort last.
func SortKey(d decimal.Decimal) uint64 {
	if d.Sign() <= 0 {
		return 0
	}
	v := d.Shift(MaxDecimals).Truncate(0).BigInt()
	if !v.IsUint64() {
		return ^uint64(0)
	}
	return v.Uint64()
}

// Sums keeps one sum per currency and never adds different currencies
// together. The zero value is ready to use.
type Sums struct {
	m map[string]decimal.Decimal
}

// Add adds d to the sum of currency.
func (s *Sums) Add(currency string, d decimal.Decimal) {
	if s.m == nil {
		s.m = map[string]decimal.Decimal{}
	}
	s.m[currency] = s.m[currency].Add(d)
}

// AddSums adds every currency's sum of o.
func (s *Sums) AddSums(o Sums) {
	for c, d := range o.m {
		s.Add(c, d)
	}
}

// Get returns the sum of currency (zero when none).
func (s Sums) Get(currency string) decimal.Decimal { return s.m[currency] }

// Empty reports whether no currency was added.
func (s Sums) Empty() bool { return len(s.m) == 0 }

// Currencies returns the currencies summed, first the one named (when
// present), then the others alphabetically.
func (s Sums) Currencies(first string) []string {
	out := make([]string, 0, len(s.m))
	for c := range s.m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == first) != (out[j] == first) {
			return out[i] == first
		}
		return out[i] < out[j]
	})
	return out
}

// Format writes every currency's sum for lang, the currency first named
// first, separated by ", ". An empty Sums is written as zero in first.
func (s Sums) Format(lang, first string) string {
	if s.Empty() {
		return Format(decimal.Zero, first, lang)
	}
	var parts []string
	for _, c := range s.Currencies(first) {
		parts = append(parts, Format(s.m[c], c, lang))
	}
	return strings.Join(parts, ", ")
}
