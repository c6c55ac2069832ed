package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"accountbot/bot/console"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/i18n"
	"accountbot/internal/pgtest"
	"accountbot/store"
)

// openBenchOn opens the generated company of people persons on engine:
// Badger in its data directory, or PostgreSQL with the same data restored
// from a backup of it. Run with ACCOUNTBOT_TEST_PG_DURABLE=1 for a
// PostgreSQL server with fsync and synchronous_commit on.
func openBenchOn(b *testing.B, engine string, people int) *benchEnv {
	b.Helper()
	dir := benchData(b, people)
	opts := store.Options{Dir: filepath.Join(dir, "data"), Logger: slog.New(slog.DiscardHandler)}
	if engine == "postgres" {
		src, err := store.Open(opts)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		err = src.Backup(&buf, nil, baseTime)
		src.Close()
		if err != nil {
			b.Fatal(err)
		}
		opts = store.Options{DatabaseURL: pgtest.URL(b), Logger: opts.Logger}
		st, err := store.Open(opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Restore(&buf, nil); err != nil {
			b.Fatal(err)
		}
		if err := st.Compact(); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	st, err := store.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
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
			var n atomic.Int64
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0))) // 32 goroutines
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					got := e.run(b, fmt.Sprintf("/log #%d: engines bench %d", clientsPer+1+i%clientsPer, i))
					if !strings.Contains(got, "Saved") {
						b.Errorf("not saved: %q", got)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logs/s")
		})
		b.Run("console/engine="+engine, func(b *testing.B) {
			var in strings.Builder
			for i := 0; i < b.N; i++ {
				fmt.Fprintf(&in, "/log #%d: console engines bench %d\n", clientsPer+1+i%clientsPer, i)
			}
			c := console.New(strings.NewReader(in.String()), io.Discard, console.WithUser("bench"))
			b.ResetTimer()
			start := time.Now()
			if err := c.Run(context.Background(), e.svc); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logs/s")
		})
	}
}
