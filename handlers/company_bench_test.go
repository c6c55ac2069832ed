package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

// companyVersion names the generator's output: change it whenever the
// generated data changes, so that a cached copy of older data is not used.
const companyVersion = 4

// The company's per-person density: with 200 people it holds 50,000
// clients, 1,000,000 conversations, 50,000 deals, 10,000 claims, 5,000
// promises, 1,000 competitor notes and 2,500 campaign leads.
const (
	dealsPer    = 250
	claimsPer   = 50
	promisesPer = 25
	notesPer    = 5
)

var (
	segmentNames = []string{"retail", "wholesale", "horeca", "industry", "public", "agro", "pharma", "logistics"}
	industryList = []string{"food", "drinks", "metal", "plastics", "chemicals", "textile", "machinery", "energy", "construction", "it"}
	levelList    = []string{"key", "regular", "occasional"}
	needList     = []string{"pumps", "valves", "service", "spare parts", "installation", "training"}
	productList  = []string{"Pumps", "Valves", "Service contract", "Spare parts", "Installation", "Training"}
	rivalList    = []string{"Metro", "Rival", "Other Co", "Nordpump", "Balkan Valves"}
	campaignList = []string{"Agra fair", "Plovdiv expo", "Spring mailing", "Pump days", "Sofia conference", "Webinar", "Varna roadshow", "Partner day", "Autumn promo", "Demo tour"}
)

// company names a generated data set: people persons, of whom the first
// full have the whole per-person density (clientsPer clients, dealsPer
// deals…) and the others a tenth of it, rounded up.
type company struct{ people, full int }

// companyOf is the company of people persons, everyone at the whole
// density (the company of 200 holds 50,000 clients).
func companyOf(people int) company { return company{people: people, full: people} }

// thinCompany is the company of 200 people where only persons 1 to 9 (the
// head, the measured manager 2 and supervisor 3 with the whole of 3's
// team) have the whole density: the same people as companyOf(200), and
// the callers' own data the same, with a tenth of everyone else's. It is
// the base of the growth of a read whose answer lists every person
// (/team), which the company of 20 cannot be.
var thinCompany = company{people: 200, full: 9}

// String names the company in directory names and logs.
func (c company) String() string {
	if c.full >= c.people {
		return fmt.Sprintf("p%d", c.people)
	}
	return fmt.Sprintf("p%d-full%d", c.people, c.full)
}

// per is how many of a per-person kind person p has: n at the whole
// density, a tenth of it (rounded up) for the others.
func (c company) per(p uint64, n int) int {
	if p <= uint64(c.full) {
		return n
	}
	return (n + 9) / 10
}

// companyDir returns the generated company c, made once per generator
// version and kept in the temporary directory: generating a million
// conversations takes a while on a shared machine. Every person's records
// come from a random source seeded with the person's id, and their ids
// from the person's id, so the caller's own data is the same whatever the
// company's size.
func companyDir(b *testing.B, c company) (string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("accountbot-company-v%d-%s", companyVersion, c))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(os.TempDir(), "accountbot-company-gen-")
	if err != nil {
		return "", err
	}
	start := time.Now()
	if err := generateCompany(filepath.Join(tmp, "data"), c); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o600); err != nil {
		return "", err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	b.Logf("generated the company %s in %v (cached in %s)", c, time.Since(start).Round(time.Millisecond), dir)
	return dir, nil
}

// companyCopy returns a private copy of the company for this process, so
// that benchmarks that write leave the cached data as generated. (Table
// files cannot be linked instead: the store truncates a table it drops.)
func companyCopy(b *testing.B, c company) (string, error) {
	src, err := companyDir(b, c)
	if err != nil {
		return "", err
	}
	dst, err := os.MkdirTemp("", "accountbot-bench-")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dst, "data"), 0o700); err != nil {
		return "", err
	}
	ents, err := os.ReadDir(filepath.Join(src, "data"))
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		if err := copyFile(filepath.Join(src, "data", e.Name()), filepath.Join(dst, "data", e.Name())); err != nil {
			return "", err
		}
	}
	return dst, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// generateCompany writes the company into dir: person 1 is the head,
// every person whose id ends in 3 a supervisor reporting to the head, the
// others managers of the supervisor of their ten (3, 13, 23, …). Each
// person owns clientsPer clients with segments, industries, levels, needs
// and cities (one in twenty a lead of a campaign), convsPer conversations
// per client, a task per ten clients, dealsPer deals (a third won, a
// third lost, half of those to a competitor, a third open), claimsPer
// claims of the last 18 months (a fifth open), promisesPer promises and
// notesPer competitor notes from their clients; the people after the
// first co.full a tenth of each (company.per).
func generateCompany(dir string, co company) error {
	people := co.people
	st, err := store.Open(store.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer st.Close()
	sd := st.Seeder()
	for i, name := range campaignList {
		sd.Campaign(&crm.Campaign{ID: uint64(i + 1), Name: name, Kind: "fair", Date: baseTime.AddDate(0, -i, 0), City: cities[i%len(cities)],
			Budget: decimal.New(int64(1000*(i+1)), 0), HasBudget: true, Currency: "EUR", CreatedBy: 1, CreatedAt: baseTime.AddDate(-1, 0, 0)})
	}
	for _, r := range rivalList {
		sd.Competitor(&crm.Competitor{Key: crm.NormalizeName(r), Name: r, CreatedAt: baseTime.AddDate(-2, 0, 0), CreatedBy: 1})
	}
	var deals []*crm.Deal
	var convID, taskID uint64
	for p := uint64(1); p <= uint64(people); p++ {
		rng := rand.New(rand.NewSource(int64(p)))
		role := crm.RoleManager
		var reports uint64
		switch {
		case p == 1:
			role = crm.RoleHead
		case p%10 == 3:
			role, reports = crm.RoleSupervisor, 1
		default:
			reports = 3 + (p/10)*10
			if reports > uint64(people) {
				reports = 3
			}
		}
		ident := "console:p" + strconv.FormatUint(p, 10)
		if p == 2 {
			ident = "console:bench"
		}
		sd.Person(&crm.Person{ID: p, Name: fmt.Sprintf("Person %d", p), Role: role, ReportsTo: reports, Identities: []string{ident}, CreatedAt: baseTime.AddDate(-3, 0, 0)})
		first := (p-1)*clientsPer + 1
		clients := make([]*crm.Client, 0, clientsPer)
		for c := 0; c < co.per(p, clientsPer); c++ {
			id := first + uint64(c)
			need := needList[rng.Intn(len(needList))]
			if rng.Intn(3) == 0 {
				need += "," + needList[rng.Intn(len(needList))]
			}
			created := baseTime.Add(-time.Duration(rng.Int63n(int64(3 * 365 * 24 * time.Hour))))
			cl := &crm.Client{ID: id, Name: fmt.Sprintf("Client %dn%03d %s", p, c, words[rng.Intn(len(words))]), OwnerID: p,
				Segment: segmentNames[rng.Intn(len(segmentNames))], Industry: industryList[rng.Intn(len(industryList))],
				Level: levelList[rng.Intn(len(levelList))], Need: need, City: cities[rng.Intn(len(cities))],
				CreatedAt: created, ReviewedAt: baseTime.AddDate(0, 0, -rng.Intn(120))}
			switch rng.Intn(10) {
			case 0:
				cl.Status = "client"
			case 1:
				cl.Status = "prospect"
			}
			if rng.Intn(20) == 0 {
				cl.Source = campaignList[rng.Intn(len(campaignList))]
			}
			for v := 0; v < convsPer; v++ {
				convID++
				at := baseTime.Add(-time.Duration(rng.Int63n(int64(365 * 24 * time.Hour))))
				if at.After(cl.LastTouch) {
					cl.LastTouch = at
				}
				sd.Conversation(&crm.Conversation{ID: convID, ClientID: id, AuthorID: p, Channels: []string{"call"}, Text: "Talked about the next order and delivery terms; they asked for a discount.", At: at})
			}
			sd.Client(cl)
			clients = append(clients, cl)
			if c%10 == 0 {
				taskID++
				sd.Task(&crm.Task{ID: taskID, ClientID: id, AssigneeID: p, Text: "call back", Due: baseTime.AddDate(0, 0, rng.Intn(30)-15), CreatedAt: created, CreatedBy: p})
			}
		}
		for i := 0; i < co.per(p, dealsPer); i++ {
			deals = append(deals, companyDeal(rng, clients[rng.Intn(len(clients))], i))
		}
		for i := 0; i < co.per(p, claimsPer); i++ {
			c := clients[rng.Intn(len(clients))]
			at := baseTime.Add(-time.Duration(rng.Int63n(int64(540 * 24 * time.Hour))))
			cl := crm.NewClaim(c.ID, p, crm.Actor{PersonID: p}, at, "The delivery came late and two pallets were damaged.", "", crm.Severities[rng.Intn(4)],
				crm.ClaimCategories[rng.Intn(len(crm.ClaimCategories))], at.Add(24*time.Hour), at.Add(72*time.Hour))
			cl.ID = (p-1)*claimsPer + uint64(i) + 1
			if rng.Intn(5) != 0 {
				cl.Status, cl.Cause, cl.ResolvedAt, cl.ClosedAt = crm.ClaimResolved, "carrier", at.Add(48*time.Hour), at.Add(50*time.Hour)
			}
			sd.Claim(&cl)
		}
		for i := 0; i < co.per(p, promisesPer); i++ {
			c := clients[rng.Intn(len(clients))]
			pr := &crm.Promise{ID: (p-1)*promisesPer + uint64(i) + 1, ClientID: c.ID, OwnerID: p, Text: "Send the price list for next year",
				Due: baseTime.AddDate(0, 0, rng.Intn(60)-30).Truncate(24 * time.Hour), FromClient: rng.Intn(3) == 0, CreatedBy: p, CreatedAt: baseTime.AddDate(0, -2, 0)}
			if rng.Intn(3) == 0 {
				pr.DoneAt, pr.DoneBy = baseTime.AddDate(0, 0, -rng.Intn(20)), p
			}
			sd.Promise(pr)
		}
		for i := 0; i < co.per(p, notesPer); i++ {
			c := clients[rng.Intn(len(clients))]
			r := rivalList[rng.Intn(len(rivalList))]
			sd.CompetitorNote(&crm.CompetitorNote{ID: (p-1)*notesPer + uint64(i) + 1, Key: crm.NormalizeName(r), Aspect: crm.Aspects[rng.Intn(len(crm.Aspects))],
				Text: "They offer 5% off for a one-year contract.", ClientID: c.ID, By: p, At: baseTime.Add(-time.Duration(rng.Int63n(int64(300 * 24 * time.Hour))))}, p)
		}
	}
	if err := sd.Flush(); err != nil {
		return err
	}
	// Deals through the pipeline's import, so that their indexes and
	// totals are the real ones.
	if err := st.ImportDeals(context.Background(), deals, crm.Actor{PersonID: 1}); err != nil {
		return err
	}
	// Build the maintained aggregates now (a first read would), so that
	// no benchmark pays for it.
	if _, err := st.PeerPurchases(context.Background(), crm.PeerQuery{Segment: segmentNames[0]}); err != nil {
		return err
	}
	if _, err := st.ClientPage(context.Background(), crm.ClientPageQuery{Owners: []uint64{1}, Limit: 1}); err != nil {
		return err
	}
	if _, err := st.OwnerActivity(context.Background(), crm.ActivityQuery{Owners: []uint64{1}, From: baseTime, To: baseTime}); err != nil {
		return err
	}
	// The segment figures of every client (the head's /segments).
	if err := st.BuildSegmentFigures(context.Background()); err != nil {
		return err
	}
	// Measure the steady state, not the compactions a bulk load sets off.
	return st.Compact()
}

// companyDeal makes the i-th deal of a client's owner: a third won, a
// third lost (half of those to a competitor), a third open, opened in the
// last two years.
func companyDeal(rng *rand.Rand, c *crm.Client, i int) *crm.Deal {
	created := baseTime.Add(-time.Duration(rng.Int63n(int64(730 * 24 * time.Hour))))
	d := &crm.Deal{ClientID: c.ID, OwnerID: c.OwnerID, Title: productList[rng.Intn(len(productList))] + " " + strconv.Itoa(2025+rng.Intn(2)),
		Amount: decimal.New(int64(500+rng.Intn(50000)), 0), Currency: "EUR", Stage: crm.StageLead, CreatedAt: created,
		History: []crm.StageEntry{{Stage: crm.StageLead, At: created, By: c.OwnerID}}}
	switch i % 3 {
	case 0:
		closed := created.Add(time.Duration(rng.Int63n(int64(baseTime.Sub(created)))))
		d.Stage, d.ClosedAt = crm.StageWon, closed
		d.History = append(d.History, crm.StageEntry{Stage: crm.StageWon, At: closed, By: c.OwnerID})
	case 1:
		closed := created.Add(time.Duration(rng.Int63n(int64(baseTime.Sub(created)))))
		d.Stage, d.ClosedAt, d.LossReason = crm.StageLost, closed, "price"
		if rng.Intn(2) == 0 {
			d.Competitor = rivalList[rng.Intn(len(rivalList))]
		}
		d.History = append(d.History, crm.StageEntry{Stage: crm.StageLost, At: closed, By: c.OwnerID})
	default:
		d.Stage = crm.OpenStages[rng.Intn(len(crm.OpenStages))]
		d.ExpectedClose = baseTime.AddDate(0, rng.Intn(10)-2, 0)
	}
	return d
}

// companyQueries are the reads measured on the company: who asks, what,
// and a piece the answer must hold. The caller's own data is the same on
// both sizes, so per-person reads (manager, supervisor) are also measured
// for growth.
var companyQueries = []struct{ name, who, text, want string }{
	{"manager/client", "console:bench", "/client Client 2n017", "Client 2n017"},
	{"manager/next", "console:bench", "/next Client 2n017", "Client 2n017"},
	{"manager/today", "console:bench", "/today", "Today"},
	{"manager/clients", "console:bench", "/clients", "Client 2n"},
	{"manager/stale", "console:bench", "/clients stale", "need attention"},
	{"manager/pipeline", "console:bench", "/pipeline", "Open"},
	{"manager/claims", "console:bench", "/claims", "C-"},
	{"manager/competitors", "console:bench", "/competitors", "Metro"},
	{"manager/campaigns", "console:bench", "/campaigns", "Agra fair"},
	{"manager/team", "console:bench", "/team", "Person 2"},
	{"manager/digest", "console:bench", "/digest", ""},
	{"manager/segments", "console:bench", "/segments", "250"},
	{"supervisor/next", "console:p3", "/next Client 2n017", "Client 2n017"},
	{"supervisor/clients", "console:p3", "/clients", "Client"},
	{"supervisor/segments", "console:p3", "/segments", "records"},
	{"supervisor/competitors", "console:p3", "/competitors", "Metro"},
	{"head/client", "console:p1", "/client Client 2n017", "Client 2n017"},
	{"head/next", "console:p1", "/next Client 2n017", "Client 2n017"},
	{"head/clients", "console:p1", "/clients", "Client"},
	{"head/stale", "console:p1", "/clients stale", "need attention"},
	{"head/segments", "console:p1", "/segments", "records"},
	{"head/claims-report", "console:p1", "/claims report", ""},
	{"head/pipeline-report", "console:p1", "/pipeline all report", ""},
	{"head/digest", "console:p1", "/digest", ""},
	{"head/export-clients", "console:p1", "/export clients", ""},
}

// BenchmarkCompany measures every query of companyQueries on the company
// of 20 and of 200 people (5,000 and 50,000 clients), reporting the
// median and the process's resident memory:
//
//	go test ./handlers/ -run '^$' -bench Company -benchtime 20x
func BenchmarkCompany(b *testing.B) {
	for _, people := range []int{20, 200} {
		e := openBench(b, people)
		for _, q := range companyQueries {
			b.Run(fmt.Sprintf("%s/people=%d", q.name, people), func(b *testing.B) {
				got := e.runAs(b, q.who, q.text)
				if !strings.Contains(got, q.want) {
					b.Fatalf("%s: %q", q.text, got)
				}
				if os.Getenv("ACCOUNTBOT_BENCH_SHOW") != "" {
					b.Logf("%s:\n%s", q.text, got)
				}
				durs := make([]time.Duration, 0, b.N)
				cpus := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0, c0 := time.Now(), cpuTime()
					e.runAs(b, q.who, q.text)
					durs = append(durs, time.Since(t0))
					cpus = append(cpus, cpuTime()-c0)
				}
				b.StopTimer()
				if last := e.runAs(b, q.who, q.text); last != got {
					b.Fatalf("%s: the answer changed from\n%s\nto\n%s", q.text, got, last)
				}
				sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
				sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
				b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "ms-median")
				b.ReportMetric(float64(cpus[len(cpus)/2].Microseconds())/1000, "ms-cpu")
				b.ReportMetric(rssMiB(), "MiB-rss")
			})
		}
	}
}

// BenchmarkCompanyGrowth runs the per-person reads (a manager's and a
// supervisor's) on a base company and on the company of 200 people
// (50,000 clients), where everyone else's data is ten times more and the
// caller's the same, alternately, and reports both medians and their
// ratio (grown / base). The base is the company of 20 people, except for
// /team: it lists every person with their client count, so between 20
// people and 200 its answer itself is ten times longer. Its growth is
// measured against thinCompany, the same 200 people with a tenth of
// everyone else's data (manager/team); manager/team-people keeps the
// comparison with 20 people, where the answer grows with the people.
//
//	go test ./handlers/ -run '^$' -bench '^BenchmarkCompanyGrowth$' -benchtime 10x
func BenchmarkCompanyGrowth(b *testing.B) {
	small, big := openBench(b, 20), openBench(b, 200)
	var thin *benchEnv // opened when a read needs it
	type growth struct {
		name, who, text string
		base            func() *benchEnv
	}
	var reads []growth
	for _, q := range companyQueries {
		if strings.HasPrefix(q.name, "head/") {
			continue
		}
		base := func() *benchEnv { return small }
		if q.name == "manager/team" {
			reads = append(reads, growth{q.name + "-people", q.who, q.text, base})
			base = func() *benchEnv {
				if thin == nil {
					thin = openCompany(b, thinCompany)
				}
				return thin
			}
		}
		reads = append(reads, growth{q.name, q.who, q.text, base})
	}
	for _, q := range reads {
		b.Run(q.name, func(b *testing.B) {
			base := q.base()
			base.runAs(b, q.who, q.text)
			big.runAs(b, q.who, q.text)
			var ts, tb, cs, cb []time.Duration
			for i := 0; i < b.N; i++ {
				t0, c0 := time.Now(), cpuTime()
				base.runAs(b, q.who, q.text)
				ts, cs = append(ts, time.Since(t0)), append(cs, cpuTime()-c0)
				t0, c0 = time.Now(), cpuTime()
				big.runAs(b, q.who, q.text)
				tb, cb = append(tb, time.Since(t0)), append(cb, cpuTime()-c0)
			}
			med := func(ds []time.Duration) time.Duration {
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				return ds[len(ds)/2]
			}
			ms, mb := med(ts), med(tb)
			b.ReportMetric(float64(ms.Microseconds())/1000, "ms-base")
			b.ReportMetric(float64(mb.Microseconds())/1000, "ms-grown")
			b.ReportMetric(float64(mb)/float64(ms), "ratio")
			// On a loaded machine the process's CPU time per command is
			// steadier than the wall clock.
			b.ReportMetric(float64(med(cb))/float64(max(med(cs), time.Microsecond)), "cpu-ratio")
		})
	}
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCompanySupervisorDigests builds the digest of each of the 20
// supervisors of the company of 200 people, one after another as the
// scheduled digests are, and reports the time of all 20 (median of the
// rounds) and the CPU time they took:
//
//	go test ./handlers/ -run '^$' -bench 'CompanySupervisorDigests' -benchtime 5x
func BenchmarkCompanySupervisorDigests(b *testing.B) {
	e := openBench(b, 200)
	var sups []string
	for p := 3; p <= 200; p += 10 {
		sups = append(sups, "console:p"+strconv.Itoa(p))
	}
	want := make([]string, len(sups))
	for i, who := range sups {
		want[i] = e.runAs(b, who, "/digest")
	}
	durs := make([]time.Duration, 0, b.N)
	cpus := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0, c0 := time.Now(), cpuTime()
		for j, who := range sups {
			if got := e.runAs(b, who, "/digest"); got != want[j] {
				b.Fatalf("%s's digest changed from\n%s\nto\n%s", who, want[j], got)
			}
		}
		durs = append(durs, time.Since(t0))
		cpus = append(cpus, cpuTime()-c0)
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
	b.ReportMetric(float64(len(sups)), "digests")
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "ms-all-median")
	b.ReportMetric(float64(cpus[len(cpus)/2].Microseconds())/1000, "ms-all-cpu")
}

// headSession is a head's heavy session: the head's reads of
// companyQueries and a few more, over and over, 60 commands in all.
var headSession = []string{
	"/clients", "/clients stale", "/client Client 2n017", "/next Client 2n017", "/segments", "/segments by=industry",
	"/claims report", "/pipeline all report", "/digest", "/export clients", "/team", "/campaigns", "/competitors",
	"/clients 2", "/segments by=city",
}

// BenchmarkCompanyHeadSession runs a head's session of 60 commands on the
// company of 200 people (alone in its process, so that what it reports
// is the session's) and reports the process's peak resident memory
// (VmHWM), its resident memory after the session and the Go heap in use:
//
//	go test ./handlers/ -run '^$' -bench 'CompanyHeadSession' -benchtime 1x
func BenchmarkCompanyHeadSession(b *testing.B) {
	e := openBench(b, 200)
	if os.Getenv("ACCOUNTBOT_BENCH_SHOW") != "" {
		b.Logf("opened: %.0f MiB resident (%.0f anonymous, %.0f files)", procStatusMiB("VmRSS:"), procStatusMiB("RssAnon:"), procStatusMiB("RssFile:"))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 60; j++ {
			e.runAs(b, "console:p1", headSession[j%len(headSession)])
			if os.Getenv("ACCOUNTBOT_BENCH_SHOW") != "" && j < len(headSession) {
				b.Logf("%s: %.0f MiB resident (%.0f anonymous, %.0f files)", headSession[j], procStatusMiB("VmRSS:"), procStatusMiB("RssAnon:"), procStatusMiB("RssFile:"))
			}
		}
	}
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(procStatusMiB("VmHWM:"), "MiB-peak-rss")
	b.ReportMetric(procStatusMiB("VmRSS:"), "MiB-rss")
	b.ReportMetric(procStatusMiB("RssAnon:"), "MiB-rss-anon")
	b.ReportMetric(procStatusMiB("RssFile:"), "MiB-rss-file")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap")
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "MiB-heap-sys")
}

// procStatusMiB reads a memory figure (in kB) of /proc/self/status.
func procStatusMiB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
