package handlers_test

import (
	"os"
	"testing"
)

// TestMain removes the benchmark data sets generated during the run.
func TestMain(m *testing.M) {
	code := m.Run()
	dataMu.Lock()
	for _, dir := range dataDirs {
		os.RemoveAll(dir)
	}
	dataMu.Unlock()
	os.Exit(code)
}
