// Package golden compares test output with files under testdata/, and
// rewrites them when the tests run with -update. One package defines the
// flag once for every test binary that imports it.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// Check compares got with the file at path; with -update it writes got
// there instead.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (check, then go test -update to accept):\n%s", path, diff(string(want), got))
	}
}

// diff shows the first lines that differ, with a few lines around them.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	from := max(0, i-2)
	var b strings.Builder
	for j := from; j < i+6; j++ {
		if j < len(w) {
			b.WriteString("- " + w[j] + "\n")
		}
		if j < len(g) {
			b.WriteString("+ " + g[j] + "\n")
		}
	}
	return b.String()
}
