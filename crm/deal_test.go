package crm

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestStageWeights(t *testing.T) {
	want := map[Stage]int{StageLead: 10, StageQualified: 25, StageProposal: 50, StageNegotiation: 75, StageWon: 100, StageLost: 0}
	for st, w := range want {
		if st.Weight() != w {
			t.Errorf("%s weighs %d, want %d", st, st.Weight(), w)
		}
	}
}

func TestDealProbabilityAndWeighted(t *testing.T) {
	d := &Deal{Amount: decimal.RequireFromString("12345.67"), Stage: StageQualified}
	if got := d.Weighted(); !got.Equal(decimal.RequireFromString("3086.4175")) {
		t.Errorf("weighted at 25%% = %s", got)
	}
	p := 60
	d.Probability = &p
	if d.Prob() != 60 || !d.Weighted().Equal(decimal.RequireFromString("7407.402")) {
		t.Errorf("own probability: %d %s", d.Prob(), d.Weighted())
	}
	d.Stage = StageLost
	if d.Prob() != 0 || !d.Weighted().IsZero() {
		t.Errorf("lost deal weighs %d", d.Prob())
	}
	d.Stage = StageWon
	if d.Prob() != 100 || !d.Weighted().Equal(d.Amount) {
		t.Errorf("won deal weighs %d", d.Prob())
	}
}

func TestDealMovesAndReopen(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	d := &Deal{ID: 7, Stage: StageLead, CreatedAt: t0, History: []StageEntry{{Stage: StageLead, At: t0}}}
	if err := d.MoveTo(StageLead, t0, 1); ErrorCode(err) != ECONFLICT {
		t.Errorf("same stage: %v", err)
	}
	if err := d.MoveTo("maybe", t0, 1); ErrorCode(err) != EINVALID {
		t.Errorf("bad stage: %v", err)
	}
	t1 := t0.Add(72 * time.Hour)
	if err := d.MoveTo(StageNegotiation, t1, 1); err != nil || !d.StageSince().Equal(t1) || !d.Open() {
		t.Fatalf("move: %v", err)
	}
	t2 := t1.Add(time.Hour)
	if err := d.MoveTo(StageWon, t2, 1); err != nil || !d.ClosedAt.Equal(t2) || d.Open() {
		t.Fatalf("won: %v", err)
	}
	if err := d.MoveTo(StageLead, t2, 1); ErrorCode(err) != ECONFLICT {
		t.Errorf("a won deal moved: %v", err)
	}
	if err := d.Reopen(t2, 1); err != nil || d.Stage != StageNegotiation || !d.ClosedAt.IsZero() {
		t.Errorf("reopen: %v, stage %s", err, d.Stage)
	}
	if err := d.Reopen(t2, 1); ErrorCode(err) != ECONFLICT {
		t.Errorf("reopened an open deal: %v", err)
	}
	sp := d.Spans()
	if len(sp) != 4 || !sp[0].To.Equal(t1) || !sp[3].To.IsZero() || sp[2].Stage != StageWon {
		t.Errorf("spans = %+v", sp)
	}
	if DayOf(t2) != 20260104 || MonthOf(t2) != 202601 || MonthOf(time.Time{}) != 0 {
		t.Errorf("DayOf/MonthOf = %d %d", DayOf(t2), MonthOf(t2))
	}
}
