// Package storetest is the store's contract: a black-box suite that every
// engine under the store passes (Run), and the one place where tests of
// other packages open a store (Open), so that one switch,
// ACCOUNTBOT_TEST_STORE=postgres, runs them on PostgreSQL.
package storetest

import (
	"os"
	"testing"

	"accountbot/internal/pgtest"
	"accountbot/store"
)

// EnvStore selects the engine of Open: "postgres", or Badger in memory
// when unset.
const EnvStore = "ACCOUNTBOT_TEST_STORE"

// OnPostgres reports whether Open opens PostgreSQL stores.
func OnPostgres() bool { return os.Getenv(EnvStore) == "postgres" }

// Open opens a new, empty store for a test, closed when the test ends:
// Badger in memory, or a fresh PostgreSQL schema with
// ACCOUNTBOT_TEST_STORE=postgres (the test skips when PostgreSQL is
// missing).
func Open(t testing.TB) *store.Store {
	t.Helper()
	opts := store.Options{InMemory: true}
	if OnPostgres() {
		opts = store.Options{DatabaseURL: pgtest.URL(t)}
	}
	st, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Stop ends what Open started for the test binary (the private PostgreSQL
// server). Call it from TestMain after m.Run.
func Stop() { pgtest.Stop() }

// Opener makes one new, empty store for a test and returns the function
// that opens it; after Close, calling it again reopens the same data.
type Opener func(t *testing.T) (open func() *store.Store)

// Badger is the Badger engine in a temporary directory.
func Badger(t *testing.T) func() *store.Store {
	dir := t.TempDir()
	return func() *store.Store {
		st, err := store.Open(store.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// BadgerInMemory is the Badger engine in memory. Its store cannot be
// reopened (the data goes with it): use it for cases that open once, such
// as RunConcurrency.
func BadgerInMemory(t *testing.T) func() *store.Store {
	opened := false
	return func() *store.Store {
		if opened {
			t.Fatal("an in-memory store cannot be reopened")
		}
		opened = true
		st, err := store.Open(store.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// Postgres is the PostgreSQL engine on a fresh schema (skipped when
// PostgreSQL is missing).
func Postgres(t *testing.T) func() *store.Store {
	url := pgtest.URL(t)
	return func() *store.Store {
		st, err := store.Open(store.Options{DatabaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// OpenWith opens a store with opts for a test, closed when the test ends.
// An in-memory store becomes a fresh PostgreSQL schema with
// ACCOUNTBOT_TEST_STORE=postgres; a store in a directory stays Badger
// (such tests look at the directory).
func OpenWith(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	if opts.InMemory && OnPostgres() {
		opts = store.Options{DatabaseURL: pgtest.URL(t), Logger: opts.Logger}
	}
	st, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
