package handlers_test

import (
	"fmt"
	"os"
	"testing"

	"accountbot/store/storetest"
)

// TestMain removes the benchmark data sets generated during the run, unless
// ACCOUNTBOT_BENCH_KEEP is set (to measure the binary on them afterwards),
// and stops the PostgreSQL server of ACCOUNTBOT_TEST_STORE=postgres.
func TestMain(m *testing.M) {
	code := m.Run()
	dataMu.Lock()
	for c, dir := range dataDirs {
		if os.Getenv("ACCOUNTBOT_BENCH_KEEP") != "" {
			fmt.Fprintf(os.Stderr, "benchmark data of the company %s kept in %s\n", c, dir)
			continue
		}
		os.RemoveAll(dir)
	}
	dataMu.Unlock()
	storetest.Stop()
	os.Exit(code)
}
