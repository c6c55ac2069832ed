package crm

import (
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Stage is where a deal stands in the sales pipeline.
type Stage string

// Deal stages in pipeline order. The first four are open; won and lost are
// closed.
const (
	StageLead        Stage = "lead"
	StageQualified   Stage = "qualified"
	StageProposal    Stage = "proposal"
	StageNegotiation Stage = "negotiation"
	StageWon         Stage = "won"
	StageLost        Stage = "lost"
)

// Stages lists every stage in pipeline order.
var Stages = []Stage{StageLead, StageQualified, StageProposal, StageNegotiation, StageWon, StageLost}

// OpenStages are the stages of deals still being worked on.
var OpenStages = []Stage{StageLead, StageQualified, StageProposal, StageNegotiation}

// stageWeights are the default probabilities of closing, in percent.
var stageWeights = map[Stage]int{
	StageLead: 10, StageQualified: 25, StageProposal: 50, StageNegotiation: 75, StageWon: 100, StageLost: 0,
}

// Weight returns the stage's default probability of winning, in percent.
func (s Stage) Weight() int { return stageWeights[s] }

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool { _, ok := stageWeights[s]; return ok }

// Open reports whether a deal in this stage is still being worked on.
func (s Stage) Open() bool { return s.Valid() && s != StageWon && s != StageLost }

// Index returns the stage's position in Stages (0 for lead), or -1.
func (s Stage) Index() int {
	for i, x := range Stages {
		if x == s {
			return i
		}
	}
	return -1
}

// StageEntry records that a deal entered a stage.
type StageEntry struct {
	Stage Stage     `json:"stage"`
	At    time.Time `json:"at"`
	By    uint64    `json:"by,omitempty"`
}

// Deal is a sale being worked on with a client.
type Deal struct {
	ID       uint64          `json:"id"`
	ClientID uint64          `json:"client_id"`
	OwnerID  uint64          `json:"owner_id"`
	Title    string          `json:"title"`
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
	Stage    Stage           `json:"stage"`
	// Probability overrides the stage weight (percent) while the deal is
	// open; nil means the stage weight.
	Probability *int `json:"probability,omitempty"`
	// ExpectedClose is midnight of the expected closing day, in the time
	// zone of whoever set it; zero when not known.
	ExpectedClose time.Time `json:"expected_close,omitempty"`
	Competitor    string    `json:"competitor,omitempty"`
	LossReason    string    `json:"loss_reason,omitempty"`
	// Cancelled marks a lost deal the client called off (an order
	// withdrawn, before or after it was won): it counts against the
	// buyer's reliability more than a deal simply lost.
	Cancelled bool      `json:"cancelled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy uint64    `json:"created_by,omitempty"`
	// ClosedAt is when the deal was won or lost; zero while open.
	ClosedAt time.Time `json:"closed_at,omitempty"`
	// History lists every stage the deal entered, oldest first.
	History []StageEntry `json:"history"`
}

// Ref is the deal's short id as people see and type it: "D-7".
func (d *Deal) Ref() string { return DealRef(d.ID) }

// DealRef formats a deal id: "D-7".
func DealRef(id uint64) string { return "D-" + strconv.FormatUint(id, 10) }

// Open reports whether the deal is neither won nor lost.
func (d *Deal) Open() bool { return d.Stage.Open() }

// Prob returns the probability of winning in percent: the deal's own while
// it is open and has one, else the stage weight (100 won, 0 lost).
func (d *Deal) Prob() int {
	if d.Open() && d.Probability != nil {
		return *d.Probability
	}
	return d.Stage.Weight()
}

// Weighted returns the amount times the probability, exactly.
func (d *Deal) Weighted() decimal.Decimal {
	return d.Amount.Mul(decimal.NewFromInt(int64(d.Prob()))).Shift(-2)
}

// StageSince returns when the deal entered its current stage.
func (d *Deal) StageSince() time.Time {
	if n := len(d.History); n > 0 {
		return d.History[n-1].At
	}
	return d.CreatedAt
}

// MoveTo puts the deal in stage at time at. A closed deal does not move
// (it must be reopened first); moving to won or lost closes it.
func (d *Deal) MoveTo(stage Stage, at time.Time, by uint64) error {
	if !stage.Valid() {
		return Errorf(EINVALID, "deal.bad_stage", "value", string(stage))
	}
	if !d.Open() {
		return Errorf(ECONFLICT, "deal.closed", "id", d.Ref(), "stage", string(d.Stage))
	}
	if stage == d.Stage {
		return Errorf(ECONFLICT, "deal.same_stage", "id", d.Ref(), "stage", string(stage))
	}
	d.Stage = stage
	d.History = append(d.History, StageEntry{Stage: stage, At: at, By: by})
	if !stage.Open() {
		d.ClosedAt = at
	}
	return nil
}

// Cancel records that the client called the deal off: an open or won deal
// becomes lost; a lost one is marked as cancelled.
func (d *Deal) Cancel(at time.Time, by uint64) error {
	if d.Cancelled {
		return Errorf(ECONFLICT, "deal.already_cancelled", "id", d.Ref())
	}
	if d.Stage != StageLost {
		d.Stage = StageLost
		d.History = append(d.History, StageEntry{Stage: StageLost, At: at, By: by})
		d.ClosedAt = at
	}
	d.Cancelled = true
	return nil
}

// Reopen puts a closed deal back in the last open stage it was in (lead
// when none is known).
func (d *Deal) Reopen(at time.Time, by uint64) error {
	if d.Open() {
		return Errorf(ECONFLICT, "deal.not_closed", "id", d.Ref())
	}
	back := StageLead
	for i := len(d.History) - 1; i >= 0; i-- {
		if d.History[i].Stage.Open() {
			back = d.History[i].Stage
			break
		}
	}
	d.Stage = back
	d.ClosedAt = time.Time{}
	d.Cancelled = false
	d.History = append(d.History, StageEntry{Stage: back, At: at, By: by})
	return nil
}

// StageSpan is one stay of a deal in a stage.
type StageSpan struct {
	Stage Stage
	From  time.Time
	// To is when the deal left the stage; zero for the current stage.
	To time.Time
	By uint64
}

// Spans returns the deal's stays in each stage, oldest first.
func (d *Deal) Spans() []StageSpan {
	out := make([]StageSpan, 0, len(d.History))
	for i, h := range d.History {
		sp := StageSpan{Stage: h.Stage, From: h.At, By: h.By}
		if i+1 < len(d.History) {
			sp.To = d.History[i+1].At
		}
		out = append(out, sp)
	}
	return out
}

// Fields returns the deal's fields as text, for history diffs.
func (d *Deal) Fields() map[string]string {
	m := map[string]string{
		"title":    d.Title,
		"amount":   d.Amount.String(),
		"currency": d.Currency,
		"stage":    string(d.Stage),
		"owner":    strconv.FormatUint(d.OwnerID, 10),
	}
	if d.Probability != nil {
		m["probability"] = strconv.Itoa(*d.Probability)
	}
	if !d.ExpectedClose.IsZero() {
		m["close"] = d.ExpectedClose.Format("2006-01-02")
	}
	if d.Competitor != "" {
		m["competitor"] = d.Competitor
	}
	if d.LossReason != "" {
		m["reason"] = d.LossReason
	}
	if d.Cancelled {
		m["cancelled"] = "yes"
	}
	return m
}

// Clone returns a deep copy.
func (d *Deal) Clone() *Deal {
	cp := *d
	if d.Probability != nil {
		p := *d.Probability
		cp.Probability = &p
	}
	cp.History = append([]StageEntry(nil), d.History...)
	return &cp
}

// StageTotal is the running total of one owner's deals in one stage and
// currency: how many, their sum and their weighted sum. For won and lost
// deals it covers one month (Month as yyyymm) or one day (Day as
// yyyymmdd) of closing; for open ones both are 0. Totals by expected
// close month have Month set and Stage empty.
type StageTotal struct {
	OwnerID  uint64
	Stage    Stage
	Currency string
	Month    int
	Day      int
	Count    int
	Sum      decimal.Decimal
	Weighted decimal.Decimal
}

// DayOf returns t's calendar day as yyyymmdd, in t's own time zone.
func DayOf(t time.Time) int {
	if t.IsZero() {
		return 0
	}
	return t.Year()*10000 + int(t.Month())*100 + t.Day()
}

// MonthOf returns t's calendar month as yyyymm, in t's own time zone.
func MonthOf(t time.Time) int {
	if t.IsZero() {
		return 0
	}
	return t.Year()*100 + int(t.Month())
}

// ClosedQuery picks the owners' deals won or lost in [From, To), both the
// starts of calendar days in one time zone.
type ClosedQuery struct {
	Owners   []uint64
	From, To time.Time
}

// ClosingQuery picks the owners' open deals by their expected close month:
// the months of From to To, both included, as each time's own zone has
// them; a zero From has no lower end. Deals without a close date are in
// none.
type ClosingQuery struct {
	Owners   []uint64
	From, To time.Time
}
