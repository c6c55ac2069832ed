package handlers_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
)

// healthBench is the company of 200 people (50,000 clients) with every
// client's health computed by the daily job, and supervisor 3 given 20
// managers. It is made once per process.
var healthBench struct {
	e     *benchEnv
	sweep time.Duration
}

func openHealthBench(b *testing.B) *benchEnv {
	b.Helper()
	if healthBench.e != nil {
		return healthBench.e
	}
	e := openBench(b, 200)
	ctx := context.Background()
	people, err := e.st.People(ctx)
	if err != nil {
		b.Fatal(err)
	}
	reports := 0
	for _, p := range people {
		if p.ReportsTo == 3 && p.Role == crm.RoleManager {
			reports++
		}
	}
	for _, p := range people {
		if reports >= 20 {
			break
		}
		if p.Role != crm.RoleManager || p.ReportsTo == 3 {
			continue
		}
		if _, err := e.st.UpdatePerson(ctx, p.ID, func(q *crm.Person) error { q.ReportsTo = 3; return nil }); err != nil {
			b.Fatal(err)
		}
		reports++
	}
	// Renewals of the caller's clients, two of them this quarter.
	for i, day := range []string{"2026-12-20", "2027-02-15", "2027-05-01"} {
		e.runAs(b, "console:bench", fmt.Sprintf("/renewal Client 2n%03d %s amount=%d000", 10+i, day, 5+i))
	}
	// The daily job: every client once.
	start := time.Now()
	for i := 0; i < 200; i++ {
		e.svc.RunJobs(ctx)
		if _, _, done, err := e.st.HealthSweep(ctx); err != nil {
			b.Fatal(err)
		} else if done {
			break
		}
	}
	healthBench.e, healthBench.sweep = e, time.Since(start)
	b.Logf("health of 50,000 clients computed in %v", healthBench.sweep.Round(time.Millisecond))
	return e
}

// BenchmarkHealth measures /health on 50,000 clients: one account
// (manager), the accounts at risk of a supervisor of 20 managers, of the
// whole company (head), and /renewals:
//
//	go test ./handlers/ -run '^$' -bench Health -benchtime 50x
func BenchmarkHealth(b *testing.B) {
	e := openHealthBench(b)
	b.Run("daily-job", func(b *testing.B) {
		b.ReportMetric(healthBench.sweep.Seconds(), "s-all")
		b.ReportMetric(float64(healthBench.sweep.Microseconds())/50000, "us-per-client")
	})
	for _, q := range []struct{ name, who, text, want string }{
		{"name", "console:bench", "/health Client 2n017", "Health of Client 2n017"},
		{"mine", "console:bench", "/health mine", "ccounts"},
		{"team-of-20", "console:p3", "/health team", "ccounts"},
		{"all", "console:p1", "/health all", "ccounts"},
		{"renewals-team", "console:p3", "/renewals", "R-"},
		{"card", "console:bench", "/client Client 2n017", "Health"},
	} {
		b.Run(q.name, func(b *testing.B) {
			got := e.runAs(b, q.who, q.text)
			if !strings.Contains(got, q.want) {
				b.Fatalf("%s: %q", q.text, got)
			}
			first, _, _ := strings.Cut(got, "\n")
			b.Logf("%s: %s", q.text, first)
			durs := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				e.runAs(b, q.who, q.text)
				durs = append(durs, time.Since(t0))
			}
			b.StopTimer()
			sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(durs[len(durs)*95/100].Microseconds())/1000, "ms-p95")
		})
	}
}
