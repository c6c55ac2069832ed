package crm

import (
	"context"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Health factors, in the order settings list them.
const (
	HealthContact      = "contact"
	HealthClaims       = "claims"
	HealthSatisfaction = "satisfaction"
	HealthDeals        = "deals"
	HealthPayments     = "payments"
	HealthPromises     = "promises"
)

// HealthFactors lists every factor of the health score.
var HealthFactors = []string{HealthContact, HealthClaims, HealthSatisfaction, HealthDeals, HealthPayments, HealthPromises}

// HealthWeights are the most points each factor can take off the score of
// 100. They need not add up to 100 (the score stops at 0).
type HealthWeights map[string]int

// DefaultHealthWeights returns the weights used until a head changes them;
// they add up to 100. Silence is the earliest sign of a slipping account,
// so contact weighs most and alone can take an account into "at risk";
// claims and satisfaction are the client's own voice; deals, payments and
// promises move more slowly.
func DefaultHealthWeights() HealthWeights {
	return HealthWeights{HealthContact: 35, HealthClaims: 20, HealthSatisfaction: 15, HealthDeals: 10, HealthPayments: 10, HealthPromises: 10}
}

// MaxHealthWeight is the largest weight a health factor may get.
const MaxHealthWeight = 100

// Band is where a health score falls.
type Band string

// Bands, from good to bad.
const (
	BandHealthy  Band = "healthy"
	BandAtRisk   Band = "at_risk"
	BandCritical Band = "critical"
)

// Score thresholds of the bands: healthy from HealthyFrom, at risk from
// AtRiskFrom, critical below.
const (
	HealthyFrom = 80
	AtRiskFrom  = 50
)

// BandOf returns the band of a score.
func BandOf(score int) Band {
	switch {
	case score >= HealthyFrom:
		return BandHealthy
	case score >= AtRiskFrom:
		return BandAtRisk
	}
	return BandCritical
}

// Rank orders bands: 0 healthy, 1 at risk, 2 critical.
func (b Band) Rank() int {
	switch b {
	case BandAtRisk:
		return 1
	case BandCritical:
		return 2
	}
	return 0
}

// Windows of the health model.
const (
	// HealthRecent is how far back deals and promises count.
	HealthRecent = 180 * 24 * time.Hour
	// HealthYear is how far back payments and satisfaction count.
	HealthYear = 365 * 24 * time.Hour
	// HealthSatisfactionLast is how many of the latest satisfaction scores
	// count.
	HealthSatisfactionLast = 3
	// HealthTrendDays is how far back the trend compares.
	HealthTrendDays = 30
	// HealthHistoryDays is how many daily scores a summary keeps.
	HealthHistoryDays = 40
)

// openClaimPenalty is the share of the claims weight one open claim takes,
// by severity; an overdue one takes half as much again.
var openClaimPenalty = map[Severity]float64{SeverityLow: 0.15, SeverityMedium: 0.3, SeverityHigh: 0.5, SeverityCritical: 0.8}

// Satisfaction is one satisfaction score of a client as told to the
// manager: CSAT 1 to 5, or NPS 0 to 10. A rating given on a resolved
// claim is a CSAT with the claim's id.
type Satisfaction struct {
	ID       uint64 `json:"id"`
	ClientID uint64 `json:"client_id"`
	// Kind is "csat" or "nps".
	Kind       string    `json:"kind"`
	Score      int       `json:"score"`
	Comment    string    `json:"comment,omitempty"`
	ClaimID    uint64    `json:"claim_id,omitempty"`
	By         uint64    `json:"by"`
	OnBehalfOf uint64    `json:"on_behalf_of,omitempty"`
	At         time.Time `json:"at"`
}

// Kinds of satisfaction scores.
const (
	SatisfactionCSAT = "csat"
	SatisfactionNPS  = "nps"
)

// Valid reports whether the score is in its kind's range.
func (s *Satisfaction) Valid() bool {
	switch s.Kind {
	case SatisfactionCSAT:
		return s.Score >= 1 && s.Score <= 5
	case SatisfactionNPS:
		return s.Score >= 0 && s.Score <= 10
	}
	return false
}

// Value is the score as 0 to 1: CSAT 5 is 1, 4 is .85, 3 .5, 2 .2, 1 0;
// NPS promoters (9, 10) 1, passives (7, 8) .8, detractors n/10.
func (s *Satisfaction) Value() float64 {
	if s.Kind == SatisfactionNPS {
		switch {
		case s.Score >= 9:
			return 1
		case s.Score >= 7:
			return 0.8
		}
		return float64(s.Score) / 10
	}
	return map[int]float64{5: 1, 4: 0.85, 3: 0.5, 2: 0.2, 1: 0}[s.Score]
}

// Renewal is a contract of a client that comes up for renewal on Date.
type Renewal struct {
	ID       uint64 `json:"id"`
	ClientID uint64 `json:"client_id"`
	// OwnerID is the client's owner; it follows the client.
	OwnerID    uint64          `json:"owner_id"`
	Date       time.Time       `json:"date"`
	Amount     decimal.Decimal `json:"amount"`
	Currency   string          `json:"currency,omitempty"`
	Contract   string          `json:"contract,omitempty"`
	CreatedBy  uint64          `json:"created_by"`
	OnBehalfOf uint64          `json:"on_behalf_of,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	DoneAt     time.Time       `json:"done_at,omitzero"`
	DoneBy     uint64          `json:"done_by,omitempty"`
}

// RenewalRef formats a renewal id: "R-3".
func RenewalRef(id uint64) string { return "R-" + strconv.FormatUint(id, 10) }

// Ref is the renewal's short id.
func (r *Renewal) Ref() string { return RenewalRef(r.ID) }

// Open reports whether the renewal is not done yet.
func (r *Renewal) Open() bool { return r.DoneAt.IsZero() }

// RenewalMarks are the days before a renewal on which it is brought up.
var RenewalMarks = []int{90, 60, 30, 0}

// RenewalDue reports whether an open renewal belongs on the agenda of
// today (midnight): on each mark day, on the Monday after a mark that fell
// on a weekend (the agenda is for working days), and every day from its
// date on until it is done. days is how many days are left (negative when
// overdue).
func (r *Renewal) RenewalDue(today time.Time) (days int, due bool) {
	days = int(math.Round(r.Date.Sub(today).Hours() / 24))
	if !r.Open() {
		return days, false
	}
	if days <= 0 {
		return days, true
	}
	for _, m := range RenewalMarks {
		if days == m {
			return days, true
		}
		if today.Weekday() == time.Monday && (days == m-1 || days == m-2) {
			return days, true
		}
	}
	return days, false
}

// HealthFacts are what the health score of one client is computed from.
type HealthFacts struct {
	Client *Client
	Plan   *ContactPlan
	// Claims are the client's open claims.
	Claims       []ClaimSummary
	Satisfaction []Satisfaction
	Deals        []DealFact
	Payments     []Payment
	Promises     []Promise
	// StaleTouch is the cadence assumed without a contact plan; StuckAfter
	// how long in one stage makes a deal stuck.
	StaleTouch time.Duration
	StuckAfter time.Duration
	Loc        *time.Location
}

// HealthFactor is what one factor took off the score, with the numbers
// that explain it.
type HealthFactor struct {
	Name string `json:"name"`
	// Effect is the points taken off (zero or negative).
	Effect int            `json:"effect"`
	Args   map[string]int `json:"args,omitempty"`
	// Kind is the kind of the latest satisfaction score ("csat", "nps").
	Kind string `json:"kind,omitempty"`
}

// Health is a score with its band and the factors that moved it, the
// largest effect first.
type Health struct {
	Score   int            `json:"score"`
	Band    Band           `json:"band"`
	Factors []HealthFactor `json:"factors,omitempty"`
}

// Main is the factor that took most off, or nil when none did.
func (h *Health) Main() *HealthFactor {
	if len(h.Factors) == 0 {
		return nil
	}
	return &h.Factors[0]
}

// ScoreHealth computes the health of a client at now: 100 less what each
// factor takes off, at most its weight, and never below 0. Every effect is
// rounded to whole points before it is subtracted, so the factors shown add
// up to the score.
func ScoreHealth(f HealthFacts, w HealthWeights, now time.Time) Health {
	if w == nil {
		w = DefaultHealthWeights()
	}
	loc := f.Loc
	if loc == nil {
		loc = time.UTC
	}
	var factors []HealthFactor
	add := func(name string, share float64, args map[string]int, kind string) {
		wt := w[name]
		if wt <= 0 || share <= 0 {
			return
		}
		eff := -int(math.Round(float64(wt) * math.Min(1, share)))
		if eff == 0 {
			return
		}
		factors = append(factors, HealthFactor{Name: name, Effect: eff, Args: args, Kind: kind})
	}
	day := func(t time.Time) time.Time {
		t = t.In(loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	}
	today := day(now)
	days := func(from, to time.Time) int { return int(math.Round(to.Sub(from).Hours() / 24)) }

	// Contact against the plan's cadence (or the stale limit without one):
	// nothing within one cadence, everything at three.
	if f.Client != nil {
		cadence, planned := 0, 0
		base := f.Client.LastTouch
		if f.Plan != nil && f.Plan.ActiveOn(today) {
			cadence, planned = f.Plan.Every.Approx(), 1
			if base.IsZero() {
				base = f.Plan.SetAt
			}
		} else {
			cadence = int(f.StaleTouch.Hours() / 24)
		}
		never := 0
		if f.Client.LastTouch.IsZero() {
			never = 1
			if base.IsZero() {
				base = f.Client.CreatedAt
			}
		}
		if cadence > 0 && !base.IsZero() {
			d := days(day(base), today)
			q := float64(d) / float64(cadence)
			add(HealthContact, (q-1)/2, map[string]int{"days": d, "cadence": cadence, "planned": planned, "never": never}, "")
		}
	}

	// Open claims, by severity; overdue ones weigh half as much again.
	share, open, overdue, severe := 0.0, 0, 0, 0
	for _, c := range f.Claims {
		if !c.Status.Open() {
			continue
		}
		open++
		p, ok := openClaimPenalty[c.Severity]
		if !ok {
			p = openClaimPenalty[SeverityMedium]
		}
		due := c.ResolveDue
		if c.Status.AwaitsAck() && !c.AckDue.IsZero() {
			due = c.AckDue
		}
		if !due.IsZero() && now.After(due) {
			overdue++
			p *= 1.5
		}
		if c.Severity.Rank() >= SeverityHigh.Rank() {
			severe++
		}
		share += p
	}
	add(HealthClaims, share, map[string]int{"open": open, "overdue": overdue, "severe": severe}, "")

	// The latest satisfaction scores of the year.
	var sat []Satisfaction
	for _, s := range f.Satisfaction {
		if !s.At.After(now) && now.Sub(s.At) <= HealthYear && s.Valid() {
			sat = append(sat, s)
		}
	}
	sort.SliceStable(sat, func(i, j int) bool {
		if !sat[i].At.Equal(sat[j].At) {
			return sat[i].At.After(sat[j].At)
		}
		return sat[i].ID > sat[j].ID
	})
	if len(sat) > HealthSatisfactionLast {
		sat = sat[:HealthSatisfactionLast]
	}
	if len(sat) > 0 {
		sum := 0.0
		for i := range sat {
			sum += sat[i].Value()
		}
		add(HealthSatisfaction, 1-sum/float64(len(sat)), map[string]int{"score": sat[0].Score, "count": len(sat)}, sat[0].Kind)
	}

	// Deal momentum of the last half year: lost (a cancelled order counts
	// twice) and stuck deals against won ones.
	stuckAfter := f.StuckAfter
	if stuckAfter <= 0 {
		stuckAfter = DefaultStuckAfter
	}
	var won, lost, stuck int
	m := 0.0
	for _, d := range f.Deals {
		switch {
		case d.Open():
			if !d.StageSince.IsZero() && now.Sub(d.StageSince) > stuckAfter {
				stuck++
				m += 0.5
			}
		case d.ClosedAt.After(now) || now.Sub(d.ClosedAt) > HealthRecent:
		case d.Won():
			won++
			m--
		case d.Lost():
			lost++
			m++
			if d.Cancelled {
				m++
			}
		}
	}
	add(HealthDeals, m/2, map[string]int{"won": won, "lost": lost, "stuck": stuck}, "")

	// Payments of the year: on time 1, late d days 1 − d/60.
	if pt := tallyPayments(f.Payments, now.Add(-HealthYear), now); pt.n > 0 {
		add(HealthPayments, 1-pt.sum/float64(pt.n), map[string]int{"count": pt.n, "late": pt.late, "days": pt.avgLate}, "")
	}

	// Promises due in the last half year (or still open and late), either
	// way: the share broken.
	var kept, broken int
	for i := range f.Promises {
		p := &f.Promises[i]
		if p.Due.After(now) || (now.Sub(p.Due) > HealthRecent && !p.Open()) {
			continue
		}
		switch {
		case p.BrokenAt(now):
			broken++
		case p.KeptAt(now):
			kept++
		}
	}
	if kept+broken > 0 {
		add(HealthPromises, float64(broken)/float64(kept+broken), map[string]int{"broken": broken, "count": kept + broken}, "")
	}

	sort.SliceStable(factors, func(i, j int) bool { return factors[i].Effect < factors[j].Effect })
	score := 100
	for _, fc := range factors {
		score += fc.Effect
	}
	score = max(0, min(100, score))
	return Health{Score: score, Band: BandOf(score), Factors: factors}
}

// HealthDay is one day's score in a summary's history.
type HealthDay struct {
	Day   string `json:"d"`
	Score int    `json:"s"`
}

// HealthSummary is the stored health of one client: the score with its
// factors as of Day, the daily history for the trend, and the playbook's
// marker.
type HealthSummary struct {
	ClientID uint64 `json:"client_id"`
	OwnerID  uint64 `json:"owner_id"`
	Name     string `json:"name"`
	Health
	// Day is the day ("2006-01-02", in the company's zone) it was computed
	// for; At the time.
	Day string    `json:"day"`
	At  time.Time `json:"at"`
	// History holds the score of each day it was computed, oldest first,
	// at most HealthHistoryDays.
	History []HealthDay `json:"history,omitempty"`
	// PlaybookBand is the worst band a playbook task was given for since
	// the account was last healthy ("" when none): one task per fall.
	PlaybookBand Band   `json:"playbook_band,omitempty"`
	PlaybookTask uint64 `json:"playbook_task,omitempty"`
}

// Record sets the health of day and keeps it in the history.
func (s *HealthSummary) Record(h Health, day string, at time.Time) {
	s.Health, s.Day, s.At = h, day, at
	if n := len(s.History); n > 0 && s.History[n-1].Day == day {
		s.History[n-1].Score = h.Score
	} else {
		s.History = append(s.History, HealthDay{Day: day, Score: h.Score})
	}
	if n := len(s.History); n > HealthHistoryDays {
		s.History = append([]HealthDay(nil), s.History[n-HealthHistoryDays:]...)
	}
}

// ScoreOn returns the score of the latest day in the history on or before
// day, and whether there is one.
func (s *HealthSummary) ScoreOn(day string) (HealthDay, bool) {
	for i := len(s.History) - 1; i >= 0; i-- {
		if s.History[i].Day <= day {
			return s.History[i], true
		}
	}
	return HealthDay{}, false
}

// PlaybookFall decides whether moving from the summary's stored band to
// h's calls for a playbook task: the account fell into a band worse than
// any it was given a task for since it was last healthy. It returns the
// band to record.
func (s *HealthSummary) PlaybookFall(h Health) (fell bool, band Band) {
	if h.Band == BandHealthy {
		return false, ""
	}
	if h.Band.Rank() > s.PlaybookBand.Rank() {
		return true, h.Band
	}
	return false, s.PlaybookBand
}

// HealthSettings are the playbook's rules: a task when an account falls
// into at risk, and when it falls into critical.
type HealthSettings struct {
	AtRiskTask   bool `json:"at_risk_task"`
	CriticalTask bool `json:"critical_task"`
}

// DefaultHealthSettings has both rules on.
func DefaultHealthSettings() HealthSettings {
	return HealthSettings{AtRiskTask: true, CriticalTask: true}
}

// Wants reports whether a fall into band makes a task.
func (s HealthSettings) Wants(b Band) bool {
	switch b {
	case BandAtRisk:
		return s.AtRiskTask
	case BandCritical:
		return s.CriticalTask
	}
	return false
}

// HealthRow is one account of a health list: what the owner's index
// holds, so that a list reads no client record.
type HealthRow struct {
	ClientID uint64
	OwnerID  uint64
	Name     string
	Score    int
	Band     Band
	Main     HealthFactor
}

type healthChangesCtx struct{}

// HealthChanges collects the clients whose health inputs a request's
// writes changed, so that their scores are brought up to date as soon as
// the request is answered.
type HealthChanges struct {
	mu  sync.Mutex
	ids []uint64
}

// WithHealthChanges returns ctx carrying a new collector.
func WithHealthChanges(ctx context.Context) (context.Context, *HealthChanges) {
	t := &HealthChanges{}
	return context.WithValue(ctx, healthChangesCtx{}, t), t
}

// NoteHealthChange records that a write of ctx's request changed the inputs of
// client id's health (a no-op without a collector).
func NoteHealthChange(ctx context.Context, id uint64) {
	t, _ := ctx.Value(healthChangesCtx{}).(*HealthChanges)
	if t == nil || id == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, x := range t.ids {
		if x == id {
			return
		}
	}
	t.ids = append(t.ids, id)
}

// IDs returns the touched clients, in the order first touched.
func (t *HealthChanges) IDs() []uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]uint64(nil), t.ids...)
}

// HealthUpdate is a newly computed health of one client, to be stored.
type HealthUpdate struct {
	ClientID uint64
	// Version is the version of the client's "inputs changed" marker read
	// before the facts were: the marker is cleared only if it is unchanged.
	Version uint64
	Health  Health
	// Day is the day it was computed for ("2006-01-02"), At the time.
	Day string
	At  time.Time
	// Task is the playbook task to give the owner if the account just fell
	// into a worse band (nil for a healthy account).
	Task *Task
}

// QBRFacts are what a quarterly business review brief is written from:
// one client's period, every figure already counted and every word that
// needs the reader's language already phrased by the caller.
type QBRFacts struct {
	Lang   string
	Today  time.Time
	Sender string
	Client string
	// From and To are the period's first and last days; Period names it
	// ("Q3 2026" or "2026-08-28 – 2026-11-26").
	From, To time.Time
	Period   string

	Talks int
	// Channels are the talks per channel, most first ("3 calls").
	Channels []string
	// Latest are the period's latest conversations, newest first.
	Latest []FactConversation

	Won, Lost, Open  int
	WonSum, OpenSum  string
	Deals            []FactDeal
	ClaimsNew        int
	ClaimsResolved   int
	Claims           []FactClaim
	PromisesKept     int
	PromisesBroken   int
	PromisesOpen     []FactStep
	Health           int
	Band             string
	Trend            string
	Reasons          []string
	Satisfaction     string
	Renewal          string
	RenewalRef       string
	HasHealthHistory bool
}
