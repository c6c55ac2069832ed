package handlers_test

import (
	"runtime"
	"testing"
	"time"

	"accountbot/internal/pgtest"
)

// openBenchOn opens the generated company of people persons on engine:
// Badger in its data directory, or PostgreSQL with the same data (see
// pgCompanyURL). Run with ACCOUNTBOT_TEST_PG_DURABLE=1 for a PostgreSQL
// server with fsync and synchronous_commit on.
func openBenchOn(b *testing.B, engine string, people int) *benchEnv {
	b.Helper()
	if engine == "postgres" {
		return openBenchURL(b, pgCompanyURL(b, companyOf(people)))
	}
	return openBadgerBench(b, companyOf(people))
}

// BenchmarkLogEngines logs conversations through the whole handler on
// Badger and on PostgreSQL, on the same data (the company of 20 people:
// 5,000 clients, 100,000 conversations): from 32 concurrent callers, each
// acknowledged after a durable commit, and one after another through the
// console.
func BenchmarkLogEngines(b *testing.B) {
	const people = 20
	// PostgreSQL first: its data is restored from the Badger directory,
	// which the Badger run then keeps open.
	for _, engine := range []string{"postgres", "badger"} {
		if engine == "postgres" {
			if ok, why := pgtest.Available(); !ok {
				b.Log("PostgreSQL is not available: " + why)
				continue
			}
		}
		e := openBenchOn(b, engine, people)
		b.Run("concurrent32/engine="+engine, func(b *testing.B) {
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0))) // 32 goroutines
			b.ResetTimer()
			start, conflicts := time.Now(), e.st.Conflicts()
			logParallel(b, e, "engines bench")
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logs/s")
			b.ReportMetric(float64(e.st.Conflicts()-conflicts)/float64(b.N), "retries/log")
		})
		b.Run("console/engine="+engine, func(b *testing.B) {
			logThroughConsole(b, e, "console engines bench")
		})
	}
}
