package crm

import (
	"math"
	"strings"
	"testing"
	"time"
)

// testCadenceWords are some of the words the translation files give
// ParseCadence (handlers tests all of them).
var testCadenceWords = CadenceWords{
	Named: map[string]Cadence{"monthly": {Months: 1}, "quarterly": {Months: 3}, "weekly": {Days: 7}, "месечно": {Months: 1}},
	Units: map[string]Cadence{"d": {Days: 1}, "days": {Days: 1}, "дни": {Days: 1}, "w": {Days: 7}, "week": {Days: 7},
		"седмици": {Days: 7}, "months": {Months: 1}, "месец": {Months: 1}, "y": {Months: 12}},
	Every: map[string]bool{"every": true, "всеки": true, "на": true},
}

func TestParseCadence(t *testing.T) {
	tests := []struct {
		in   string
		want Cadence
		used int
	}{
		{"monthly #visit", Cadence{Months: 1}, 1},
		{"every 2w #call", Cadence{Days: 14}, 2},
		{"every 10d", Cadence{Days: 10}, 2},
		{"every 10 days until friday", Cadence{Days: 10}, 3},
		{"every week", Cadence{Days: 7}, 2},
		{"every 3 months", Cadence{Months: 3}, 3},
		{"quarterly", Cadence{Months: 3}, 1},
		{"weekly", Cadence{Days: 7}, 1},
		{"всеки 2 седмици #обаждане", Cadence{Days: 14}, 3},
		{"на всеки 10 дни", Cadence{Days: 10}, 4},
		{"всеки месец", Cadence{Months: 1}, 2},
		{"месечно", Cadence{Months: 1}, 1},
		{"every 2y", Cadence{Months: 24}, 2},
		{"every 3y", Cadence{}, 0}, // longer than two years
		{"every", Cadence{}, 0},
		{"every often", Cadence{}, 0},
		{"every 0d", Cadence{}, 0},
		{"Acme every 2w", Cadence{}, 0},
		{"на Виното", Cadence{}, 0},
	}
	for _, tt := range tests {
		got, n := ParseCadence(strings.Fields(tt.in), testCadenceWords)
		if got != tt.want || n != tt.used {
			t.Errorf("ParseCadence(%q) = %+v, %d; want %+v, %d", tt.in, got, n, tt.want, tt.used)
		}
	}
}

func TestNextTouch(t *testing.T) {
	sofia, _ := time.LoadLocation("Europe/Sofia")
	setAt := time.Date(2026, 11, 1, 9, 0, 0, 0, sofia)
	tests := []struct {
		name  string
		every Cadence
		last  time.Time
		want  time.Time
	}{
		{"from the last talk", Cadence{Days: 14}, time.Date(2026, 11, 10, 18, 30, 0, 0, sofia), time.Date(2026, 11, 24, 0, 0, 0, 0, sofia)},
		{"never talked: from the plan", Cadence{Days: 14}, time.Time{}, time.Date(2026, 11, 15, 0, 0, 0, 0, sofia)},
		{"a month", Cadence{Months: 1}, time.Date(2026, 1, 31, 12, 0, 0, 0, sofia), time.Date(2026, 3, 3, 0, 0, 0, 0, sofia)},
		{"talk late at night UTC is the next day in Sofia", Cadence{Days: 7}, time.Date(2026, 11, 10, 23, 30, 0, 0, time.UTC), time.Date(2026, 11, 18, 0, 0, 0, 0, sofia)},
	}
	for _, tt := range tests {
		p := ContactPlan{Every: tt.every, SetAt: setAt}
		if got := p.NextTouch(tt.last, sofia); !got.Equal(tt.want) {
			t.Errorf("%s: NextTouch = %v, want %v", tt.name, got, tt.want)
		}
	}
	p := ContactPlan{Every: Cadence{Days: 7}, Until: time.Date(2026, 12, 1, 0, 0, 0, 0, sofia)}
	if !p.ActiveOn(time.Date(2026, 12, 1, 0, 0, 0, 0, sofia)) || p.ActiveOn(time.Date(2026, 12, 2, 0, 0, 0, 0, sofia)) {
		t.Error("a plan runs through its last day and not after")
	}
}

func TestPromiseKeptOrBroken(t *testing.T) {
	due := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		done         time.Time
		asOf         time.Time
		broken, kept bool
	}{
		{"open, before due", time.Time{}, due.Add(10 * time.Hour), false, false},
		{"open, on the due day", time.Time{}, due.Add(23 * time.Hour), false, false},
		{"open, after due", time.Time{}, at, true, false},
		{"kept on the day", due.Add(15 * time.Hour), at, false, true},
		{"kept late", due.Add(50 * time.Hour), at, true, false},
		{"kept later than asked about", due.Add(15 * time.Hour), due.Add(10 * time.Hour), false, false},
		{"kept late, asked before it was kept", due.Add(100 * time.Hour), due.Add(30 * time.Hour), true, false},
	}
	for _, tt := range tests {
		p := Promise{Due: due, DoneAt: tt.done}
		if b, k := p.BrokenAt(tt.asOf), p.KeptAt(tt.asOf); b != tt.broken || k != tt.kept {
			t.Errorf("%s: broken %v kept %v, want %v %v", tt.name, b, k, tt.broken, tt.kept)
		}
	}
}

func TestParseRating(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"A", 1, true}, {"aaa", 1, true}, {"BB+", 0.75, true}, {"c-", 0.5, true}, {"D", 0.25, true}, {"F", 0, true},
		{"4/5", 0.8, true}, {"7/10", 0.7, true}, {"80%", 0.8, true}, {"4", 0.8, true}, {"8", 0.8, true}, {"75", 0.75, true},
		{"3,5", 0.7, true}, {"", 0, false}, {"good", 0, false}, {"150", 0, false}, {"6/5", 0, false}, {"ab", 0, false}, {"-1", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRating(tt.in)
		if ok != tt.ok || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("ParseRating(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestScoreReliability checks the model on fixed facts; the expected
// scores are worked out by hand in the comments.
func TestScoreReliability(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	days := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	full := &Client{Segment: "retail", Industry: "food", Size: "large", City: "Sofia", Need: "pumps", Level: "key", Contact: "Ivan", Phone: "+359",
		Rating: "A", CreatedAt: days(3 * 365), ReviewedAt: days(10)}
	var onTime []Payment
	for i := 0; i < 10; i++ {
		onTime = append(onTime, Payment{OnTime: true, At: days(30 * (i + 1))})
	}
	half := &Client{Segment: "retail", City: "Sofia", Need: "pumps", Contact: "Ivan", CreatedAt: days(365), ReviewedAt: days(200)}
	tests := []struct {
		name   string
		facts  ReliabilityFacts
		at     time.Time
		enough bool
		score  int
		points map[string]int // rounded points of some factors
	}{
		{
			// 30·1 + 15·0.95 + 15·1 + 15·(4/6) + 10·1 + 5·1 + 10·1 = 94.25
			name: "steady buyer",
			facts: ReliabilityFacts{Client: full, Payments: onTime, StaleReview: 90 * 24 * time.Hour,
				Claims:   []ClaimFact{{CreatedAt: days(100), Severity: SeverityLow}},
				Promises: []Promise{{Due: days(50), DoneAt: days(51)}, {Due: days(20), DoneAt: days(25)}},
				Deals: []DealFact{{Stage: "won", ClosedAt: days(400)}, {Stage: "won", ClosedAt: days(200)},
					{Stage: "won", ClosedAt: days(100)}, {Stage: "lost", ClosedAt: days(50)}, {Stage: "proposal"}}},
			at: now, enough: true, score: 94,
			points: map[string]int{FactorPayment: 30, FactorClaims: 14, FactorDeals: 10, FactorRating: 10},
		},
		{
			// Factors with data: payment 30, claims 15, promises 15, tenure
			// 10, record 5 (= 75). payment (1+1+0.5+0.5)/4 = 0.75; claims
			// 1 − 0.2·1.5 = 0.7; promises 0/1; tenure 1/3; record
			// 0.6·4/8 = 0.3. (22.5 + 10.5 + 0 + 3.33 + 1.5) / 75 = 50.4 %.
			name: "late payer with a rejected claim and a broken promise",
			facts: ReliabilityFacts{Client: half, StaleReview: 90 * 24 * time.Hour,
				Payments: []Payment{{OnTime: true, At: days(300)}, {OnTime: true, At: days(200)}, {DaysLate: 30, At: days(100)}, {DaysLate: 30, At: days(10)}},
				Claims:   []ClaimFact{{CreatedAt: days(60), Severity: SeverityHigh, RejectedAt: days(55)}},
				Promises: []Promise{{Due: days(30)}}},
			at: now, enough: true, score: 50,
			points: map[string]int{FactorPayment: 30, FactorClaims: 14, FactorPromises: 0},
		},
		{
			name:   "new prospect",
			facts:  ReliabilityFacts{Client: &Client{CreatedAt: days(10), ReviewedAt: days(10)}, StaleReview: 90 * 24 * time.Hour},
			at:     now,
			enough: false,
		},
		{
			// 90 days earlier only the first payment and no claim, promise
			// or deal are known: 1 fact.
			name: "late payer 90 days ago",
			facts: ReliabilityFacts{Client: half, StaleReview: 90 * 24 * time.Hour,
				Payments: []Payment{{OnTime: true, At: days(300)}, {DaysLate: 30, At: days(10)}},
				Claims:   []ClaimFact{{CreatedAt: days(60), Severity: SeverityHigh}}},
			at: now.AddDate(0, 0, -90), enough: false,
		},
		{
			// Payments over two years old do not count: 3 of 5 remain.
			name: "old payments drop out",
			facts: ReliabilityFacts{Client: &Client{CreatedAt: days(1000), ReviewedAt: days(1)}, StaleReview: 90 * 24 * time.Hour,
				Payments: []Payment{{DaysLate: 60, At: days(900)}, {DaysLate: 60, At: days(800)}, {OnTime: true, At: days(30)}, {OnTime: true, At: days(20)}, {OnTime: true, At: days(10)}}},
			at: now, enough: true,
			points: map[string]int{FactorPayment: 50},
		},
	}
	for _, tt := range tests {
		got := ScoreReliability(tt.facts, DefaultReliabilityWeights(), tt.at)
		if got.Enough != tt.enough {
			t.Errorf("%s: enough = %v (evidence %d), want %v", tt.name, got.Enough, got.Evidence, tt.enough)
			continue
		}
		if tt.enough && tt.score != 0 && got.Score != tt.score {
			t.Errorf("%s: score = %d, want %d (%+v)", tt.name, got.Score, tt.score, got.Factors)
		}
		for name, want := range tt.points {
			for _, f := range got.Factors {
				if f.Name == name && int(math.Round(f.Points)) != want {
					t.Errorf("%s: %s points = %.2f, want %d", tt.name, name, f.Points, want)
				}
			}
		}
	}
}

func TestReliabilityWeightsMatter(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c := &Client{CreatedAt: now.AddDate(-3, 0, 0), ReviewedAt: now}
	f := ReliabilityFacts{Client: c, StaleReview: 90 * 24 * time.Hour,
		Payments: []Payment{{DaysLate: 60, At: now.AddDate(0, -1, 0)}, {DaysLate: 60, At: now.AddDate(0, -2, 0)}, {DaysLate: 60, At: now.AddDate(0, -3, 0)}}}
	base := ScoreReliability(f, DefaultReliabilityWeights(), now)
	w := DefaultReliabilityWeights()
	w[FactorPayment] = 0
	without := ScoreReliability(f, w, now)
	if !base.Enough || !without.Enough || without.Score <= base.Score {
		t.Errorf("payments that count nothing lower the score: with weight %d, without %d", base.Score, without.Score)
	}
}

func TestRecommend(t *testing.T) {
	sofia, _ := time.LoadLocation("Europe/Sofia")
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, sofia)
	days := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	client := func(last time.Time) *Client {
		return &Client{Segment: "retail", CreatedAt: days(500), LastTouch: last}
	}
	plan := &ContactPlan{Every: Cadence{Days: 14}, SetAt: days(100)}
	base := NextFacts{StaleTouch: 30 * 24 * time.Hour, StuckAfter: 21 * 24 * time.Hour, Loc: sofia}
	with := func(f func(*NextFacts)) NextFacts { n := base; f(&n); return n }
	tests := []struct {
		name  string
		facts NextFacts
		kinds []string
	}{
		{"nothing to do", with(func(f *NextFacts) { f.Client = client(days(3)) }), []string{AdviceNone}},
		{"claim past its deadline first", with(func(f *NextFacts) {
			f.Client = client(days(20))
			f.Plan = plan
			f.Claims = []ClaimSummary{{ID: 12, Status: ClaimNew, Severity: SeverityHigh, AckDue: days(1), ResolveDue: now.AddDate(0, 0, 5)}}
		}), []string{AdviceClaim, AdviceTouch}},
		{"claim far from its deadline is quiet", with(func(f *NextFacts) {
			f.Client = client(days(2))
			f.Claims = []ClaimSummary{{ID: 12, Status: ClaimAcknowledged, ResolveDue: now.AddDate(0, 0, 5)}}
		}), []string{AdviceNone}},
		{"promise due tomorrow", with(func(f *NextFacts) {
			f.Client = client(days(2))
			f.Promises = []Promise{{ID: 3, Text: "visit", Due: time.Date(2026, 11, 27, 0, 0, 0, 0, sofia)}, {ID: 4, Text: "later", Due: now.AddDate(0, 1, 0)}}
		}), []string{AdvicePromise}},
		{"touch overdue by the plan", with(func(f *NextFacts) { f.Client = client(days(20)); f.Plan = plan }), []string{AdviceTouch}},
		{"no plan, stale", with(func(f *NextFacts) { f.Client = client(days(40)) }), []string{AdviceStale}},
		{"stuck deal", with(func(f *NextFacts) {
			f.Client = client(days(2))
			f.Deals = []DealFact{{ID: 7, Stage: "proposal", Title: "Pumps", StageSince: days(30)}}
		}), []string{AdviceStuckDeal}},
		{"repeat order due", with(func(f *NextFacts) {
			f.Client = client(days(2))
			f.Deals = []DealFact{{ID: 1, Stage: "won", Title: "Pumps 2025", ClosedAt: days(300)}, {ID: 2, Stage: "won", Title: "Pumps 2026", ClosedAt: days(200)}, {ID: 3, Stage: "won", Title: "Pumps 2026", ClosedAt: days(100)}}
		}), []string{AdviceRepeat}},
		{"repeat order not yet", with(func(f *NextFacts) {
			f.Client = client(days(2))
			f.Deals = []DealFact{{ID: 1, Stage: "won", ClosedAt: days(300)}, {ID: 2, Stage: "won", ClosedAt: days(200)}, {ID: 3, Stage: "won", ClosedAt: days(50)}}
		}), []string{AdviceNone}},
		{"what peers buy", with(func(f *NextFacts) {
			f.Client = client(days(2))
			f.Deals = []DealFact{{ID: 1, Stage: "won", Title: "Valves", ClosedAt: days(30)}}
			f.Peers = 4
			f.PeerProducts = []PeerProduct{{Key: "valves", Label: "Valves", Buyers: 4}, {Key: "pumps", Label: "Pumps", Buyers: 3}, {Key: "training", Label: "Training", Buyers: 1}}
		}), []string{AdviceCrossSell}},
	}
	for _, tt := range tests {
		got := Recommend(tt.facts, now)
		var kinds []string
		for _, a := range got {
			kinds = append(kinds, a.Kind)
		}
		if strings.Join(kinds, ",") != strings.Join(tt.kinds, ",") {
			t.Errorf("%s: advice %v, want %v", tt.name, kinds, tt.kinds)
		}
		if tt.name == "what peers buy" && got[0].Args["product"] != "Pumps" {
			t.Errorf("cross-sell offers %v, want Pumps (Valves is bought already)", got[0].Args["product"])
		}
		if tt.name == "repeat order due" && got[0].Args["days"] != 100 {
			t.Errorf("rhythm %v, want 100 days", got[0].Args["days"])
		}
	}
}

func TestProductKey(t *testing.T) {
	same := [][2]string{{"Pumps 2026", "pumps 2027"}, {"Service contract - Q3", "SERVICE CONTRACT"}, {"Помпи (партида 7)", "Pompi"}}
	for _, p := range same {
		if ProductKey(p[0]) != ProductKey(p[1]) {
			t.Errorf("ProductKey(%q) = %q, ProductKey(%q) = %q", p[0], ProductKey(p[0]), p[1], ProductKey(p[1]))
		}
	}
	if ProductKey("Pumps") == ProductKey("Valves") {
		t.Error("different products share a key")
	}
	if got := ProductLabel("Pumps 2026 (x3)"); got != "Pumps" {
		t.Errorf("ProductLabel = %q", got)
	}
}

func TestIsBuyer(t *testing.T) {
	if !IsBuyer("", true) || !IsBuyer("Клиент", false) || IsBuyer("prospect", false) || IsBuyer("", false) {
		t.Error("a buyer has won a deal or is marked client by hand")
	}
}
