package chattest

import (
	"sort"
	"testing"
	"time"
)

// Latency runs op b.N times, timing each run, and reports the median and
// the 95th percentile of the runs (ms-median, ms-p95).
func Latency(b *testing.B, op func()) {
	b.Helper()
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		op()
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(durs[len(durs)*95/100].Microseconds())/1000, "ms-p95")
}
