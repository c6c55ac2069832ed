package handlers_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkDigests builds the digests of the 20 supervisors of the
// benchmark data (200 people, 50,000 clients, 1,000,000 conversations),
// which together cover the 200 people; one op is all 20 digests. The
// head's digest (everyone) is measured on its own.
func BenchmarkDigests(b *testing.B) {
	e := openBench(b, 200)
	var sups []string
	for p := 3; p <= 200; p += 10 {
		sups = append(sups, "console:p"+strconv.Itoa(p))
	}
	digest := e.runAs
	b.Run("supervisors=20", func(b *testing.B) {
		for _, id := range sups {
			if got := digest(b, id, "/digest"); !strings.Contains(got, "Daily digest · 2026-11-26") || !strings.Contains(got, "conversations: ") {
				b.Fatalf("%s: %q", id, got)
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, id := range sups {
				digest(b, id, "/digest")
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/20-digests")
		b.ReportMetric(rssMiB(), "MiB-rss")
	})
	b.Run("head=all", func(b *testing.B) {
		got := digest(b, "console:p1", "/digest full")
		if !strings.Contains(got, "details") {
			b.Fatalf("head: %q", got)
		}
		b.ResetTimer()
		t0 := time.Now()
		for i := 0; i < b.N; i++ {
			digest(b, "console:p1", "/digest")
		}
		b.ReportMetric(float64(time.Since(t0).Milliseconds())/float64(b.N), "ms/digest")
	})
}
