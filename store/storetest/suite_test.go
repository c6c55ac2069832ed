package storetest_test

import (
	"os"
	"testing"

	"accountbot/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.Stop()
	os.Exit(code)
}

// The engines run side by side; the cases of one engine run one after
// another (PostgreSQL stores opening together wait for each other's
// migration lock).
func TestBadger(t *testing.T) { t.Parallel(); storetest.Run(t, storetest.Badger) }

// TestBadgerInMemory runs the conflict cases on the in-memory engine the
// handlers' tests use, whose transactions conflict like the disk one's.
func TestBadgerInMemory(t *testing.T) {
	t.Parallel()
	storetest.RunConcurrency(t, storetest.BadgerInMemory)
}

func TestPostgres(t *testing.T) { t.Parallel(); storetest.Run(t, storetest.Postgres) }
