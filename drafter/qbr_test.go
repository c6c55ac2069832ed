package drafter

import (
	"path/filepath"
	"strings"
	"testing"

	"accountbot/crm"
	"accountbot/internal/golden"
)

// qbrFull returns a period with something of every kind, phrased in lang
// as the handler phrases it.
func qbrFull(lang string) *crm.QBRFacts {
	f := &crm.QBRFacts{Lang: lang, Today: today, Sender: "Maria Petrova", Client: "Acme Pumps", From: days(-33), To: today, Period: "Q2 2026",
		Talks: 4, Channels: []string{"3 calls", "1 meeting"},
		Latest: []crm.FactConversation{{At: days(-3), Channels: []string{"meeting"}, Text: "They want 5% off"}, {At: days(-10), Channels: []string{"call"}, Text: "Asked for a quote"}},
		Won:    2, WonSum: "€24,000.00", Lost: 1, Open: 1, OpenSum: "€8,000.00",
		Deals:     []crm.FactDeal{{ID: "D-7", Title: "20 pumps", Stage: "negotiation", Amount: "€8,000.00"}},
		ClaimsNew: 2, ClaimsResolved: 1, Claims: []crm.FactClaim{{ID: "C-12", Text: "pumps came late", Status: "acknowledged"}},
		PromisesKept: 2, PromisesBroken: 1, PromisesOpen: []crm.FactStep{{ID: "P-3", Text: "free service visit", Due: days(10)}},
		Health: 58, Band: "at risk", Trend: "↓ −20 in 30 days", Reasons: []string{"−35: no talk for 64 days, plan says every 14"},
		Satisfaction: "CSAT 4/5 (2026-04-20)", Renewal: "R-1 · 2026-09-30 · €12,000.00 — in 149 days", RenewalRef: "R-1"}
	if lang == "bg" {
		f.Channels, f.Band, f.Reasons = []string{"3 обаждания", "1 среща"}, "в риск", []string{"−35: без разговор от 64 дни, по план на всеки 14"}
		f.Deals[0].Stage = "преговори"
		f.Claims[0].Status = "потвърдена"
	}
	return f
}

// TestQBRGolden: the offline brief for a full period and an empty one, in
// both languages.
func TestQBRGolden(t *testing.T) {
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "bg"} {
		for name, f := range map[string]*crm.QBRFacts{
			"qbr_full":  qbrFull(lang),
			"qbr_empty": {Lang: lang, Today: today, Sender: "M", Client: "Beta", From: days(-89), To: today, Period: "90 days", Health: 100, Band: "healthy"},
		} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				text, err := d.QBR(f)
				if err != nil {
					t.Fatal(err)
				}
				for _, bad := range []string{"<no value>", "{{", "%!"} {
					if strings.Contains(text, bad) {
						t.Errorf("brief contains %q:\n%s", bad, text)
					}
				}
				golden.Check(t, filepath.Join("testdata", name+"."+lang+".golden"), text+"\n")
			})
		}
	}
}
