package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/bot/console"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/i18n"
	"accountbot/store"
	"accountbot/store/storetest"
)

// The benchmark data is a company (see company_bench_test.go): every
// person owns clientsPer clients with convsPer conversations each, so 200
// people make 50,000 clients and 1,000,000 conversations. Person 2
// ("console:bench", a manager reporting to supervisor 3) is the caller;
// the small data set has 20 people, so the caller's own data is the same
// while the total is ten times smaller.
const (
	clientsPer = 250
	convsPer   = 20
)

var (
	dataMu   sync.Mutex
	dataDirs = map[company]string{}
	baseTime = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
)

// benchData returns a data directory with the company c: a private copy
// of the generated company, made once per process.
func benchData(b *testing.B, c company) string {
	b.Helper()
	dataMu.Lock()
	defer dataMu.Unlock()
	if dir, ok := dataDirs[c]; ok {
		return dir
	}
	dir, err := companyCopy(b, c)
	if err != nil {
		b.Fatal(err)
	}
	dataDirs[c] = dir
	return dir
}

var words = []string{"Trade", "Logistics", "Pumps", "Foods", "Textile", "Pharma", "Build", "Energy"}
var cities = []string{"Sofia", "Plovdiv", "Varna", "Burgas", "Ruse", "Stara Zagora"}

type benchEnv struct {
	st  *store.Store
	svc *handlers.Service
}

// openBench opens the company of people persons on Badger, or on
// PostgreSQL (the same data) with ACCOUNTBOT_TEST_STORE=postgres.
func openBench(b *testing.B, people int) *benchEnv {
	b.Helper()
	return openCompany(b, companyOf(people))
}

// openCompany opens the company c on Badger, or on PostgreSQL with
// ACCOUNTBOT_TEST_STORE=postgres.
func openCompany(b *testing.B, c company) *benchEnv {
	b.Helper()
	if os.Getenv(storetest.EnvStore) == "postgres" {
		return openBenchURL(b, pgCompanyURL(b, c))
	}
	return openBadgerBench(b, c)
}

// openBadgerBench opens a private Badger copy of the company c.
func openBadgerBench(b *testing.B, c company) *benchEnv {
	b.Helper()
	dir := benchData(b, c)
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		b.Fatal(err)
	}
	// The segment figures, which the company's generator of an older
	// version did not build: a head's /segments would count meanwhile.
	// (The engines' comparison on PostgreSQL reads no head analysis.)
	if err := st.BuildSegmentFigures(context.Background()); err != nil {
		st.Close()
		b.Fatal(err)
	}
	return benchService(b, st)
}

// openBenchURL opens the company in the PostgreSQL schema of u.
func openBenchURL(b *testing.B, u string) *benchEnv {
	b.Helper()
	st, err := store.Open(store.Options{DatabaseURL: u, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return benchService(b, st)
}

// benchService puts the service over st, closed with the benchmark.
func benchService(b *testing.B, st *store.Store) *benchEnv {
	b.Helper()
	b.Cleanup(func() { st.Close() })
	cat, err := i18n.New()
	if err != nil {
		b.Fatal(err)
	}
	cfg := handlers.DefaultConfig()
	cfg.TZ = time.UTC
	svc, err := handlers.New(st, cat, handlers.WithClock(dates.NewManualClock(baseTime)), handlers.WithConfig(cfg), handlers.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{st: st, svc: svc}
}

func (e *benchEnv) run(b *testing.B, text string) string { return e.runAs(b, "console:bench", text) }

// runAs sends text as the person with identity and returns the reply.
func (e *benchEnv) runAs(b *testing.B, identity, text string) string {
	rec := &bot.Recorder{}
	m := &bot.Message{Platform: "console", Identity: identity, Text: text, Private: true}
	if err := e.svc.ServeChat(context.Background(), rec, m); err != nil {
		b.Fatal(err)
	}
	return rec.Text()
}

// BenchmarkQueries measures the caller's queries on both data sizes; the
// ratio large/small shows that a query reads only what it returns.
func BenchmarkQueries(b *testing.B) {
	for _, people := range []int{20, 200} {
		e := openBench(b, people)
		queries := []struct{ name, text, want string }{
			{"client", "/client Client 2n017", "Client 2n017"},
			{"today", "/today", "T-"},
			{"stale", "/clients stale", "need attention"},
		}
		for _, q := range queries {
			b.Run(fmt.Sprintf("%s/people=%d", q.name, people), func(b *testing.B) {
				if got := e.run(b, q.text); !strings.Contains(got, q.want) {
					b.Fatalf("%s: %q", q.text, got)
				}
				durs := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					e.run(b, q.text)
					durs = append(durs, time.Since(t0))
				}
				b.StopTimer()
				sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
				b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "ms-median")
				b.ReportMetric(rssMiB(), "MiB-rss")
			})
		}
	}
}

// BenchmarkLogConcurrent logs conversations from 64 concurrent callers
// through the whole handler, each acknowledged only after a synced commit,
// and checks that every one is stored.
func BenchmarkLogConcurrent(b *testing.B) {
	e := openBench(b, 200)
	// The head's stale list makes every owner's maintained stale count,
	// which each log of a stale client then keeps.
	e.runAs(b, "console:p1", "/clients stale")
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	sent := logParallel(b, e, "bench")
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "logs/s")
	// Nothing lost: every acknowledged log is in the store.
	var found int64
	for c := uint64(clientsPer + 1); c <= 2*clientsPer; c++ {
		convs, err := e.st.Conversations(context.Background(), c, 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range convs {
			if strings.HasPrefix(v.Text, "bench ") {
				found++
			}
		}
	}
	if found < sent {
		b.Fatalf("acknowledged %d logs, found %d", sent, found)
	}
}

// BenchmarkLogConsole logs conversations one after another through the
// console adapter, as a person typing (or a script piping) would.
func BenchmarkLogConsole(b *testing.B) {
	logThroughConsole(b, openBench(b, 200), "console bench")
}

// logParallel logs b.N conversations ("/log #c: text i", to the second
// clientsPer clients in turn) from parallel callers, each checked saved,
// and returns how many it sent.
func logParallel(b *testing.B, e *benchEnv, text string) int64 {
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			got := e.run(b, fmt.Sprintf("/log #%d: %s %d", clientsPer+1+i%clientsPer, text, i))
			if !strings.Contains(got, "Saved") {
				b.Errorf("not saved: %q", got)
				return
			}
		}
	})
	return n.Load()
}

// logThroughConsole logs b.N conversations ("/log #c: text i") one after
// another through the console adapter, as a person typing (or a script
// piping) would, and reports logs/s.
func logThroughConsole(b *testing.B, e *benchEnv, text string) {
	var in strings.Builder
	for i := 0; i < b.N; i++ {
		fmt.Fprintf(&in, "/log #%d: %s %d\n", clientsPer+1+i%clientsPer, text, i)
	}
	c := console.New(strings.NewReader(in.String()), io.Discard, console.WithUser("bench"))
	b.ResetTimer()
	start := time.Now()
	if err := c.Run(context.Background(), e.svc); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logs/s")
}

// rssMiB reads the process's resident set size.
func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
