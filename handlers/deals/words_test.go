package deals

import (
	"testing"

	"accountbot/internal/chattest"
)

// movedDealWords are every form the Go word tables accepted for stages
// and deal keys before the words moved to the translation files, and
// what each meant.
var movedDealWords = map[string][][2]string{
	"stage": {
		{"lead", "lead"}, {"new", "lead"}, {"потенциална", "lead"}, {"потенциален", "lead"},
		{"лийд", "lead"}, {"нова", "lead"}, {"интерес", "lead"}, {"qualified", "qualified"},
		{"qualify", "qualified"}, {"квалифицирана", "qualified"}, {"квалифициран", "qualified"},
		{"proposal", "proposal"}, {"offer", "proposal"}, {"quote", "proposal"}, {"оферта", "proposal"},
		{"предложение", "proposal"}, {"negotiation", "negotiation"}, {"negotiating", "negotiation"},
		{"преговори", "negotiation"}, {"договаряне", "negotiation"}, {"won", "won"}, {"win", "won"},
		{"спечелена", "won"}, {"спечелени", "won"}, {"печелим", "won"}, {"lost", "lost"}, {"lose", "lost"},
		{"загубена", "lost"}, {"загубени", "lost"},
	},
	"dealKey": {
		{"amount", "amount"}, {"sum", "amount"}, {"value", "amount"}, {"сума", "amount"},
		{"стойност", "amount"}, {"currency", "currency"}, {"cur", "currency"}, {"валута", "currency"},
		{"stage", "stage"}, {"етап", "stage"}, {"фаза", "stage"}, {"close", "close"}, {"closing", "close"},
		{"date", "close"}, {"затваряне", "close"}, {"приключване", "close"}, {"срок", "close"},
		{"дата", "close"}, {"competitor", "competitor"}, {"конкурент", "competitor"},
		{"probability", "probability"}, {"prob", "probability"}, {"chance", "probability"},
		{"вероятност", "probability"}, {"шанс", "probability"}, {"title", "title"}, {"заглавие", "title"},
		{"име", "title"}, {"owner", "owner"}, {"собственик", "owner"}, {"отговорник", "owner"},
		{"reason", "reason"}, {"причина", "reason"},
	},
}

// TestMovedDealWords expects the same meaning from the tables the family
// reads from the translation files, and no stage for words that are not
// one.
func TestMovedDealWords(t *testing.T) {
	w := chattest.Words(t, newWords)
	chattest.MeanTheSame(t, map[string]chattest.Lookup{
		"stage":   func(s string) (string, bool) { st, ok := w.stage(s); return string(st), ok },
		"dealKey": chattest.Table(w.keys),
	}, movedDealWords)
	for _, s := range []string{"maybe", "", "-"} {
		if _, ok := w.stage(s); ok {
			t.Errorf("%q is a stage", s)
		}
	}
}
