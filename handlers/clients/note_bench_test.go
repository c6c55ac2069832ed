package clients_test

import (
	"accountbot/handlers/clients"
	"context"
	"testing"

	"accountbot/crm"
)

// benchNames makes n distinct client names of two or three words.
// The rule-based reader matches a note against every visible client: a
// head sees them all.
// Reading a note without a model, for a manager with 2,000 clients.
func BenchmarkNoteRules2k(b *testing.B) {
	e := newAssistEnv(b, nil)
	ctx := context.Background()
	for i, n := range clients.BenchNames(2000) {
		c := &crm.Client{Name: n, OwnerID: e.maria.ID, CreatedAt: assistNow, ReviewedAt: assistNow}
		if err := e.st.CreateClient(ctx, c, crm.Actor{PersonID: e.maria.ID}); err != nil {
			b.Fatal(i, err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		e.send("console:maria", "Met Sigma Steel 1234 today, they want 5% off, call back friday")
	}
}
