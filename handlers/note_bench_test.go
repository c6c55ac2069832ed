package handlers

import (
	"context"
	"fmt"
	"testing"

	"accountbot/crm"
)

// benchNames makes n distinct client names of two or three words.
func benchNames(n int) []string {
	first := []string{"Acme", "Beta", "Gamma", "Delta", "Omega", "Nova", "Terra", "Aqua", "Volt", "Sigma", "Акме", "Бета", "Светлина", "Родопа", "Дунав"}
	second := []string{"Pumps", "Foods", "Trade", "Steel", "Logistics", "Energy", "Помпи", "Храни", "Транс", "Строй"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %s %d", first[i%len(first)], second[(i/len(first))%len(second)], i)
	}
	return out
}

// The rule-based reader matches a note against every visible client: a
// head sees them all.
func BenchmarkMatchClients10k(b *testing.B) {
	names := benchNames(10000)
	clients := make([]*crm.Client, len(names))
	for i, n := range names {
		clients[i] = &crm.Client{ID: uint64(i + 1), Name: n}
	}
	note := "Met " + names[4242] + " today at the fair, they complain the pumps came late and want 5% off, call back on Friday about the revised offer and the delivery schedule"
	b.ReportAllocs()
	for b.Loop() {
		if m := topMatches(matchClients(note, clients)); len(m) != 1 {
			b.Fatalf("%d matches", len(m))
		}
	}
}

// Reading a note without a model, for a manager with 2,000 clients.
func BenchmarkNoteRules2k(b *testing.B) {
	e := newAssistEnv(b, nil)
	ctx := context.Background()
	for i, n := range benchNames(2000) {
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
