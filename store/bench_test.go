package store

import (
	"testing"
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
