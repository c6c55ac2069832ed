package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"accountbot/internal/pgtest"
	"accountbot/store"

	"github.com/jackc/pgx/v5"
)

// The generated company on PostgreSQL. Loading 50,000 clients and
// 1,000,000 conversations through the store's restore path takes minutes
// on a shared machine, so the loaded schema is kept as a pg_dump beside
// the cached Badger company, named by a hash of the PostgreSQL engine's
// tables and migrations: a change to them loads it afresh. A dump is
// restored into the test's own schema in well under a minute.

// pgDumpSchema is the name the company's schema has inside a dump.
const pgDumpSchema = "accountbot_company"

// pgCompanyURL returns the URL of a schema of the test server holding the
// company c, the same data as the Badger copy of benchData.
func pgCompanyURL(b *testing.B, c company) string {
	b.Helper()
	u := pgtest.URL(b)
	base, schema := splitSearchPath(b, u)
	src, err := companyDir(b, c)
	if err != nil {
		b.Fatal(err)
	}
	dump := filepath.Join(src, "pg-"+pgEngineHash(b)+".dump")
	logger := slog.New(slog.DiscardHandler)
	if _, err := os.Stat(dump); err == nil {
		start := time.Now()
		pgExec(b, base, "DROP SCHEMA "+schema+" CASCADE")
		if out, err := exec.Command(pgTool(b, "pg_restore"), "--no-owner", "--jobs=2", "--dbname="+base, dump).CombinedOutput(); err != nil {
			b.Fatalf("pg_restore %s: %v\n%s", dump, err, out)
		}
		pgExec(b, base, "ALTER SCHEMA "+pgDumpSchema+" RENAME TO "+schema)
		// A dump carries no planner statistics.
		st, err := store.Open(store.Options{DatabaseURL: u, Logger: logger})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Compact(); err != nil {
			b.Fatal(err)
		}
		st.Close()
		b.Logf("restored the company %s into PostgreSQL from %s in %v", c, dump, time.Since(start).Round(time.Millisecond))
		return u
	}
	start := time.Now()
	bak, err := os.CreateTemp("", "accountbot-company-*.bak")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(bak.Name())
	defer bak.Close()
	from, err := store.Open(store.Options{Dir: filepath.Join(benchData(b, c), "data"), Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	err = from.Backup(bak, nil, baseTime)
	from.Close()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bak.Seek(0, 0); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(store.Options{DatabaseURL: u, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Restore(bak, nil); err != nil {
		b.Fatal(err)
	}
	if err := st.Compact(); err != nil {
		b.Fatal(err)
	}
	st.Close()
	loaded := time.Since(start)
	// Dumped under a fixed schema name, so that any test's schema can
	// take it.
	tmp := dump + ".tmp" + strconv.Itoa(os.Getpid())
	pgExec(b, base, "ALTER SCHEMA "+schema+" RENAME TO "+pgDumpSchema)
	out, err := exec.Command(pgTool(b, "pg_dump"), "--format=custom", "--compress=1", "--no-owner", "--schema="+pgDumpSchema, "--file="+tmp, base).CombinedOutput()
	pgExec(b, base, "ALTER SCHEMA "+pgDumpSchema+" RENAME TO "+schema)
	if err != nil {
		os.Remove(tmp)
		b.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, dump); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded the company %s into PostgreSQL in %v through restore (kept as %s)", c, loaded.Round(time.Millisecond), dump)
	return u
}

// pgEngineHash names the PostgreSQL engine's layout: a hash of its
// tables' code and its migrations.
func pgEngineHash(b *testing.B) string {
	b.Helper()
	// The schema and the mapping of keys to rows, not the engine's
	// reads: a change to how the engine reads keeps the loaded company.
	files := []string{"../store/engine_pg_tables.go", "../store/engine_pg_migrate.go"}
	more, _ := filepath.Glob("../store/pgschema/*")
	files = append(files, more...)
	sort.Strings(files)
	if len(files) == 0 {
		b.Fatal("no PostgreSQL engine files found under ../store")
	}
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// splitSearchPath returns the server URL without the test's search_path,
// and the schema it named.
func splitSearchPath(b *testing.B, u string) (string, string) {
	b.Helper()
	p, err := url.Parse(u)
	if err != nil {
		b.Fatal(err)
	}
	q := p.Query()
	schema := q.Get("search_path")
	if schema == "" {
		b.Fatalf("no schema in %s", u)
	}
	q.Del("search_path")
	p.RawQuery = q.Encode()
	return p.String(), schema
}

// pgConnect opens a connection to u for the caller to close, failing the
// benchmark when it cannot.
func pgConnect(b *testing.B, u string) *pgx.Conn {
	b.Helper()
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		b.Fatal(err)
	}
	return conn
}

func pgExec(b *testing.B, u, sql string) {
	b.Helper()
	ctx := context.Background()
	conn := pgConnect(b, u)
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		b.Fatalf("%s: %v", sql, err)
	}
}

func pgTool(b *testing.B, name string) string {
	b.Helper()
	p := pgtest.Tool(name)
	if p == "" {
		b.Skipf("%s is not installed", name)
	}
	return p
}

// pgServer measures the CPU time of a PostgreSQL server on this machine:
// its postmaster and the backends it forked. The reads on PostgreSQL do
// much of their work there, outside the benchmark's process.
type pgServer struct{ postmaster int }

// findPGServer finds the server behind u through a backend's parent; zero
// when the server is not a local process.
func findPGServer(b *testing.B, u string) pgServer {
	b.Helper()
	ctx := context.Background()
	conn := pgConnect(b, u)
	defer conn.Close(ctx)
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		b.Fatal(err)
	}
	st, ok := procStat(pid)
	if !ok {
		return pgServer{}
	}
	return pgServer{postmaster: st.ppid}
}

// cpu is the server's CPU time so far: the postmaster's own and its
// finished children's, and the running backends'.
func (s pgServer) cpu() time.Duration {
	if s.postmaster == 0 {
		return 0
	}
	pm, ok := procStat(s.postmaster)
	if !ok {
		return 0
	}
	total := pm.self + pm.children
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := procStat(pid); ok && st.ppid == s.postmaster {
			total += st.self
		}
	}
	return total
}

// pgStatements counts the statements the server ran, through
// pg_stat_statements when the server loads it (ACCOUNTBOT_TEST_PG_OPTIONS
// with shared_preload_libraries=pg_stat_statements); nil otherwise.
func pgStatements(b *testing.B, u string) func() int64 {
	b.Helper()
	base, _ := splitSearchPath(b, u)
	ctx := context.Background()
	conn := pgConnect(b, base)
	b.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return nil
	}
	count := func() (int64, error) {
		var n int64
		err := conn.QueryRow(ctx, `SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
		return n, err
	}
	if _, err := count(); err != nil {
		return nil // not preloaded
	}
	return func() int64 {
		n, err := count()
		if err != nil {
			b.Fatal(err)
		}
		return n - 1 // this query itself, counted by the next look
	}
}

type procTimes struct {
	ppid           int
	self, children time.Duration
}

// procStat reads /proc/PID/stat: the parent, the process's CPU time and
// that of its waited-for children.
func procStat(pid int) (procTimes, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procTimes{}, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procTimes{}, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 15 {
		return procTimes{}, false
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return procTimes{
		ppid:     int(n(1)),
		self:     time.Duration(n(11)+n(12)) * tick,
		children: time.Duration(n(13)+n(14)) * tick,
	}, true
}

// BenchmarkCompanyEngines runs the per-person reads of companyQueries (a
// manager's and a supervisor's) on the company of 200 people (50,000
// clients, 1,000,000 conversations) on Badger and on PostgreSQL, the same
// data restored into it, alternately in one run, and reports both medians
// and their ratio (PostgreSQL / Badger). CPU per read is the mean over the
// run, the PostgreSQL server's processes included. Both engines must give
// the same answer. ACCOUNTBOT_BENCH_PEOPLE=20 runs it on the small company;
// with pg_stat_statements loaded it also counts the statements per read:
//
//	go test ./handlers/ -run '^$' -bench CompanyEngines -benchtime 20x
//	ACCOUNTBOT_TEST_PG_OPTIONS='-c shared_preload_libraries=pg_stat_statements' go test ./handlers/ -run '^$' -bench CompanyEngines -benchtime 5x
//
// and with ACCOUNTBOT_BENCH_PG_TOP=1 besides, it prints the statements
// one read runs, most frequent first (which read is one statement per key).
// ACCOUNTBOT_BENCH_HEAD=1 adds the head's reads (the whole company's).
func BenchmarkCompanyEngines(b *testing.B) {
	if ok, why := pgtest.Available(); !ok {
		b.Skip("PostgreSQL is not available: " + why)
	}
	people := 200
	if v := os.Getenv("ACCOUNTBOT_BENCH_PEOPLE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 20 {
			b.Fatalf("ACCOUNTBOT_BENCH_PEOPLE=%q: a number of people, at least 20", v)
		}
		people = n
	}
	pgURL := pgCompanyURL(b, companyOf(people))
	pg := openBenchURL(b, pgURL)
	bd := openBadgerBench(b, companyOf(people))
	srv := findPGServer(b, pgURL)
	stmts := pgStatements(b, pgURL)
	for _, q := range companyQueries {
		if strings.HasPrefix(q.name, "head/") && os.Getenv("ACCOUNTBOT_BENCH_HEAD") == "" {
			continue // company-wide reads: ACCOUNTBOT_BENCH_HEAD=1 adds them
		}
		b.Run(q.name, func(b *testing.B) {
			gb, gp := bd.runAs(b, q.who, q.text), pg.runAs(b, q.who, q.text)
			if !strings.Contains(gb, q.want) {
				b.Fatalf("%s on Badger: %q", q.text, gb)
			}
			if gp != gb {
				b.Errorf("%s answers differently on PostgreSQL:\n%s\n--- Badger:\n%s", q.text, gp, gb)
			}
			var tb, tp []time.Duration
			var cb, cp time.Duration
			var calls int64
			for i := 0; i < b.N; i++ {
				t0, c0 := time.Now(), cpuTime()
				bd.runAs(b, q.who, q.text)
				tb, cb = append(tb, time.Since(t0)), cb+cpuTime()-c0
				var n0 int64
				if stmts != nil {
					n0 = stmts()
				}
				// The server's CPU is read (a walk of /proc, a few ms)
				// outside the timed read and the process's CPU.
				s0 := srv.cpu()
				c0, t0 = cpuTime(), time.Now()
				pg.runAs(b, q.who, q.text)
				d, c1 := time.Since(t0), cpuTime()
				tp, cp = append(tp, d), cp+c1-c0+srv.cpu()-s0
				if stmts != nil {
					calls += stmts() - n0
				}
			}
			med := func(ds []time.Duration) time.Duration {
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				return ds[len(ds)/2]
			}
			if os.Getenv("ACCOUNTBOT_BENCH_PG_TOP") != "" && stmts != nil {
				base, _ := splitSearchPath(b, pgURL)
				c := pgConnect(b, base)
				c.Exec(context.Background(), "SELECT pg_stat_statements_reset()")
				pg.runAs(b, q.who, q.text)
				rows, err := c.Query(context.Background(), `SELECT calls, round(total_exec_time::numeric, 2)::text || 'ms ' || left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY calls DESC LIMIT 14`)
				if err == nil {
					for rows.Next() {
						var n int64
						var t string
						rows.Scan(&n, &t)
						fmt.Printf("statements %s: %d× %s\n", q.name, n, t)
					}
					rows.Close()
				}
				c.Close(context.Background())
			}
			mb, mp := med(tb), med(tp)
			b.ReportMetric(float64(mb.Microseconds())/1000, "ms-badger")
			b.ReportMetric(float64(mp.Microseconds())/1000, "ms-pg")
			b.ReportMetric(float64(mp)/float64(max(mb, time.Microsecond)), "ratio")
			b.ReportMetric(float64(cb.Microseconds())/1000/float64(b.N), "cpu-ms-badger")
			if stmts != nil {
				b.ReportMetric(float64(calls)/float64(b.N), "stmts/op")
			}
			if srv.postmaster != 0 {
				b.ReportMetric(float64(cp.Microseconds())/1000/float64(b.N), "cpu-ms-pg")
				b.ReportMetric(float64(cp)/float64(max(cb, time.Microsecond)), "cpu-ratio")
			}
		})
	}
}

// BenchmarkSegmentFiguresBuildPG times what the first head /segments
// sets off in the background on a PostgreSQL store written before the
// kept segment figures (store/segment_figures.go): building them for the
// company of 200 people (50,000 clients), 250 clients per transaction.
// The figures, their clients' facts and their marker are deleted first.
//
//	go test ./handlers/ -run '^$' -bench SegmentFiguresBuildPG -benchtime 1x
func BenchmarkSegmentFiguresBuildPG(b *testing.B) {
	if ok, why := pgtest.Available(); !ok {
		b.Skip("PostgreSQL is not available: " + why)
	}
	u := pgCompanyURL(b, companyOf(200))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, p := range []string{"sgc/", "sgn/", "sgt/", "meta/segments"} {
			pgExec(b, u, fmt.Sprintf(`DELETE FROM kv WHERE key >= '\x%x' AND key < '\x%x'`, p, p+"\xff"))
		}
		st, err := store.Open(store.Options{DatabaseURL: u, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := st.BuildSegmentFigures(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/build")
		b.StopTimer()
		st.Close()
	}
}
