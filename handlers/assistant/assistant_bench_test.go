package assistant_test

import (
	"fmt"
	"testing"

	"accountbot/store"
)

// A whole offline /followup: facts from the store, the drafter, the draft
// kept, the reply.
func BenchmarkFollowupOffline(b *testing.B) {
	e := newEnv(b, nil, 0, store.Options{})
	for i := range 200 {
		logConv(e, fmt.Sprintf("conversation %d about the offer", i), 10+i)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Direct("console:maria", "/followup Acme: confirm the meeting")
	}
}
