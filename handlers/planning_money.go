package handlers

import (
	"sort"
	"strings"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

// amounts are sums of money by currency.
type amounts map[string]decimal.Decimal

func (a amounts) add(currency string, d decimal.Decimal) {
	a[currency] = a[currency].Add(d)
}

// get returns the sum in one currency.
func (a amounts) get(currency string) decimal.Decimal { return a[currency] }

// text writes the sums, the first currency first and the others by code,
// "—" when there are none.
func (a amounts) text(lang, first string) string {
	var cs []string
	for c, v := range a {
		if !v.IsZero() {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return "—"
	}
	sort.Slice(cs, func(i, j int) bool {
		if (cs[i] == first) != (cs[j] == first) {
			return cs[i] == first
		}
		return cs[i] < cs[j]
	})
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmtMoney(a[c], c, lang)
	}
	return strings.Join(parts, " + ")
}

// fmtMoney writes an amount rounded to the cent (half away from zero),
// with thin groups of thousands and the language's decimal mark.
func fmtMoney(d decimal.Decimal, currency, lang string) string {
	s := d.Round(2).StringFixed(2)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	mark := "."
	if lang == "bg" {
		mark = ","
	}
	out := b.String() + mark + frac
	if neg {
		out = "-" + out
	}
	return out + " " + currency
}

// parseMoney reads an amount typed with an optional currency code:
// "5000", "5 000,50", "5000 EUR", "1.500,00 лв".
func parseMoney(s, defaultCurrency string) (decimal.Decimal, string, error) {
	f := strings.Fields(strings.TrimSpace(s))
	cur := defaultCurrency
	if n := len(f); n >= 2 && !strings.ContainsAny(f[n-1], "0123456789") {
		cur = strings.ToUpper(f[n-1])
		switch strings.ToLower(f[n-1]) {
		case "лв", "лв.", "bgn", "лева":
			cur = "BGN"
		case "€", "евро":
			cur = "EUR"
		case "$":
			cur = "USD"
		}
		f = f[:n-1]
	}
	num := strings.Join(f, "")
	// The last mark with three digits after it groups thousands ("5.000",
	// "5,000"); with fewer it is the decimal mark ("1.500,50"). Marks
	// before the last group thousands.
	if i := strings.LastIndexAny(num, ".,"); i >= 0 {
		intPart := strings.NewReplacer(".", "", ",", "").Replace(num[:i])
		fracPart := num[i+1:]
		if len(fracPart) == 3 {
			num = intPart + fracPart
		} else {
			num = intPart + "." + fracPart
		}
	}
	d, err := decimal.NewFromString(num)
	if err != nil || d.IsNegative() || len(cur) != 3 {
		return decimal.Decimal{}, "", crm.Errorf(crm.EINVALID, "campaign.bad_budget", "value", s)
	}
	return d, cur, nil
}
