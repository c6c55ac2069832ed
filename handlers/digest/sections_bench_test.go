package digest_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/store/storetest"

	"github.com/shopspring/decimal"
)

// BenchmarkDigestSections builds the digests of 20 supervisors over 200
// people, as BenchmarkDigests does, on a company whose people have claims
// and deals, so that the claims and pipeline sections have work to do:
// per manager 20 clients, 100 deals (20 open, some moved this week) and 60
// claims over the past year (10 open), and a pipeline snapshot a week ago.
// One op is all 20 digests; the head's digest (everyone) is measured on
// its own.
func BenchmarkDigestSections(b *testing.B) {
	svc, sups, counts := digestSectionsCompany(b)
	b.Logf("%s", counts)
	digest := func(b *testing.B, identity, text string) bot.Reply {
		rec := &bot.Recorder{}
		m := &bot.Message{Platform: "console", Identity: identity, Text: text, Private: true}
		if err := svc.ServeChat(context.Background(), rec, m); err != nil {
			b.Fatal(err)
		}
		return rec.Replies[0]
	}
	b.Run("supervisors=20", func(b *testing.B) {
		for _, id := range sups {
			got := digest(b, id, "/digest")
			for _, want := range []string{"Pipeline (weighted): ", "a week ago", "Claims: opened", "Moved most: "} {
				if !strings.Contains(got.Text, want) {
					b.Fatalf("%s lacks %q:\n%s", id, want, got.Text)
				}
			}
			if got.Image == nil {
				b.Fatalf("%s: no chart", id)
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, id := range sups {
				digest(b, id, "/digest")
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/20-digests")
	})
	b.Run("head=all", func(b *testing.B) {
		t0 := time.Now()
		for i := 0; i < b.N; i++ {
			digest(b, "console:head", "/digest")
		}
		b.ReportMetric(float64(time.Since(t0).Milliseconds())/float64(b.N), "ms/digest")
	})
}

// digestSectionsCompany makes the benchmark's company in memory: a head,
// 20 supervisors and 179 managers, nine or ten reporting to each
// supervisor.
func digestSectionsCompany(b *testing.B) (*handlers.Service, []string, string) {
	b.Helper()
	ctx := context.Background()
	st := storetest.Open(b)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	e := handlerstest.Bench(b, st, now.AddDate(0, 0, -7))
	svc, clock := e.Svc, e.Clock

	rng := rand.New(rand.NewSource(8))
	settings := crm.DefaultClaimSettings()
	created := now.AddDate(-2, 0, 0)
	add := func(name string, role crm.Role, reports uint64) *crm.Person {
		p := &crm.Person{Name: name, Role: role, ReportsTo: reports, Identities: []string{"console:" + name}, CreatedAt: created}
		if err := st.CreatePerson(ctx, p); err != nil {
			b.Fatal(err)
		}
		return p
	}
	head := add("head", crm.RoleHead, 0)
	var sups []string
	var managers []*crm.Person
	var supIDs []uint64
	for s := 0; s < 20; s++ {
		sup := add(fmt.Sprintf("sup%02d", s), crm.RoleSupervisor, head.ID)
		sups = append(sups, "console:"+sup.Name)
		supIDs = append(supIDs, sup.ID)
	}
	for m := 0; m < 179; m++ {
		managers = append(managers, add(fmt.Sprintf("m%03d", m), crm.RoleManager, supIDs[m%20]))
	}
	var deals []*crm.Deal
	nDeals, nClaims := 0, 0
	for _, p := range managers {
		var clients []*crm.Client
		for i := 0; i < 20; i++ {
			c := &crm.Client{Name: fmt.Sprintf("%s client %d", p.Name, i), OwnerID: p.ID, CreatedAt: created, ReviewedAt: now, LastTouch: now.AddDate(0, 0, -rng.Intn(40))}
			if err := st.CreateClient(ctx, c, crm.Actor{PersonID: p.ID}); err != nil {
				b.Fatal(err)
			}
			clients = append(clients, c)
		}
		for i := 0; i < 100; i++ {
			deals = append(deals, sectionsBenchDeal(rng, now, p.ID, clients[rng.Intn(len(clients))].ID, i%5 == 0))
		}
		for i := 0; i < 60; i++ {
			cl := clients[rng.Intn(len(clients))]
			sev := crm.Severities[rng.Intn(len(crm.Severities))]
			at := now.Add(-time.Duration(rng.Intn(365*24)) * time.Hour)
			open := i < 10
			if open {
				at = now.Add(-time.Duration(rng.Intn(30*24)) * time.Hour)
			}
			ack, res := settings.Due(sev, at, time.UTC)
			c := crm.NewClaim(cl.ID, p.ID, crm.Actor{PersonID: p.ID}, at, "generated claim", "", sev, crm.ClaimCategories[rng.Intn(6)], ack, res)
			if !open {
				done := at.Add(time.Duration(1+rng.Intn(200)) * time.Hour)
				c.Status, c.Cause, c.ResolvedAt, c.ClosedAt = crm.ClaimResolved, []string{"late truck", "wrong invoice", "damaged box", "missing part"}[rng.Intn(4)], done, done
			}
			if err := st.CreateClaim(ctx, &c); err != nil {
				b.Fatal(err)
			}
			nClaims++
		}
	}
	nDeals = len(deals)
	if err := st.ImportDeals(ctx, deals, crm.Actor{PersonID: head.ID}); err != nil {
		b.Fatal(err)
	}
	// A week ago: the snapshot the digests compare against.
	svc.RunJobs(ctx)
	clock.Set(now)
	return svc, sups, fmt.Sprintf("%d managers, %d deals, %d claims", len(managers), nDeals, nClaims)
}

// sectionsBenchDeal makes one deal: open ones in any open stage, a fifth
// of them moved this week and some past their close date; closed ones
// won or lost over the past year.
func sectionsBenchDeal(rng *rand.Rand, now time.Time, owner, client uint64, open bool) *crm.Deal {
	created := now.Add(-time.Duration(24+rng.Intn(365*24)) * time.Hour)
	cur := "EUR"
	if rng.Intn(10) == 0 {
		cur = "USD"
	}
	d := &crm.Deal{OwnerID: owner, ClientID: client, Title: fmt.Sprintf("Deal %d", rng.Intn(1e6)),
		Amount: decimal.New(int64(100000+rng.Intn(50000000)), -2), Currency: cur, CreatedAt: created}
	d.History = []crm.StageEntry{{Stage: crm.StageLead, At: created}}
	last := crm.OpenStages[1+rng.Intn(3)]
	at := created.Add(now.Sub(created) / 2)
	if open && rng.Intn(5) == 0 {
		at = now.Add(-time.Duration(rng.Intn(6*24)) * time.Hour)
	}
	d.History = append(d.History, crm.StageEntry{Stage: last, At: at})
	d.Stage = last
	if open {
		d.ExpectedClose = now.AddDate(0, 0, rng.Intn(120)-20).Truncate(24 * time.Hour)
		return d
	}
	closed := at.Add(time.Duration(rng.Int63n(int64(now.Sub(at)) + 1)))
	d.Stage = crm.StageWon
	if rng.Intn(2) == 0 {
		d.Stage = crm.StageLost
	}
	d.History = append(d.History, crm.StageEntry{Stage: d.Stage, At: closed})
	d.ClosedAt = closed
	return d
}
