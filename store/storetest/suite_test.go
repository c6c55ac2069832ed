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

func TestBadger(t *testing.T) { storetest.Run(t, storetest.Badger) }

func TestPostgres(t *testing.T) { storetest.Run(t, storetest.Postgres) }
