package planning

import (
	"strings"
	"testing"

	"accountbot/crm"
	"accountbot/internal/chattest"
)

// movedWords are the forms the Go word tables of planning accepted before
// the words moved to the translation files, and what they meant
// (handlers/moved_words_test.go has the others').
var movedWords = map[string][][2]string{
	"aspect": {
		{"price", "price"}, {"prices", "price"}, {"pricing", "price"}, {"цена", "price"},
		{"цени", "price"}, {"discount", "discount"}, {"discounts", "discount"}, {"rebate", "discount"},
		{"отстъпка", "discount"}, {"отстъпки", "discount"}, {"terms", "terms"}, {"payment", "terms"},
		{"conditions", "terms"}, {"условия", "terms"}, {"срокове", "terms"}, {"плащане", "terms"},
		{"service", "service"}, {"support", "service"}, {"обслужване", "service"}, {"сервиз", "service"},
		{"поддръжка", "service"}, {"product", "product"}, {"products", "product"}, {"range", "product"},
		{"продукт", "product"}, {"продукти", "product"}, {"асортимент", "product"}, {"general", "general"},
		{"other", "general"}, {"общо", "general"}, {"друго", "general"},
	},
	"campaignKind": {
		{"email", "email"}, {"mail", "email"}, {"newsletter", "email"}, {"имейл", "email"},
		{"бюлетин", "email"}, {"писмо", "email"}, {"fair", "fair"}, {"trade-fair", "fair"},
		{"панаир", "fair"}, {"exhibition", "exhibition"}, {"expo", "exhibition"}, {"show", "exhibition"},
		{"изложба", "exhibition"}, {"изложение", "exhibition"}, {"presentation", "presentation"},
		{"demo", "presentation"}, {"webinar", "presentation"}, {"презентация", "presentation"},
		{"уебинар", "presentation"}, {"демонстрация", "presentation"}, {"other", "other"},
		{"друго", "other"}, {"друга", "other"},
	},
	"planNoteKind": {
		{"goal", "goal"}, {"goals", "goal"}, {"objective", "goal"}, {"цел", "goal"}, {"цели", "goal"},
		{"risk", "risk"}, {"risks", "risk"}, {"риск", "risk"}, {"рискове", "risk"}, {"person", "person"},
		{"people", "person"}, {"key", "person"}, {"contact", "person"}, {"лице", "person"},
		{"човек", "person"}, {"хора", "person"}, {"ключов", "person"}, {"ключово", "person"},
	},
	"segmentBy": {
		{"segment", "segment"}, {"сегмент", "segment"}, {"industry", "industry"}, {"отрасъл", "industry"},
		{"индустрия", "industry"}, {"need", "need"}, {"needs", "need"}, {"нужда", "need"},
		{"нужди", "need"}, {"level", "level"}, {"ниво", "level"}, {"city", "city"}, {"град", "city"},
		{"size", "size"}, {"размер", "size"}, {"focus", "focus"}, {"фокус", "focus"}, {"source", "source"},
		{"източник", "source"},
	},
	"factor": {
		{"payment", "payment"}, {"payments", "payment"}, {"плащания", "payment"}, {"плащане", "payment"},
		{"claims", "claims"}, {"claim", "claims"}, {"рекламации", "claims"}, {"рекламация", "claims"},
		{"promises", "promises"}, {"promise", "promises"}, {"обещания", "promises"},
		{"ангажименти", "promises"}, {"deals", "deals"}, {"deal", "deals"}, {"сделки", "deals"},
		{"tenure", "tenure"}, {"length", "tenure"}, {"relationship", "tenure"}, {"стаж", "tenure"},
		{"продължителност", "tenure"}, {"давност", "tenure"}, {"record", "record"}, {"data", "record"},
		{"досие", "record"}, {"запис", "record"}, {"данни", "record"}, {"rating", "rating"},
		{"рейтинг", "rating"},
	},
	"promiseKey": {
		{"contract", "contract"}, {"ref", "contract"}, {"договор", "contract"}, {"контракт", "contract"},
		{"from", "from"}, {"от", "from"}, {"страна", "from"},
	},
	"competitorKey": {
		{"aspect", "aspect"}, {"about", "aspect"}, {"type", "aspect"}, {"аспект", "aspect"},
		{"относно", "aspect"}, {"тема", "aspect"}, {"вид", "aspect"}, {"client", "client"},
		{"source", "client"}, {"from", "client"}, {"клиент", "client"}, {"източник", "client"},
		{"от", "client"},
	},
	"campaignKey": {
		{"kind", "kind"}, {"type", "kind"}, {"вид", "kind"}, {"тип", "kind"}, {"date", "date"},
		{"on", "date"}, {"дата", "date"}, {"на", "date"}, {"city", "city"}, {"budget", "budget"},
		{"cost", "budget"}, {"бюджет", "budget"}, {"цена", "budget"}, {"разход", "budget"},
		{"currency", "currency"}, {"валута", "currency"},
	},
}

// TestMovedWordsStillMeanTheSame reads every form the Go word tables
// accepted before the words moved to the translation files, and expects
// the same meaning from the tables Register builds out of them.
func TestMovedWordsStillMeanTheSame(t *testing.T) {
	w := chattest.Words(t, newWords)
	chattest.MeanTheSame(t, map[string]chattest.Lookup{
		"aspect":        chattest.Table(w.aspects),
		"campaignKind":  chattest.Table(w.campaignKinds),
		"planNoteKind":  func(k string) (string, bool) { v, ok := w.planNoteKinds[k]; return string(v), ok },
		"segmentBy":     chattest.Table(w.segmentBy),
		"factor":        chattest.Table(w.factors),
		"promiseKey":    chattest.Table(w.promiseKeys),
		"competitorKey": chattest.Table(w.competitorKeys),
		"campaignKey":   chattest.Table(w.campaignKeys),
	}, movedWords)
}

// TestCadenceWords reads the cadences of /plan with the translation
// files' words.
func TestCadenceWords(t *testing.T) {
	w := chattest.Words(t, newWords)
	for _, tt := range []struct {
		in   string
		want crm.Cadence
		used int
	}{
		{"monthly #visit", crm.Cadence{Months: 1}, 1},
		{"every 2w #call", crm.Cadence{Days: 14}, 2},
		{"every 10 days until friday", crm.Cadence{Days: 10}, 3},
		{"each week", crm.Cadence{Days: 7}, 2},
		{"fortnightly", crm.Cadence{Days: 14}, 1},
		{"annually", crm.Cadence{Months: 12}, 1},
		{"every 2 quarters", crm.Cadence{Months: 6}, 3},
		{"всеки 2 седмици #обаждане", crm.Cadence{Days: 14}, 3},
		{"на всеки 10 дни", crm.Cadence{Days: 10}, 4},
		{"всяко тримесечие", crm.Cadence{Months: 3}, 2},
		{"всеки 3м", crm.Cadence{Months: 3}, 2},
		{"ежемесечно", crm.Cadence{Months: 1}, 1},
		{"двуседмично", crm.Cadence{Days: 14}, 1},
		{"всяка година", crm.Cadence{Months: 12}, 2},
		{"every 3y", crm.Cadence{}, 0},
		{"на Виното", crm.Cadence{}, 0},
	} {
		got, n := crm.ParseCadence(strings.Fields(tt.in), w.cadence)
		if got != tt.want || n != tt.used {
			t.Errorf("%q: %+v, %d; want %+v, %d", tt.in, got, n, tt.want, tt.used)
		}
	}
}
