package store

import (
	"os"
	"testing"

	"accountbot/internal/pgtest"
)

// TestMain stops the private PostgreSQL server that tests on that engine
// started.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}
