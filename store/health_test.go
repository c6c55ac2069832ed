package store

import (
	"context"
	"testing"
	"time"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

var healthT0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func atRisk(score int) crm.Health {
	return crm.Health{Score: score, Band: crm.BandOf(score), Factors: []crm.HealthFactor{{Name: crm.HealthContact, Effect: score - 100, Args: map[string]int{"days": 64, "cadence": 14, "planned": 1}}}}
}

// The list entry and open renewals move with a reassigned client, and
// everything health keeps goes with an erased one.
func TestHealthFollowsOwnerAndErasure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openDisk(t, dir, nil)
	defer func() { s.Close() }()
	c := addClient(t, s, "Acme", 1)
	keep := addClient(t, s, "Keep", 1)
	marker := uniqueMarker(t)[3:]
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.SaveHealth(ctx, crm.HealthUpdate{ClientID: c.ID, Health: atRisk(60), Day: "2026-11-26", At: healthT0},
		crm.HealthUpdate{ClientID: keep.ID, Health: atRisk(55), Day: "2026-11-26", At: healthT0})
	must(err)
	r1 := &crm.Renewal{ClientID: c.ID, Date: healthT0.AddDate(0, 2, 0), Amount: decimal.New(5000, 0), Currency: "EUR", Contract: "K-" + marker, CreatedBy: 1, CreatedAt: healthT0}
	must(s.CreateRenewal(ctx, r1))
	must(s.AddSatisfaction(ctx, &crm.Satisfaction{ClientID: c.ID, Kind: crm.SatisfactionCSAT, Score: 2, Comment: "slow " + marker, By: 1, At: healthT0}))
	if rows, _ := s.HealthRows(ctx, []uint64{1}); len(rows) != 2 || rows[0].ClientID != keep.ID {
		t.Fatalf("rows before, worst first: %+v", rows)
	}
	if _, err := s.UpdateClient(ctx, c.ID, crm.Actor{PersonID: 1}, healthT0, func(c *crm.Client) error { c.OwnerID = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.HealthRows(ctx, []uint64{2}); len(rows) != 1 || rows[0].ClientID != c.ID {
		t.Fatalf("rows of the new owner: %+v", rows)
	}
	if rs, _ := s.OpenRenewals(ctx, []uint64{2}, healthT0.AddDate(1, 0, 0)); len(rs) != 1 || rs[0].OwnerID != 2 {
		t.Fatalf("renewals of the new owner: %+v", rs)
	}
	if rs, _ := s.OpenRenewals(ctx, []uint64{1}, healthT0.AddDate(1, 0, 0)); len(rs) != 0 {
		t.Fatalf("renewals left with the old owner: %+v", rs)
	}
	// Done, out of the open index; a new one gets the next id.
	_, err = s.UpdateRenewal(ctx, r1.ID, crm.Actor{PersonID: 2}, healthT0, func(r *crm.Renewal) error { r.DoneAt = healthT0; return nil })
	must(err)
	if rs, _ := s.OpenRenewals(ctx, []uint64{2}, healthT0.AddDate(1, 0, 0)); len(rs) != 0 {
		t.Fatalf("a done renewal is open: %+v", rs)
	}
	r2 := &crm.Renewal{ClientID: c.ID, Date: healthT0.AddDate(1, 2, 0), CreatedAt: healthT0}
	must(s.CreateRenewal(ctx, r2))
	if r2.ID <= r1.ID {
		t.Fatalf("renewal ids %d then %d", r1.ID, r2.ID)
	}
	s.Close()
	s = openDisk(t, dir, nil)
	if len(filesContaining(t, dir, []byte(marker))) == 0 {
		t.Fatal("the marker is in no file: the test would prove nothing")
	}
	er, err := s.EraseClient(ctx, c.ID)
	must(err)
	if er.Counts["health"] != 3 {
		t.Errorf("counts: %+v", er.Counts)
	}
	if f := filesContaining(t, dir, []byte(marker)); len(f) > 0 {
		t.Errorf("%q is still in %v", marker, f)
	}
	if _, err := s.Renewal(ctx, r2.ID); !crm.IsNotFound(err) {
		t.Errorf("renewal after erasure: %v", err)
	}
	if sats, _ := s.Satisfactions(ctx, c.ID); len(sats) != 0 {
		t.Errorf("satisfaction after erasure: %+v", sats)
	}
	if sum, _ := s.HealthSummary(ctx, c.ID); sum != nil {
		t.Errorf("summary after erasure: %+v", sum)
	}
	if rows, _ := s.HealthRows(ctx, []uint64{1, 2}); len(rows) != 1 || rows[0].ClientID != keep.ID {
		t.Errorf("rows after erasure: %+v", rows)
	}
	if d, _ := s.DirtyHealth(ctx, 10); d[c.ID] != 0 {
		t.Errorf("mark after erasure")
	}
}
