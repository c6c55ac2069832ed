package health_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
)

// testEnv is the shared chat environment (handlerstest) of the health
// tests.
type testEnv struct{ *handlerstest.Env }

// healthEnv is the company (chattest's Team) at Thursday 26 November
// 2026, 10:00 in Sofia, with a notifier, Maria's Acme (contact plan every
// 2 weeks, talked to today) and Ivan's Gamma.
func healthEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{handlerstest.New(t, chattest.Options{Notify: true})}
	e.Team()
	e.Must("console:maria", "/client add Acme city=Sofia", "Saved")
	e.Must("console:ivan", "/client add Gamma city=Varna", "Saved")
	e.Must("console:maria", "/plan Acme every 2w #call", "Saved")
	e.Must("console:maria", "/log Acme: talked about the spring order #call", "Acme")
	e.Must("console:ivan", "/log Gamma: all fine #call", "Gamma")
	return e
}

// at runs fn with the clock at t and puts it back afterwards.
func (e *testEnv) at(t time.Time, fn func()) {
	now := e.Clock.Now()
	e.Clock.Set(t)
	fn()
	e.Clock.Set(now)
}

// tick runs the scheduled jobs once.
func (e *testEnv) tick() { e.Svc.RunJobs(e.Ctx) }

// TestHealthMovesForTheReasonsShown: a silent account falls into "at
// risk" with the reason, the trend compares with 30 days ago, and a talk
// brings it back.
func TestHealthMovesForTheReasonsShown(t *testing.T) {
	e := healthEnv(t)
	e.Must("console:maria", "/health Acme", "Health of Acme: 100/100 — healthy", "Nothing takes points off")
	e.Clock.Add(64 * 24 * time.Hour)
	e.Must("console:maria", "/health Acme", "Health of Acme: 65/100 — at risk",
		"−35: no talk for 64 days, plan says every 14", "Trend: ↓ −35 since 2026-11-26 (then 100)")
	e.Must("console:maria", "/client Acme", "Health", "65/100 — at risk")
	e.Must("console:sam", "/health team", "Accounts at risk: 1", "65 at risk · Acme — −35: no talk for 64 days", "(Maria Petrova)")
	e.MustNot("console:sam", "/health team", "Gamma")
	e.Must("console:admin", "/health all", "Acme")
	e.Must("console:ivan", "/health", "No account is at risk")
	// Bulgarian words.
	e.Must("console:maria", "/lang bg", "")
	e.Must("console:maria", "/здраве Acme", "Състояние на Acme: 65/100 — в риск", "без разговор от 64 дни, по план на всеки 14")
	e.Must("console:maria", "/lang en", "")
	e.Must("console:maria", "/log Acme: called, all good #call", "Acme")
	e.Must("console:maria", "/health Acme", "100/100 — healthy")
	e.Must("console:maria", "/health mine", "No account is at risk")
}

// TestHealthPlaybookTaskOncePerFall: a fall into at risk gives the owner
// one task with the reason and the step of /next, not one a day; a fall
// into critical gives one more; a head can switch the rule off.
func TestHealthPlaybookTaskOncePerFall(t *testing.T) {
	e := healthEnv(t)
	e.Clock.Add(64 * 24 * time.Hour)
	e.tick()
	today := e.Must("console:maria", "/today", "Acme is at risk (health 65): no talk for 64 days, plan says every 14. Suggested:")
	if n := strings.Count(today, "Acme is at risk"); n != 1 {
		t.Fatalf("%d playbook tasks:\n%s", n, today)
	}
	for i := 0; i < 3; i++ {
		e.Clock.Add(24 * time.Hour)
		e.tick()
		e.Must("console:maria", "/health Acme", "at risk")
	}
	if n := strings.Count(e.Say("console:maria", "/today"), "Acme is at risk"); n != 1 {
		t.Fatalf("%d playbook tasks after three more days", n)
	}
	// Deeper: critical, one more task.
	e.Must("console:maria", "/csat Acme 1: very unhappy", "Saved: CSAT 1/5")
	e.Must("console:maria", `/claim Acme: pumps broken severity=critical`, "C-1")
	e.Clock.Add(5 * 24 * time.Hour)
	e.tick()
	e.Must("console:maria", "/health Acme", "critical")
	if n := strings.Count(e.Say("console:maria", "/today"), "Acme is critical"); n != 1 {
		t.Fatalf("%d critical playbook tasks", n)
	}
	// The rule switched off: no task on the next fall.
	e.Must("console:maria", "/health settings at-risk=off", "Only a head")
	e.Must("console:admin", "/health settings at-risk=off", "Saved", "into at risk — off")
	e.Must("console:admin", "/client add Zeta", "Saved")
	e.Must("console:admin", "/csat Zeta 1", "Saved")
	e.Must("console:admin", "/nps Zeta 0", "Saved")
	e.Must("console:admin", "/claim Zeta: late severity=high", "C-2")
	e.Must("console:admin", "/health Zeta", "at risk")
	e.MustNot("console:admin", "/today", "Zeta is at risk")
}

// TestSatisfactionRecorded: /csat and /nps are kept with who and when, a
// claim's rating joins the same history, and they feed the score.
func TestSatisfactionRecorded(t *testing.T) {
	e := healthEnv(t)
	e.Must("console:maria", "/csat Acme 2: slow deliveries", "Saved: CSAT 2/5 for Acme (Maria Petrova, 2026-11-26).")
	e.Must("console:maria", "/nps Acme 6", "Saved: NPS 6/10 for Acme")
	e.Must("console:maria", "/csat Acme 7", "Usage: /csat")
	e.Must("console:maria", "/nps Acme 11", "Usage: /nps")
	e.Must("console:ivan", "/csat Acme 5", "Acme")
	e.MustNot("console:ivan", "/csat Acme", "slow deliveries")
	e.Must("console:maria", "/claim Acme: wrong labels severity=low", "C-1")
	e.Must("console:maria", "/claim resolve C-1 cause=labels: relabelled", "C-1")
	e.Must("console:maria", "/claim satisfied C-1 4", "C-1")
	e.Must("console:maria", "/csat Acme", "Satisfaction of Acme · 3 scores", "CSAT 4/5 · Maria Petrova · C-1",
		"NPS 6/10 · Maria Petrova", "2026-11-26 · CSAT 2/5 · Maria Petrova: slow deliveries")
	e.Must("console:maria", "/health Acme", "latest CSAT 4/5 (3 scores counted)")
	e.Must("console:maria", "/удовлетвореност Acme 5", "Acme")
}

// TestRenewalShowsAt90603000Days: a renewal is in the owner's /today 90,
// 60 and 30 days before and on the day, not in between; done, it is gone.
func TestRenewalShowsAt90603000Days(t *testing.T) {
	e := healthEnv(t)
	start := e.Clock.Now()
	e.Must("console:maria", "/renewal Acme 2027-02-24 amount=12000 contract=K-17", "Saved: renewal R-1 of Acme on 2027-02-24", "€12,000.00", "K-17")
	for _, tc := range []struct {
		days int
		want bool
	}{{0, true}, {1, false}, {30, true}, {31, false}, {60, true}, {89, false}, {90, true}, {93, true}} {
		e.at(start.AddDate(0, 0, tc.days), func() {
			got := e.Say("console:maria", "/today")
			if strings.Contains(got, "Renewal R-1") != tc.want {
				t.Errorf("%d days after the renewal was set (%d before it): shown %v, want %v:\n%s", tc.days, 90-tc.days, !tc.want, tc.want, got)
			}
		})
	}
	e.MustNot("console:ivan", "/today", "R-1")
	e.Must("console:sam", "/renewals", "R-1 · 2027-02-24 · Acme · €12,000.00 · K-17 — in 90 days (Maria Petrova)", "1 renewal · €12,000.00 · at risk: 0")
	e.Must("console:sam", "/renewals month", "No renewals in the coming month")
	e.Must("console:ivan", "/renewal R-1", "There is no renewal R-1")
	e.Must("console:ivan", "/renewal done R-1", "There is no renewal R-1")
	e.Must("console:maria", "/renewal edit R-1 amount=15000", "Saved: R-1", "€15,000.00")
	e.Must("console:maria", "/подновяване готово R-1", "R-1")
	e.at(start.AddDate(0, 0, 90), func() { e.MustNot("console:maria", "/today", "R-1") })
	e.Must("console:maria", "/renewal Acme 2028-01-10", "R-2")
}

// TestRenewalsMarkAtRiskAndDigest: /renewals marks accounts at risk and
// the supervisor's digest sums the quarter's renewals.
func TestRenewalsMarkAtRiskAndDigest(t *testing.T) {
	e := healthEnv(t)
	e.Must("console:maria", "/renewal Acme 2026-12-20 amount=5000", "R-1")
	e.Must("console:maria", "/csat Acme 1", "Saved")
	e.Must("console:maria", "/nps Acme 0", "Saved")
	e.Must("console:maria", "/claim Acme: broken severity=high", "C-1")
	e.Must("console:maria", "/health Acme", "at risk")
	e.Must("console:maria", "/renewals", "R-1", "🟠 at risk", "at risk: 1")
	e.Must("console:sam", "/digest", "Renewals this quarter: 1, €5,000.00, at risk: 1")
	// A renewal of next quarter shows in the digest on its mark days.
	e.Must("console:maria", "/renewal Acme 2027-02-24 amount=7000", "R-2")
	e.Must("console:maria", "/digest", "Renewal R-2 · 2027-02-24 · Acme · €7,000.00 — in 90 days")
	e.at(e.Clock.Now().AddDate(0, 0, 1), func() { e.MustNot("console:maria", "/digest", "R-2") })
}

// TestRenewalTypedDates: the date of a renewal in the forms people type.
func TestRenewalTypedDates(t *testing.T) {
	e := healthEnv(t)
	for _, tc := range []struct{ text, want string }{
		{"/renewal Acme next week", "on 2026-11-30"},
		{"/подновяване Acme 15 декември сума=300", "on 2026-12-15 · €300.00"},
		{"/renewal Acme 31.03.2027 amount=1200 currency=USD contract=K-9", "on 2027-03-31 · $1,200.00 · contract K-9"},
	} {
		e.Must("console:maria", tc.text, tc.want)
	}
	e.Must("console:maria", "/renewal Acme someday", "someday")
	e.MustNot("console:maria", "/renewal Acme someday", "No client")
	e.Must("console:maria", "/renewal Nobody 2027-01-01", "")
}

// TestQBROffline: the brief of the offline drafter, in English and
// Bulgarian (golden files).
func TestQBROffline(t *testing.T) {
	for _, lang := range []string{"en", "bg"} {
		t.Run(lang, func(t *testing.T) {
			e := healthEnv(t)
			e.Must("console:maria", `/deal add Acme: Pumps 2026 amount=12000 stage=won`, "D-1")
			e.Must("console:maria", `/deal add Acme: Spare parts amount=3000 stage=proposal`, "D-2")
			e.Must("console:maria", "/claim Acme: wrong labels severity=low", "C-1")
			e.Must("console:maria", "/promise Acme: free service visit by 2026-12-10", "P-1")
			e.Must("console:maria", "/csat Acme 4: good service", "Saved")
			e.Must("console:maria", "/renewal Acme 2027-03-31 amount=20000 contract=K-17", "R-1")
			e.Must("console:maria", "/lang "+lang, "")
			rec := e.Send("console:maria", "/qbr Acme")
			e.Golden(filepath.Join("testdata", "health_qbr."+lang+".golden"), chattest.Render(rec))
		})
	}
}

// TestHealthErasedWithClient: renewals and scores go with the client, and
// appear in its export.
func TestHealthErasedWithClient(t *testing.T) {
	e := healthEnv(t)
	e.Must("console:maria", "/renewal Acme 2027-03-31 amount=20000", "R-1")
	e.Must("console:maria", "/csat Acme 3: so-so", "Saved")
	js := e.Send("console:admin", "/client export Acme")
	if f := js.Replies[len(js.Replies)-1].File; f == nil || !strings.Contains(string(f.Data), "so-so") || !strings.Contains(string(f.Data), "20000") {
		t.Fatalf("client export lacks satisfaction or renewals: %+v", js.Replies)
	}
	e.Must("console:admin", "/client forget Acme confirm", "")
	e.Must("console:maria", "/renewal R-1", "There is no renewal R-1")
}
