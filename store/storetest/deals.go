package storetest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

var dealT0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newDeal(owner, client uint64, amount string, stage crm.Stage, cur string) *crm.Deal {
	return &crm.Deal{OwnerID: owner, ClientID: client, Title: "deal", Amount: decimal.RequireFromString(amount), Currency: cur,
		Stage: stage, CreatedAt: dealT0, History: []crm.StageEntry{{Stage: stage, At: dealT0}}}
}

func testLargestOpenDealsAndStage(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	for i, a := range []string{"100", "2500.5", "999.99", "2500.49", "50", "1000000"} {
		st := crm.OpenStages[i%4]
		d := newDeal(uint64(1+i%2), 1, a, st, "EUR")
		if err := s.CreateDeal(ctx, d, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	won := newDeal(1, 1, "5000000", crm.StageLead, "EUR")
	if err := s.CreateDeal(ctx, won, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateDeal(ctx, won.ID, crm.Actor{PersonID: 1}, dealT0, func(d *crm.Deal) error { return d.MoveTo(crm.StageWon, dealT0, 1) }); err != nil {
		t.Fatal(err)
	}
	top, err := s.LargestOpenDeals(ctx, []uint64{1, 2}, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range top {
		got = append(got, d.Amount.String())
	}
	if fmt.Sprint(got) != "[1000000 2500.5 2500.49]" {
		t.Errorf("largest = %v", got)
	}
	top, err = s.LargestOpenDeals(ctx, []uint64{1, 2}, crm.StageQualified, 10)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, d := range top {
		got = append(got, d.Amount.String()+" "+string(d.Stage))
	}
	if fmt.Sprint(got) != "[1000000 qualified 2500.5 qualified]" {
		t.Errorf("largest qualified = %v", got)
	}
}

func testOpenDealsClosingAndHistory(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	months := []time.Time{
		time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, m := range months {
		d := newDeal(1, 1, "10", crm.StageLead, "EUR")
		d.ExpectedClose = m
		if err := s.CreateDeal(ctx, d, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := s.OpenDealsClosing(ctx, crm.ClosingQuery{Owners: []uint64{1}, From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}, func(d *crm.Deal) bool {
		got = append(got, d.ExpectedClose.Format("2006-01-02"))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != "[2026-04-01 2026-06-30]" {
		t.Errorf("closing in Q2 = %v", got)
	}
	// Every change is in the history with who and when.
	at := dealT0.Add(24 * time.Hour)
	if _, err := s.UpdateDeal(ctx, 1, crm.Actor{PersonID: 2, OnBehalfOf: 3}, at, func(d *crm.Deal) error {
		d.Amount = decimal.RequireFromString("12.5")
		return d.MoveTo(crm.StageProposal, at, 2)
	}); err != nil {
		t.Fatal(err)
	}
	h, err := s.History(ctx, "deal", 1)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range h {
		lines = append(lines, fmt.Sprintf("%s %s→%s by %d for %d", c.Field, c.Old, c.New, c.By, c.OnBehalfOf))
	}
	want := "[created →deal by 1 for 0 amount 10→12.5 by 2 for 3 stage lead→proposal by 2 for 3]"
	if fmt.Sprint(lines) != want {
		t.Errorf("history = %v\nwant %v", lines, want)
	}
}

func testImportDeals(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	var ds []*crm.Deal
	for i := 0; i < 450; i++ {
		d := newDeal(uint64(1+i%3), 1, "1", crm.StageLead, "EUR")
		if i%2 == 0 {
			d.Stage = crm.StageWon
		}
		ds = append(ds, d)
	}
	if err := s.ImportDeals(ctx, ds, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	if ds[449].ID != 450 {
		t.Errorf("last id = %d", ds[449].ID)
	}
	tot, err := s.ClosedTotals(ctx, crm.ClosedQuery{Owners: []uint64{1, 2, 3}, From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	openTot, err := s.OpenTotals(ctx, []uint64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range append(tot, openTot...) {
		n += x.Count
	}
	if n != 450 {
		t.Errorf("totals count %d deals, want 450", n)
	}
	mine, err := s.OwnerDeals(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 150 {
		t.Errorf("OwnerDeals(1) = %d deals, want 150", len(mine))
	}
	for _, d := range mine {
		if d.OwnerID != 1 || d.Stage == crm.StageWon && d.ClosedAt.IsZero() {
			t.Errorf("OwnerDeals(1) gave %+v", d)
		}
	}
}
