package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

// A write that changes a health input marks the client in its own
// transaction; a recompute clears the mark only if no write came since it
// read it.
func testHealthMarkedByWritesAndClearedOnce(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	c := addDataClient(t, s, "Acme", 1)
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
func testHealthPlaybookTaskOnceUnderRace(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	c := addDataClient(t, s, "Acme", 1)
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
