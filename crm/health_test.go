package crm

import (
	"testing"
	"time"
)

func TestScoreHealth(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	client := func(lastTouch int) *Client {
		c := &Client{ID: 1, CreatedAt: day(-400)}
		if lastTouch != 0 {
			c.LastTouch = day(lastTouch)
		}
		return c
	}
	plan := &ContactPlan{ClientID: 1, Every: Cadence{Days: 14}, SetAt: day(-300)}
	for _, tc := range []struct {
		name    string
		f       HealthFacts
		score   int
		band    Band
		factors map[string]int
	}{
		{"quiet and fine", HealthFacts{Client: client(-3), Plan: plan}, 100, BandHealthy, nil},
		{"within the cadence", HealthFacts{Client: client(-14), Plan: plan}, 100, BandHealthy, nil},
		{"two cadences", HealthFacts{Client: client(-28), Plan: plan}, 82, BandHealthy, map[string]int{HealthContact: -18}},
		{"64 days, plan every 14", HealthFacts{Client: client(-64), Plan: plan}, 65, BandAtRisk, map[string]int{HealthContact: -35}},
		{"no plan: the stale limit", HealthFacts{Client: client(-60), StaleTouch: 30 * 24 * time.Hour}, 82, BandHealthy, map[string]int{HealthContact: -18}},
		{"never talked, added long ago", HealthFacts{Client: client(0), StaleTouch: 30 * 24 * time.Hour}, 65, BandAtRisk, map[string]int{HealthContact: -35}},
		{"overdue critical claim", HealthFacts{Client: client(-1), Claims: []ClaimSummary{{Status: ClaimAcknowledged, Severity: SeverityCritical, ResolveDue: day(-1)}}},
			80, BandHealthy, map[string]int{HealthClaims: -20}},
		{"open medium claim in time", HealthFacts{Client: client(-1), Claims: []ClaimSummary{{Status: ClaimAcknowledged, Severity: SeverityMedium, ResolveDue: day(3)}}},
			94, BandHealthy, map[string]int{HealthClaims: -6}},
		{"unhappy client", HealthFacts{Client: client(-1), Satisfaction: []Satisfaction{{Kind: SatisfactionCSAT, Score: 1, At: day(-5)}}},
			85, BandHealthy, map[string]int{HealthSatisfaction: -15}},
		{"latest three scores count", HealthFacts{Client: client(-1), Satisfaction: []Satisfaction{
			{Kind: SatisfactionCSAT, Score: 1, At: day(-50)}, {Kind: SatisfactionCSAT, Score: 5, At: day(-30)},
			{Kind: SatisfactionNPS, Score: 10, At: day(-20)}, {Kind: SatisfactionCSAT, Score: 5, At: day(-10)}}}, 100, BandHealthy, nil},
		{"old scores do not count", HealthFacts{Client: client(-1), Satisfaction: []Satisfaction{{Kind: SatisfactionCSAT, Score: 1, At: day(-400)}}}, 100, BandHealthy, nil},
		{"lost and stuck deals", HealthFacts{Client: client(-1), StuckAfter: 21 * 24 * time.Hour, Deals: []DealFact{
			{Stage: "lost", ClosedAt: day(-10)}, {Stage: "negotiation", StageSince: day(-40)}}}, 92, BandHealthy, map[string]int{HealthDeals: -8}},
		{"a won deal makes up for a lost one", HealthFacts{Client: client(-1), Deals: []DealFact{
			{Stage: "lost", ClosedAt: day(-10)}, {Stage: "won", ClosedAt: day(-20)}}}, 100, BandHealthy, nil},
		{"late payments", HealthFacts{Client: client(-1), Payments: []Payment{{OnTime: false, DaysLate: 30, At: day(-10)}, {OnTime: true, At: day(-40)}}},
			97, BandHealthy, map[string]int{HealthPayments: -3}},
		{"broken promise", HealthFacts{Client: client(-1), Promises: []Promise{{ID: 1, Due: day(-5)}, {ID: 2, Due: day(-20), DoneAt: day(-21)}}},
			95, BandHealthy, map[string]int{HealthPromises: -5}},
		{"everything wrong is critical", HealthFacts{Client: client(-90), Plan: plan,
			Claims:       []ClaimSummary{{Status: ClaimNew, Severity: SeverityHigh, AckDue: day(-2)}},
			Satisfaction: []Satisfaction{{Kind: SatisfactionNPS, Score: 2, At: day(-3)}},
			Deals:        []DealFact{{Stage: "lost", ClosedAt: day(-10), Cancelled: true}}},
			28, BandCritical, map[string]int{HealthContact: -35, HealthClaims: -15, HealthSatisfaction: -12, HealthDeals: -10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := ScoreHealth(tc.f, nil, now)
			if h.Score != tc.score || h.Band != tc.band {
				t.Errorf("score %d %s, want %d %s (%+v)", h.Score, h.Band, tc.score, tc.band, h.Factors)
			}
			got := map[string]int{}
			sum := 100
			for i, f := range h.Factors {
				got[f.Name] = f.Effect
				sum += f.Effect
				if i > 0 && f.Effect < h.Factors[i-1].Effect {
					t.Errorf("factors not largest first: %+v", h.Factors)
				}
			}
			if len(got) != len(tc.factors) {
				t.Errorf("factors %v, want %v", got, tc.factors)
			}
			for k, v := range tc.factors {
				if got[k] != v {
					t.Errorf("%s: %d, want %d (all %v)", k, got[k], v, got)
				}
			}
			if max(0, sum) != h.Score {
				t.Errorf("the factors add up to %d, the score is %d", sum, h.Score)
			}
		})
	}
}

func TestHealthWeightsChangeTheScore(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	f := HealthFacts{Client: &Client{CreatedAt: now.AddDate(-1, 0, 0), LastTouch: now.AddDate(0, 0, -64)},
		Plan: &ContactPlan{Every: Cadence{Days: 14}, SetAt: now.AddDate(-1, 0, 0)}}
	w := DefaultHealthWeights()
	w[HealthContact] = 0
	if h := ScoreHealth(f, w, now); h.Score != 100 || len(h.Factors) != 0 {
		t.Errorf("contact weighted 0: %+v", h)
	}
	w[HealthContact] = 70
	if h := ScoreHealth(f, w, now); h.Score != 30 || h.Band != BandCritical {
		t.Errorf("contact weighted 70: %+v", h)
	}
}

func TestRenewalDue(t *testing.T) {
	// Thursday 26 November 2026.
	today := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   int
		done bool
		want bool
	}{{90, false, true}, {89, false, false}, {91, false, false}, {60, false, true}, {30, false, true}, {0, false, true},
		{-3, false, true}, {45, false, false}, {30, true, false}} {
		r := &Renewal{Date: today.AddDate(0, 0, tc.in)}
		if tc.done {
			r.DoneAt = today
		}
		if _, got := r.RenewalDue(today); got != tc.want {
			t.Errorf("%d days ahead (done %v): due %v, want %v", tc.in, tc.done, got, tc.want)
		}
	}
	// A mark on Saturday 28 November shows on Monday 30 November.
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	r := &Renewal{Date: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 30)}
	if _, due := r.RenewalDue(monday); !due {
		t.Error("a 30-day mark on a Saturday is not shown on Monday")
	}
}

func TestPlaybookFallOncePerFall(t *testing.T) {
	s := &HealthSummary{}
	steps := []struct {
		band Band
		fell bool
	}{{BandAtRisk, true}, {BandAtRisk, false}, {BandCritical, true}, {BandAtRisk, false}, {BandCritical, false}, {BandHealthy, false}, {BandAtRisk, true}}
	for i, st := range steps {
		fell, band := s.PlaybookFall(Health{Band: st.band})
		if fell != st.fell {
			t.Errorf("step %d (%s): fell %v, want %v", i, st.band, fell, st.fell)
		}
		s.PlaybookBand = band
	}
}
