package deals_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/handlers/core"
	"accountbot/i18n"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

// Benchmarks of the pipeline queries on a company of 200 people:
//
//	go test ./handlers/deals/ -run XXX -bench Pipeline -benchtime 200x
//
// The full data set has 100,000 deals, 20,000 of them open: 500 deals per
// person, 100 open. The "base" data set keeps the measured team's 500
// deals per person and gives everyone else a tenth of that, so comparing
// the two shows what other people's deals cost a per-person query.

// benchCompany is a generated company with its service.
type benchCompany struct {
	svc     *handlers.Service
	manager string // identity of a manager in the measured team
	super   string // identity of the supervisor of 10 managers
	head    string
	deals   int
	open    int
}

var (
	benchFullOnce, benchBaseOnce sync.Once
	benchFull, benchBase         *benchCompany
	benchFullErr, benchBaseErr   error
)

// benchCompanyFull builds the 100,000-deal company once per test binary.
func benchCompanyFull(b *testing.B) *benchCompany {
	b.Helper()
	benchFullOnce.Do(func() {
		start := time.Now()
		benchFull, benchFullErr = buildBenchCompany(500, 500)
		if benchFullErr == nil {
			b.Logf("generated %d deals (%d open) in %s", benchFull.deals, benchFull.open, time.Since(start).Round(time.Millisecond))
		}
	})
	if benchFullErr != nil {
		b.Fatal(benchFullErr)
	}
	return benchFull
}

// benchCompanyBase builds the company where everyone but the measured
// team has a tenth of the deals, once per test binary.
func benchCompanyBase(b *testing.B) *benchCompany {
	b.Helper()
	benchBaseOnce.Do(func() {
		benchBase, benchBaseErr = buildBenchCompany(500, 50)
	})
	if benchBaseErr != nil {
		b.Fatal(benchBaseErr)
	}
	return benchBase
}

var benchNow = time.Date(2026, 5, 15, 10, 0, 0, 0, time.UTC)

// buildBenchCompany makes 200 people: a head, 18 supervisors with 10
// managers each, and one more manager. The first supervisor's team (the
// supervisor and 10 managers) gets teamDeals deals each, everyone else
// otherDeals; a fifth of every person's deals is open.
func buildBenchCompany(teamDeals, otherDeals int) (*benchCompany, error) {
	ctx := context.Background()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		return nil, err
	}
	cat, err := i18n.New()
	if err != nil {
		return nil, err
	}
	cfg := handlers.DefaultConfig()
	cfg.TZ, cfg.Heads = time.UTC, nil
	svc, err := handlers.New(st, cat, handlers.WithClock(dates.NewManualClock(benchNow)), handlers.WithConfig(cfg))
	if err != nil {
		return nil, err
	}
	var people []*crm.Person
	add := func(name string, role crm.Role, reportsTo uint64) (*crm.Person, error) {
		p := &crm.Person{Name: name, Role: role, ReportsTo: reportsTo, Identities: []string{"console:" + name}, CreatedAt: benchNow}
		if err := st.CreatePerson(ctx, p); err != nil {
			return nil, err
		}
		people = append(people, p)
		return p, nil
	}
	head, err := add("head", crm.RoleHead, 0)
	if err != nil {
		return nil, err
	}
	team := map[uint64]bool{}
	for s := 0; s < 18; s++ {
		sup, err := add(fmt.Sprintf("sup%02d", s), crm.RoleSupervisor, head.ID)
		if err != nil {
			return nil, err
		}
		if s == 0 {
			team[sup.ID] = true
		}
		for m := 0; m < 10; m++ {
			p, err := add(fmt.Sprintf("m%02d_%d", s, m), crm.RoleManager, sup.ID)
			if err != nil {
				return nil, err
			}
			if s == 0 {
				team[p.ID] = true
			}
		}
	}
	if _, err := add("m_extra", crm.RoleManager, head.ID); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(1))
	bc := &benchCompany{svc: svc, manager: "console:m00_0", super: "console:sup00", head: "console:head"}
	var deals []*crm.Deal
	flush := func() error {
		err := st.ImportDeals(ctx, deals, crm.Actor{PersonID: head.ID})
		deals = deals[:0]
		return err
	}
	for _, p := range people {
		var clients []uint64
		for i := 0; i < 5; i++ {
			c := &crm.Client{Name: fmt.Sprintf("%s client %d", p.Name, i), OwnerID: p.ID, CreatedAt: benchNow, ReviewedAt: benchNow}
			if err := st.CreateClient(ctx, c, crm.Actor{PersonID: p.ID}); err != nil {
				return nil, err
			}
			clients = append(clients, c.ID)
		}
		n := otherDeals
		if team[p.ID] {
			n = teamDeals
		}
		for i := 0; i < n; i++ {
			deals = append(deals, benchDeal(rng, p.ID, clients[rng.Intn(len(clients))], i%5 == 0))
			if i%5 == 0 {
				bc.open++
			}
			bc.deals++
		}
		if len(deals) >= 5000 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return bc, nil
}

// benchDeal makes one deal: opened in the last two years; closed ones won
// or lost since; open ones expected to close from two months ago to ten
// months ahead.
func benchDeal(rng *rand.Rand, owner, client uint64, open bool) *crm.Deal {
	created := benchNow.Add(-time.Duration(rng.Intn(730*24)) * time.Hour)
	cur := "EUR"
	if rng.Intn(10) == 0 {
		cur = "USD"
	}
	d := &crm.Deal{OwnerID: owner, ClientID: client, Title: fmt.Sprintf("Deal %d", rng.Intn(1e6)),
		Amount: decimal.New(int64(10000+rng.Intn(50000000)), -2), Currency: cur, CreatedAt: created}
	d.History = []crm.StageEntry{{Stage: crm.StageLead, At: created}}
	at := created
	last := crm.OpenStages[rng.Intn(4)]
	for _, st := range crm.OpenStages[1 : last.Index()+1] {
		at = at.Add(time.Duration(rng.Int63n(int64(benchNow.Sub(at))/4 + 1)))
		d.History = append(d.History, crm.StageEntry{Stage: st, At: at})
	}
	d.Stage = last
	if open {
		d.ExpectedClose = time.Date(2026, time.Month(3+rng.Intn(13)), 1+rng.Intn(28), 0, 0, 0, 0, time.UTC)
		if rng.Intn(4) == 0 {
			p := rng.Intn(101)
			d.Probability = &p
		}
		return d
	}
	closed := at.Add(time.Duration(rng.Int63n(int64(benchNow.Sub(at)) + 1)))
	d.Stage = crm.StageWon
	if rng.Intn(2) == 0 {
		d.Stage = crm.StageLost
		d.LossReason = []string{"price", "timing", "no budget", "went with a competitor"}[rng.Intn(4)]
		d.Competitor = []string{"Rival", "Other Co", ""}[rng.Intn(3)]
	}
	d.ClosedAt = closed
	d.History = append(d.History, crm.StageEntry{Stage: d.Stage, At: closed})
	return d
}

// discard is a ReplyWriter that keeps the last reply.
type discard struct{ last bot.Reply }

func (d *discard) Reply(_ context.Context, r bot.Reply) error { d.last = r; return nil }

// ask sends one command and returns how long it took.
func (bc *benchCompany) ask(b *testing.B, identity, text string) (time.Duration, string) {
	w := &discard{}
	m := &bot.Message{Platform: bot.Console, Identity: identity, Text: text, LangHint: "en"}
	start := time.Now()
	if err := bc.svc.ServeChat(context.Background(), w, m); err != nil {
		b.Fatal(err)
	}
	return time.Since(start), w.last.PlainText()
}

// benchMedian is the median of ds (0 for none).
func benchMedian(ds []time.Duration) time.Duration {
	m, _ := core.Median(ds)
	return m
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchQuery runs one command b.N times and reports its median.
func benchQuery(b *testing.B, bc *benchCompany, identity, text, mustHave string) {
	_, out := bc.ask(b, identity, text)
	if !strings.Contains(out, mustHave) {
		b.Fatalf("%s: reply lacks %q:\n%s", text, mustHave, out)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, _ := bc.ask(b, identity, text)
		times = append(times, d)
	}
	b.StopTimer()
	b.ReportMetric(ms(benchMedian(times)), "ms-median")
}

func BenchmarkPipelineMine(b *testing.B) {
	full := benchCompanyFull(b)
	benchQuery(b, full, full.manager, "/pipeline mine", "Open in total: 100 ")
}

func BenchmarkPipelineTeam(b *testing.B) {
	full := benchCompanyFull(b)
	benchQuery(b, full, full.super, "/pipeline team", "Open in total: 1100 ")
}

func BenchmarkPipelineAll(b *testing.B) {
	full := benchCompanyFull(b)
	benchQuery(b, full, full.head, "/pipeline all", "Open in total: 20000 ")
}

func BenchmarkPipelineForecastQuarter(b *testing.B) {
	full := benchCompanyFull(b)
	benchQuery(b, full, full.head, "/forecast quarter", "Forecast, Q2 2026 — everyone")
}

func BenchmarkPipelineStuckMine(b *testing.B) {
	full := benchCompanyFull(b)
	benchQuery(b, full, full.manager, "/pipeline stuck", "Stuck deals")
}

func BenchmarkPipelineForecastMine(b *testing.B) {
	full := benchCompanyFull(b)
	benchQuery(b, full, full.manager, "/forecast quarter mine", "Forecast, Q2 2026")
}

func BenchmarkPipelineStuckAll(b *testing.B) {
	full := benchCompanyFull(b)
	benchQuery(b, full, full.head, "/pipeline all stuck", "Stuck deals")
}

func BenchmarkPipelineReportAll(b *testing.B) {
	full := benchCompanyFull(b)
	benchQuery(b, full, full.head, "/pipeline all report", "Win/loss, Q2 2026")
}

// BenchmarkPipelineGrowth runs the per-person queries on the base data set
// and on the one where everyone else has 10 times more deals, alternately,
// and reports both medians and their ratio (grown / base).
func BenchmarkPipelineGrowth(b *testing.B) {
	full, base := benchCompanyFull(b), benchCompanyBase(b)
	for _, q := range []struct{ name, who, text string }{
		{"mine", full.manager, "/pipeline mine"},
		{"team", full.super, "/pipeline team"},
		{"forecast-mine", full.manager, "/forecast quarter mine"},
	} {
		b.Run(q.name, func(b *testing.B) {
			var tb, tf []time.Duration
			for i := 0; i < b.N; i++ {
				d, _ := base.ask(b, q.who, q.text)
				tb = append(tb, d)
				d, _ = full.ask(b, q.who, q.text)
				tf = append(tf, d)
			}
			mb, mf := benchMedian(tb), benchMedian(tf)
			b.ReportMetric(ms(mb), "ms-base")
			b.ReportMetric(ms(mf), "ms-grown")
			b.ReportMetric(float64(mf)/float64(mb), "ratio")
		})
	}
}
