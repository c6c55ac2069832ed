package planning

import (
	"accountbot/crm"
	"accountbot/money"

	"github.com/shopspring/decimal"
)

// amounts are sums of money by currency, kept as a map so that groups of
// /segments can be made and added to cheaply.
type amounts map[string]decimal.Decimal

func (a amounts) add(currency string, d decimal.Decimal) {
	a[currency] = a[currency].Add(d)
}

// get returns the sum in one currency.
func (a amounts) get(currency string) decimal.Decimal { return a[currency] }

// text writes the non-zero sums, the first currency first, "—" when there
// are none.
func (a amounts) text(lang, first string) string {
	var s money.Sums
	for c, v := range a {
		if !v.IsZero() {
			s.Add(c, v)
		}
	}
	if s.Empty() {
		return "—"
	}
	return s.Format(lang, first)
}

// fmtMoney writes an amount rounded to the cent in the language's way.
func fmtMoney(d decimal.Decimal, currency, lang string) string {
	return money.Format(d, currency, lang)
}

// parseMoney reads an amount typed with an optional currency ("5000",
// "5 000,50 лв", "EUR 5000"); without one it is in defaultCurrency.
func parseMoney(s, defaultCurrency string) (decimal.Decimal, string, error) {
	d, cur, err := money.ParseWithCurrency(s)
	if err != nil || d.GreaterThan(money.Max()) {
		return decimal.Decimal{}, "", crm.Errorf(crm.EINVALID, "campaign.bad_budget", "value", s)
	}
	if cur == "" {
		cur = defaultCurrency
	}
	return d, cur, nil
}
