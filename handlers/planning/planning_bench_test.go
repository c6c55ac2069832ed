package planning_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

// The audience benchmark's company: 200 people with 250 clients each, so
// 50,000 clients with segment, industry, level, needs and city; 30,000
// deals (a third won, a third open, a third lost, over two years) and
// 5,000 claims of the last 18 months.
const (
	segPeople     = 200
	segClientsPer = 250
	segDeals      = 30000
	segClaims     = 5000
)

var (
	segOnce sync.Once
	segDir  string
	segErr  error
)

// TestMain removes the benchmark's company after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if segDir != "" {
		os.RemoveAll(segDir)
	}
	os.Exit(code)
}

// segmentsData generates the company into a data directory once per test
// binary (removed by TestMain), with the store's bulk loader (people, clients, claims) and the
// pipeline's batched import (deals, so their indexes are the real ones).
func segmentsData(b *testing.B) string {
	b.Helper()
	segOnce.Do(func() {
		start := time.Now()
		segDir, segErr = os.MkdirTemp("", "accountbot-segments-")
		if segErr != nil {
			return
		}
		st, err := store.Open(store.Options{Dir: filepath.Join(segDir, "data"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			segErr = err
			return
		}
		defer st.Close()
		rng := rand.New(rand.NewSource(9))
		segments := []string{"retail", "wholesale", "horeca", "industry", "public", "agro", "pharma", "logistics"}
		industries := []string{"food", "drinks", "metal", "plastics", "chemicals", "textile", "machinery", "energy", "construction", "it"}
		levels := []string{"key", "regular", "occasional"}
		needs := []string{"pumps", "valves", "service", "spare parts", "installation", "training"}
		products := []string{"Pumps", "Valves", "Service contract", "Spare parts", "Installation", "Training"}
		sd := st.Seeder()
		var clients []*crm.Client
		for p := uint64(1); p <= segPeople; p++ {
			role, reports := crm.RoleManager, uint64(3)
			switch {
			case p == 1:
				role, reports = crm.RoleHead, 0
			case p%10 == 3:
				role, reports = crm.RoleSupervisor, 1
			}
			ident := "console:s" + strconv.FormatUint(p, 10)
			sd.Person(&crm.Person{ID: p, Name: fmt.Sprintf("Person %d", p), Role: role, ReportsTo: reports, Identities: []string{ident}, CreatedAt: benchBase.AddDate(-3, 0, 0)})
			for i := 0; i < segClientsPer; i++ {
				id := uint64(len(clients) + 1)
				need := needs[rng.Intn(len(needs))]
				if rng.Intn(3) == 0 {
					need += "," + needs[rng.Intn(len(needs))]
				}
				c := &crm.Client{ID: id, Name: fmt.Sprintf("Client %d-%d", p, i), OwnerID: p,
					Segment: segments[rng.Intn(len(segments))], Industry: industries[rng.Intn(len(industries))],
					Level: levels[rng.Intn(len(levels))], Need: need, City: cities[rng.Intn(len(cities))],
					CreatedAt:  benchBase.Add(-time.Duration(rng.Int63n(int64(3 * 365 * 24 * time.Hour)))),
					ReviewedAt: benchBase.AddDate(0, 0, -rng.Intn(200))}
				if rng.Intn(10) == 0 {
					c.Status = "client"
				}
				sd.Client(c)
				clients = append(clients, c)
			}
		}
		for i := 1; i <= segClaims; i++ {
			c := clients[rng.Intn(len(clients))]
			at := benchBase.Add(-time.Duration(rng.Int63n(int64(540 * 24 * time.Hour))))
			cl := crm.NewClaim(c.ID, c.OwnerID, crm.Actor{PersonID: c.OwnerID}, at, "generated", "", crm.Severities[rng.Intn(4)], "delivery", at.Add(24*time.Hour), at.Add(72*time.Hour))
			cl.ID = uint64(i)
			cl.Status, cl.Cause, cl.ResolvedAt, cl.ClosedAt = crm.ClaimResolved, "generated", at.Add(48*time.Hour), at.Add(48*time.Hour)
			sd.Claim(&cl)
		}
		if err := sd.Flush(); err != nil {
			segErr = err
			return
		}
		deals := make([]*crm.Deal, 0, segDeals)
		for i := 0; i < segDeals; i++ {
			c := clients[rng.Intn(len(clients))]
			created := benchBase.Add(-time.Duration(rng.Int63n(int64(730 * 24 * time.Hour))))
			d := &crm.Deal{ClientID: c.ID, OwnerID: c.OwnerID, Title: products[rng.Intn(len(products))] + " " + strconv.Itoa(2025+rng.Intn(2)),
				Amount: decimal.New(int64(500+rng.Intn(50000)), 0), Currency: "EUR", Stage: crm.StageLead, CreatedAt: created,
				History: []crm.StageEntry{{Stage: crm.StageLead, At: created, By: c.OwnerID}}}
			switch i % 3 {
			case 0:
				closed := created.Add(time.Duration(rng.Int63n(int64(benchBase.Sub(created)))))
				d.Stage, d.ClosedAt = crm.StageWon, closed
				d.History = append(d.History, crm.StageEntry{Stage: crm.StageWon, At: closed, By: c.OwnerID})
			case 1:
				closed := created.Add(time.Duration(rng.Int63n(int64(benchBase.Sub(created)))))
				d.Stage, d.ClosedAt, d.Competitor = crm.StageLost, closed, "Metro"
				d.History = append(d.History, crm.StageEntry{Stage: crm.StageLost, At: closed, By: c.OwnerID})
			default:
				d.Stage = crm.OpenStages[rng.Intn(len(crm.OpenStages))]
			}
			deals = append(deals, d)
		}
		segErr = st.ImportDeals(context.Background(), deals, crm.Actor{PersonID: 1})
		if segErr == nil {
			b.Logf("generated %d clients, %d deals, %d claims in %v", len(clients), segDeals, segClaims, time.Since(start).Round(time.Millisecond))
		}
	})
	if segErr != nil {
		b.Fatal(segErr)
	}
	return segDir
}

// cities are where the benchmark's clients are.
var cities = []string{"Sofia", "Plovdiv", "Varna", "Burgas", "Ruse", "Stara Zagora"}

// benchBase is "now" in the audience benchmark.
var benchBase = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// BenchmarkSegments measures /segments by each field as the head, over
// all 50,000 clients, and as a manager; then the client card and /next,
// which look at peers of the client's segment. It reports the median and
// the 95th percentile of the iterations:
//
//	go test ./handlers/planning/ -run XXX -bench Segments -benchtime 30x
func BenchmarkSegments(b *testing.B) {
	dir := segmentsData(b)
	st := chattest.OpenStore(b, store.Options{Dir: filepath.Join(dir, "data")})
	// The head's analyses read the maintained figures, which a data set
	// generated before them gets here (in the background otherwise).
	if err := st.BuildSegmentFigures(context.Background()); err != nil {
		b.Fatal(err)
	}
	e := handlerstest.Bench(b, st, benchBase)
	run := func(b *testing.B, identity, text string) string { return e.For(b).Say(identity, text) }
	for _, q := range []struct{ name, who, text, want string }{
		{"segment/head", "console:s1", "/segments", "50000 records"},
		{"need/head", "console:s1", "/segments by=need", "50000 records"},
		{"city/head", "console:s1", "/segments by=city", "50000 records"},
		{"segment/manager", "console:s2", "/segments", "250 records"},
		// The card with its planning lines (and, when no other rule fires,
		// what peers of the segment buy), and /next with every rule.
		{"card/head", "console:s1", "/client Client 2-17", "Recommended"},
		{"card/manager", "console:s2", "/client Client 2-17", "Recommended"},
		{"next/head", "console:s1", "/next Client 2-17", "Next step"},
	} {
		b.Run(q.name, func(b *testing.B) {
			if got := run(b, q.who, q.text); !strings.Contains(got, q.want) {
				b.Fatalf("%s: %q", q.text, got)
			}
			chattest.Latency(b, func() { run(b, q.who, q.text) })
		})
	}
}
