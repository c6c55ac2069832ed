package chattest

import (
	"testing"

	"accountbot/i18n"
)

// Words returns the tables read builds from the translations (a family's
// newWords), failing the test when some language lacks an entry it read.
func Words[W any](t testing.TB, read func(*i18n.Catalog) (W, []string)) W {
	t.Helper()
	w, missing := read(Catalog(t))
	if len(missing) > 0 {
		t.Fatalf("words missing: %v", missing)
	}
	return w
}

// Lookup is one of a family's word tables as a test reads it: the
// meaning of a typed form, and whether it has one.
type Lookup func(form string) (meaning string, ok bool)

// Table is the Lookup of a plain form-to-meaning table.
func Table(m map[string]string) Lookup {
	return func(form string) (string, bool) { v, ok := m[form]; return v, ok }
}

// MeanTheSame fails the test for every form in tables (by table name,
// pairs of a typed form and its meaning: what the Go word tables accepted
// before the words moved to the translation files) that its table in
// lookups does not read as that meaning, and for every table without a
// lookup.
func MeanTheSame(t testing.TB, lookups map[string]Lookup, tables map[string][][2]string) {
	t.Helper()
	for table, pairs := range tables {
		look, ok := lookups[table]
		if !ok {
			t.Errorf("no lookup for %s", table)
			continue
		}
		for _, p := range pairs {
			if got, ok := look(p[0]); !ok || got != p[1] {
				t.Errorf("%s: %q means %q (%v), want %q", table, p[0], got, ok, p[1])
			}
		}
	}
}
