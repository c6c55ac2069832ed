package store

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

// BenchmarkRawSyncedCommit is the yardstick: one key, one synced Badger
// commit, one after another, with the store's own options.
func BenchmarkRawSyncedCommit(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	val := make([]byte, 200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := s.eng.update(func(txn kvTxn) error { return txn.set(key("bench/", uint64(i)), val, 0) })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

// BenchmarkDealStageChange moves a deal of a busy client (30 deals, a
// third won over two years, and 10 claims) between stages, on a synced
// store: the cost a write pays for the indexes and figures kept with it.
func BenchmarkDealStageChange(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	by := crm.Actor{PersonID: 1}
	c := &crm.Client{Name: "Busy", OwnerID: 1, Segment: "Retail", Need: "pumps, valves", City: "Sofia", CreatedAt: at.AddDate(-2, 0, 0)}
	if err := s.CreateClient(ctx, c, by); err != nil {
		b.Fatal(err)
	}
	var ids []uint64
	for i := 0; i < 30; i++ {
		d := &crm.Deal{ClientID: c.ID, OwnerID: 1, Title: fmt.Sprint("Deal ", i), Amount: decimal.New(int64(100+i), 0), Currency: "EUR", Stage: crm.StageLead, CreatedAt: at.AddDate(0, 0, -20*i)}
		if i%3 == 0 {
			d.Stage, d.ClosedAt = crm.StageWon, at.AddDate(0, 0, -20*i)
		}
		if err := s.CreateDeal(ctx, d, by); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	for i := 0; i < 10; i++ {
		t := at.AddDate(0, -i, 0)
		cl := crm.NewClaim(c.ID, 1, by, t, "late", "", crm.SeverityLow, "delivery", t.Add(time.Hour), t.Add(2*time.Hour))
		if err := s.CreateClaim(ctx, &cl); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		// Won, then reopened: each write moves the client's won figures.
		// The stage history is cut to its last entry, so that every
		// write is the same size whatever b.N.
		if _, err := s.UpdateDeal(ctx, ids[1], by, at, func(d *crm.Deal) error {
			if n := len(d.History); n > 1 {
				d.History = d.History[n-1:]
			}
			if d.Stage.Open() {
				return d.MoveTo(crm.StageWon, at, 1)
			}
			return d.Reopen(at, 1)
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	// The process's CPU time per write: the figure that holds on a
	// shared machine, where the synced commit's wait is noise.
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU is the CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
