package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

var healthT0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func atRisk(score int) crm.Health {
	return crm.Health{Score: score, Band: crm.BandOf(score), Factors: []crm.HealthFactor{{Name: crm.HealthContact, Effect: score - 100, Args: map[string]int{"days": 64, "cadence": 14, "planned": 1}}}}
}

// A write that changes a health input marks the client in its own
// transaction; a recompute clears the mark only if no write came since it
// read it.
func TestHealthMarkedByWritesAndClearedOnce(t *testing.T) {
	ctx := context.Background()
	s := openMem(t)
	c := addClient(t, s, "Acme", 1)
	v1, err := s.HealthVersion(ctx, c.ID)
	if err != nil || v1 == 0 {
		t.Fatalf("a new client is not marked: %d %v", v1, err)
	}
	// A payment comes after the recompute read the mark.
	if err := s.AddPayment(ctx, &crm.Payment{ClientID: c.ID, OnTime: true, At: healthT0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveHealth(ctx, crm.HealthUpdate{ClientID: c.ID, Version: v1, Health: crm.Health{Score: 100, Band: crm.BandHealthy}, Day: "2026-11-26", At: healthT0}); err != nil {
		t.Fatal(err)
	}
	v2, _ := s.HealthVersion(ctx, c.ID)
	if v2 == 0 || v2 == v1 {
		t.Fatalf("the payment's mark was cleared by a recompute that did not see it: %d → %d", v1, v2)
	}
	if _, err := s.SaveHealth(ctx, crm.HealthUpdate{ClientID: c.ID, Version: v2, Health: crm.Health{Score: 100, Band: crm.BandHealthy}, Day: "2026-11-26", At: healthT0}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.HealthVersion(ctx, c.ID); v != 0 {
		t.Fatalf("mark left after a current recompute: %d", v)
	}
	for name, write := range map[string]func() error{
		"promise": func() error {
			return s.CreatePromise(ctx, &crm.Promise{ClientID: c.ID, Text: "x", Due: healthT0, CreatedAt: healthT0})
		},
		"claim": func() error {
			cl := crm.NewClaim(c.ID, 1, crm.Actor{PersonID: 1}, healthT0, "late", "", crm.SeverityLow, "", healthT0.Add(time.Hour), healthT0.Add(2*time.Hour))
			return s.CreateClaim(ctx, &cl)
		},
		"deal": func() error {
			return s.CreateDeal(ctx, &crm.Deal{ClientID: c.ID, OwnerID: 1, Title: "x", Amount: decimal.New(1, 0), Currency: "EUR", Stage: crm.StageLead, CreatedAt: healthT0}, crm.Actor{PersonID: 1})
		},
		"satisfaction": func() error {
			return s.AddSatisfaction(ctx, &crm.Satisfaction{ClientID: c.ID, Kind: crm.SatisfactionNPS, Score: 3, By: 1, At: healthT0})
		},
		"conversation": func() error {
			return s.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: "hi", At: healthT0}, nil)
		},
	} {
		v, _ := s.HealthVersion(ctx, c.ID)
		if _, err := s.SaveHealth(ctx, crm.HealthUpdate{ClientID: c.ID, Version: v, Health: crm.Health{Score: 100, Band: crm.BandHealthy}, Day: "2026-11-26", At: healthT0}); err != nil {
			t.Fatal(err)
		}
		if err := write(); err != nil {
			t.Fatal(name, err)
		}
		if v, _ := s.HealthVersion(ctx, c.ID); v == 0 {
			t.Errorf("%s does not mark the client", name)
		}
	}
}

// Two recomputes of one fall racing (two replicas' jobs) give one task.
func TestHealthPlaybookTaskOnceUnderRace(t *testing.T) {
	ctx := context.Background()
	s := openMem(t)
	c := addClient(t, s, "Acme", 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	made := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts, err := s.SaveHealth(ctx, crm.HealthUpdate{ClientID: c.ID, Health: atRisk(60), Day: "2026-11-26", At: healthT0,
				Task: &crm.Task{Text: "Acme is at risk", Due: healthT0}})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			made += len(ts)
			mu.Unlock()
		}()
	}
	wg.Wait()
	tasks, err := s.ClientTasks(ctx, c.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if made != 1 || len(tasks) != 1 || tasks[0].AssigneeID != 1 {
		t.Fatalf("made %d, tasks %+v", made, tasks)
	}
	sum, _ := s.HealthSummary(ctx, c.ID)
	if sum.PlaybookBand != crm.BandAtRisk || sum.PlaybookTask != tasks[0].ID || len(sum.History) != 1 {
		t.Fatalf("summary %+v", sum)
	}
	// With the rule off, a deeper fall gives none.
	if err := s.SaveHealthSettings(ctx, crm.HealthSettings{AtRiskTask: true, CriticalTask: false}, crm.Actor{PersonID: 1}, healthT0); err != nil {
		t.Fatal(err)
	}
	if ts, _ := s.SaveHealth(ctx, crm.HealthUpdate{ClientID: c.ID, Health: atRisk(30), Day: "2026-11-27", At: healthT0.AddDate(0, 0, 1), Task: &crm.Task{Text: "critical"}}); len(ts) != 0 {
		t.Fatalf("a task with the rule off: %+v", ts)
	}
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
	if rs, _ := s.OpenRenewals(ctx, 2, healthT0.AddDate(1, 0, 0)); len(rs) != 1 || rs[0].OwnerID != 2 {
		t.Fatalf("renewals of the new owner: %+v", rs)
	}
	if rs, _ := s.OpenRenewals(ctx, 1, healthT0.AddDate(1, 0, 0)); len(rs) != 0 {
		t.Fatalf("renewals left with the old owner: %+v", rs)
	}
	// Done, out of the open index; a new one gets the next id.
	_, err = s.UpdateRenewal(ctx, r1.ID, crm.Actor{PersonID: 2}, healthT0, func(r *crm.Renewal) error { r.DoneAt = healthT0; return nil })
	must(err)
	if rs, _ := s.OpenRenewals(ctx, 2, healthT0.AddDate(1, 0, 0)); len(rs) != 0 {
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
