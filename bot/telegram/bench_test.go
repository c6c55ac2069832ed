package telegram

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
)

// BenchmarkBurst500 measures the adapter end to end without pacing: 500
// /log updates from 50 chats through getUpdates, the real handlers, an
// in-memory store and sendMessage, until the last offset is confirmed.
func BenchmarkBurst500(b *testing.B) {
	e := newTelegramEnv(b, func(c *envConfig) {
		c.opts = append(c.opts, WithPacing(0, 0))
	})
	const chats = 50
	var last int64
	for i := 0; i < chats; i++ {
		last = e.api.Say(head, fmt.Sprintf("/client add \"Bench %02d\"", i))
	}
	e.api.WaitHandled(b, last)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		for n := 0; n < 500; n++ {
			i := n % chats
			// The head writes in 50 chats at once (the chat ids are made up:
			// only their number matters here).
			last = e.api.Push(messageUpdate(int64(100+i*1000), "private", head, fmt.Sprintf("/log Bench %02d: note %d", i, n)))
		}
		e.api.WaitFor(b, time.Minute, "the burst", func() bool { return e.api.ConfirmedPast(last) })
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/update")
}

// BenchmarkRenderLongReply formats and splits a 30,000-character reply.
func BenchmarkRenderLongReply(b *testing.B) {
	var lines []string
	for i := 0; i < 500; i++ {
		lines = append(lines, fmt.Sprintf("• Client <%03d> & Sons — Sofia, active (Maria Petrova)", i))
	}
	r := bot.Reply{Title: "500 clients", Text: strings.Join(lines, "\n")}
	b.ReportAllocs()
	for b.Loop() {
		if parts := renderReply(r); len(parts) < 2 {
			b.Fatal(len(parts))
		}
	}
}
