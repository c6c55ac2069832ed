package claims_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
)

// BenchmarkClaimsOverdue measures "/claims overdue" for a supervisor whose
// team of 10 managers has 20,000 claims in the store, 2,000 of them open.
// It reports the median and the 95th percentile of the iterations besides
// the mean (ns/op).
func BenchmarkClaimsOverdue(b *testing.B) {
	e := newClaimsEnv(b)
	const managers, clientsEach, total, open = 10, 20, 20000, 2000
	rng := rand.New(rand.NewPCG(1, 2))
	settings := crm.DefaultClaimSettings()
	now := e.Clock.Now()
	sup := e.Person("ivan")
	var clients []*crm.Client
	for m := 0; m < managers; m++ {
		p := &crm.Person{Name: fmt.Sprintf("Manager%02d", m), Role: crm.RoleManager, ReportsTo: sup.ID,
			Identities: []string{fmt.Sprintf("console:m%02d", m)}, CreatedAt: now}
		if err := e.Store.CreatePerson(e.Ctx, p); err != nil {
			b.Fatal(err)
		}
		for c := 0; c < clientsEach; c++ {
			cl := &crm.Client{Name: fmt.Sprintf("Client %02d-%02d", m, c), OwnerID: p.ID, CreatedAt: now, ReviewedAt: now}
			if err := e.Store.CreateClient(e.Ctx, cl, crm.Actor{PersonID: p.ID}); err != nil {
				b.Fatal(err)
			}
			clients = append(clients, cl)
		}
	}
	start := time.Now()
	for i := 0; i < total; i++ {
		cl := clients[rng.IntN(len(clients))]
		sev := crm.Severities[rng.IntN(len(crm.Severities))]
		at := now.Add(-time.Duration(rng.IntN(365*24)) * time.Hour)
		if i < open {
			// Open claims of the last 40 days: many past their deadlines.
			at = now.Add(-time.Duration(rng.IntN(40*24)) * time.Hour)
		}
		ack, res := settings.Due(sev, at, e.TZ)
		c := crm.NewClaim(cl.ID, cl.OwnerID, crm.Actor{PersonID: cl.OwnerID}, at, "generated claim text", "", sev, crm.ClaimCategories[rng.IntN(6)], ack, res)
		if i < open {
			c.Status = []crm.ClaimStatus{crm.ClaimNew, crm.ClaimAcknowledged, crm.ClaimInvestigating, crm.ClaimResponded}[rng.IntN(4)]
		} else {
			c.Status, c.Cause, c.ResolvedAt, c.ClosedAt = crm.ClaimResolved, "generated cause", at.Add(24*time.Hour), at.Add(24*time.Hour)
		}
		if err := e.Store.CreateClaim(e.Ctx, &c); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("generated %d claims (%d open) in %v", total, open, time.Since(start).Round(time.Millisecond))

	rec := e.Send("ivan", "/claims overdue")
	first := rec.Text()
	if !strings.Contains(first, "overdue claims") || !strings.Contains(first, "⚠ C-") {
		b.Fatalf("unexpected reply:\n%s", first)
	}
	b.Logf("%s", strings.SplitN(first, "\n", 2)[0])
	m := &bot.Message{Platform: bot.Console, ChatID: "console", Identity: "console:ivan", Private: true}
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		m.Text = "/claims overdue"
		r := &bot.Recorder{}
		t0 := time.Now()
		if err := e.Svc.ServeChat(e.Ctx, r, m); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "median-ns")
	b.ReportMetric(float64(times[len(times)*95/100].Nanoseconds()), "p95-ns")
}
