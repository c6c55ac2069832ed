package fakes

import (
	"context"
	"testing"

	"accountbot/crm"
)

// ClientFinder is the one read of a store that ClientNames needs
// (store.Store has it).
type ClientFinder interface {
	FindClients(ctx context.Context, query string, limit int) ([]*crm.Client, error)
}

// ClientNames returns the names of the first 100 clients st holds, in the
// order FindClients gives them; it fails the test if st cannot be read.
// Adapters' tests use it to see what an import stored.
func ClientNames(t testing.TB, st ClientFinder) []string {
	t.Helper()
	cs, err := st.FindClients(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
