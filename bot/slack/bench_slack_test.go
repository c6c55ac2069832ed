package slack_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"accountbot/bot"
)

// BenchmarkAckEvent measures the acknowledgement of a signed DM event over
// HTTP: signature check, parsing, the once-only check in the store, and
// starting the work. The handler does nothing.
func BenchmarkAckEvent(b *testing.B) {
	var handled atomic.Int64
	h := bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
		handled.Add(1)
		return nil
	})
	e := newSlackEnv(b, envOpts{handler: h})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = dmEvent("EvB"+strconv.Itoa(i), headUser, "today")
	}
	took := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		resp := e.post("/slack/events", "application/json", bodies[i])
		took[i] = time.Since(start)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		resp.Body.Close()
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "median-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}
