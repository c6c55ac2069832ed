package store

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

func openDealsStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newDeal(owner, client uint64, amount string, stage crm.Stage, cur string) *crm.Deal {
	return &crm.Deal{OwnerID: owner, ClientID: client, Title: "deal", Amount: decimal.RequireFromString(amount), Currency: cur,
		Stage: stage, CreatedAt: t0, History: []crm.StageEntry{{Stage: stage, At: t0}}}
}

// totalsFromDeals recomputes what the running totals must say.
func totalsFromDeals(deals []*crm.Deal) map[string]string {
	type acc struct {
		n    int
		s, w decimal.Decimal
	}
	m := map[string]*acc{}
	for _, d := range deals {
		k := fmt.Sprintf("%d/%s/%s/%d", d.OwnerID, d.Stage, d.Currency, 0)
		if !d.Open() {
			k = fmt.Sprintf("%d/%s/%s/%d", d.OwnerID, d.Stage, d.Currency, crm.MonthOf(d.ClosedAt))
		}
		a := m[k]
		if a == nil {
			a = &acc{}
			m[k] = a
		}
		a.n++
		a.s = a.s.Add(d.Amount)
		a.w = a.w.Add(d.Weighted())
	}
	out := map[string]string{}
	for k, a := range m {
		out[k] = fmt.Sprintf("%d %s %s", a.n, a.s.String(), a.w.String())
	}
	return out
}

func totalsFromStore(ts []crm.StageTotal) map[string]string {
	out := map[string]string{}
	for _, t := range ts {
		out[fmt.Sprintf("%d/%s/%s/%d", t.OwnerID, t.Stage, t.Currency, t.Month)] = fmt.Sprintf("%d %s %s", t.Count, t.Sum.String(), t.Weighted.String())
	}
	return out
}

// The running totals always equal the sums over the deals, whatever
// sequence of creations, moves, edits, closings and reopenings led there.
func TestDealTotalsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	s := openDealsStore(t)
	rng := rand.New(rand.NewSource(7))
	var ids []uint64
	at := t0
	for i := 0; i < 400; i++ {
		at = at.Add(7 * time.Hour)
		if len(ids) < 5 || rng.Intn(3) == 0 {
			cur := []string{"EUR", "USD"}[rng.Intn(2)]
			d := newDeal(uint64(1+rng.Intn(3)), uint64(1+rng.Intn(4)), fmt.Sprintf("%d.%02d", rng.Intn(100000), rng.Intn(100)), crm.OpenStages[rng.Intn(4)], cur)
			d.CreatedAt = at
			if rng.Intn(2) == 0 {
				d.ExpectedClose = at.AddDate(0, rng.Intn(5), 0)
			}
			if err := s.CreateDeal(ctx, d, crm.Actor{PersonID: 1}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
			continue
		}
		id := ids[rng.Intn(len(ids))]
		_, err := s.UpdateDeal(ctx, id, crm.Actor{PersonID: 1}, at, func(d *crm.Deal) error {
			switch rng.Intn(6) {
			case 0:
				return d.MoveTo(crm.Stages[rng.Intn(len(crm.Stages))], at, 1)
			case 1:
				return d.Reopen(at, 1)
			case 2:
				d.Amount = decimal.New(int64(rng.Intn(1000000)), -2)
			case 3:
				p := rng.Intn(101)
				d.Probability = &p
			case 4:
				d.OwnerID = uint64(1 + rng.Intn(3))
			case 5:
				d.ExpectedClose = at.AddDate(0, rng.Intn(4), 0)
			}
			return nil
		})
		if err != nil && crm.ErrorCode(err) != crm.ECONFLICT && crm.ErrorCode(err) != crm.EINVALID {
			t.Fatal(err)
		}
	}
	var all []*crm.Deal
	for _, id := range ids {
		d, err := s.Deal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, d)
	}
	got, err := s.OpenTotals(ctx, []uint64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	closedM, err := s.closedTotals(ctx, []uint64{1, 2, 3}, false, 0, 999999)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, closedM...)
	// The daily totals add up to the monthly ones.
	days, err := s.closedTotals(ctx, []uint64{1, 2, 3}, true, 0, 99999999)
	if err != nil {
		t.Fatal(err)
	}
	dayCount := map[string]int{}
	for _, d := range days {
		dayCount[fmt.Sprintf("%d/%s/%s/%d", d.OwnerID, d.Stage, d.Currency, d.Day/100)] += d.Count
	}
	for _, m := range closedM {
		if k := fmt.Sprintf("%d/%s/%s/%d", m.OwnerID, m.Stage, m.Currency, m.Month); dayCount[k] != m.Count {
			t.Errorf("daily totals of %s count %d, the monthly one %d", k, dayCount[k], m.Count)
		}
	}
	want := totalsFromDeals(all)
	have := totalsFromStore(got)
	if len(want) != len(have) {
		t.Errorf("%d totals, want %d", len(have), len(want))
	}
	for k, v := range want {
		if have[k] != v {
			t.Errorf("total %s = %q, want %q", k, have[k], v)
		}
	}

	// So do the totals by expected close month.
	wantClose := map[string]string{}
	{
		type acc struct {
			n    int
			s, w decimal.Decimal
		}
		m := map[string]*acc{}
		for _, d := range all {
			if !d.Open() || d.ExpectedClose.IsZero() {
				continue
			}
			k := fmt.Sprintf("%d/%s/%d", d.OwnerID, d.Currency, crm.MonthOf(d.ExpectedClose))
			if m[k] == nil {
				m[k] = &acc{}
			}
			m[k].n++
			m[k].s = m[k].s.Add(d.Amount)
			m[k].w = m[k].w.Add(d.Weighted())
		}
		for k, a := range m {
			wantClose[k] = fmt.Sprintf("%d %s %s", a.n, a.s, a.w)
		}
	}
	ct, err := s.ClosingTotals(ctx, crm.ClosingQuery{Owners: []uint64{1, 2, 3}, To: time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) != len(wantClose) {
		t.Errorf("%d closing totals, want %d", len(ct), len(wantClose))
	}
	for _, c := range ct {
		k := fmt.Sprintf("%d/%s/%d", c.OwnerID, c.Currency, c.Month)
		if got := fmt.Sprintf("%d %s %s", c.Count, c.Sum, c.Weighted); got != wantClose[k] {
			t.Errorf("closing total %s = %q, want %q", k, got, wantClose[k])
		}
	}

	// The indexes agree with the deals too.
	open := map[uint64]bool{}
	for _, d := range all {
		if d.Open() {
			open[d.ID] = true
		}
	}
	seen := 0
	if err := s.EachOpenDeal(ctx, []uint64{1, 2, 3}, func(d *crm.Deal) bool {
		if !open[d.ID] {
			t.Errorf("EachOpenDeal gave closed or unknown %s", d.Ref())
		}
		seen++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if seen != len(open) {
		t.Errorf("EachOpenDeal gave %d deals, want %d", seen, len(open))
	}
	closed := 0
	if err := s.ClosedDeals(ctx, []uint64{1, 2, 3}, time.Time{}, at.Add(time.Hour), func(d *crm.Deal) bool {
		if d.Open() {
			t.Errorf("ClosedDeals gave open %s", d.Ref())
		}
		closed++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if closed != len(all)-len(open) {
		t.Errorf("ClosedDeals gave %d, want %d", closed, len(all)-len(open))
	}
	for c := uint64(1); c <= 4; c++ {
		ds, err := s.ClientDeals(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.ClientID != c {
				t.Errorf("ClientDeals(%d) gave %s of client %d", c, d.Ref(), d.ClientID)
			}
		}
	}
}

func TestSummaryCodecRoundTrip(t *testing.T) {
	sofia := time.FixedZone("", 3*3600)
	p := 35
	for _, d := range []*crm.Deal{
		{ID: 7, ClientID: 3, OwnerID: 2, CreatedBy: 9, Title: "Помпи \"A\"", Amount: decimal.RequireFromString("12500.505"), Currency: "EUR",
			Stage: crm.StageProposal, Probability: &p, ExpectedClose: time.Date(2026, 6, 1, 0, 0, 0, 0, sofia), CreatedAt: t0,
			History: []crm.StageEntry{{Stage: crm.StageLead, At: t0}, {Stage: crm.StageProposal, At: t0.Add(time.Hour), By: 4}}},
		{ID: 1 << 40, Title: "", Amount: decimal.RequireFromString("1e12"), Currency: "USD", Stage: crm.StageLost, CreatedAt: t0,
			ClosedAt: t0.Add(48 * time.Hour), Competitor: "Rival", LossReason: "price", History: nil},
		{ID: 2, Amount: decimal.Zero, Stage: crm.StageLead},
		{ID: 3, Amount: decimal.New(5, 3), Currency: "EUR", Stage: crm.StageLost, ClosedAt: t0, Cancelled: true, LossReason: "order withdrawn"},
	} {
		got, err := decodeDealSummary(encodeDealSummary(d))
		if err != nil {
			t.Fatal(err)
		}
		want := summaryOf(d)
		if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) && !sameDeal(got, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", *got, *want)
		}
		if crm.MonthOf(got.ExpectedClose) != crm.MonthOf(d.ExpectedClose) {
			t.Errorf("close month %d, want %d", crm.MonthOf(got.ExpectedClose), crm.MonthOf(d.ExpectedClose))
		}
	}
	// A summary written before the flags byte existed reads as not cancelled.
	old := encodeDealSummary(&crm.Deal{ID: 4, Stage: crm.StageLost, Cancelled: true})
	if got, err := decodeDealSummary(old[:len(old)-1]); err != nil || got.Cancelled || got.ID != 4 {
		t.Errorf("summary without flags: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {0}, {1}, {1, 5}, encodeDealSummary(&crm.Deal{Title: "x"})[:5]} {
		if _, err := decodeDealSummary(bad); err == nil {
			t.Errorf("decodeDealSummary(%v) accepted", bad)
		}
	}
}

// summaryOf is what a summary must decode to.
func summaryOf(d *crm.Deal) *crm.Deal {
	s := *d
	var by uint64
	if n := len(d.History); n > 0 {
		by = d.History[n-1].By
	}
	s.History = []crm.StageEntry{{Stage: d.Stage, At: d.StageSince(), By: by}}
	return &s
}

func sameDeal(a, b *crm.Deal) bool {
	pa, pb := -1, -1
	if a.Probability != nil {
		pa = *a.Probability
	}
	if b.Probability != nil {
		pb = *b.Probability
	}
	return a.ID == b.ID && a.ClientID == b.ClientID && a.OwnerID == b.OwnerID && a.CreatedBy == b.CreatedBy && a.Title == b.Title &&
		a.Amount.Equal(b.Amount) && a.Currency == b.Currency && a.Stage == b.Stage && pa == pb &&
		a.ExpectedClose.Equal(b.ExpectedClose) && a.CreatedAt.Equal(b.CreatedAt) && a.ClosedAt.Equal(b.ClosedAt) &&
		a.Competitor == b.Competitor && a.LossReason == b.LossReason &&
		len(a.History) == 1 && len(b.History) == 1 && a.History[0].Stage == b.History[0].Stage &&
		a.History[0].At.Equal(b.History[0].At) && a.History[0].By == b.History[0].By
}
