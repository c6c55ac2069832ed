package golden

import (
	"path/filepath"
	"strings"
	"testing"
)

// recorder catches the failures Check reports.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.failed = append(r.failed, f) }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = append(r.failed, f) }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "x.golden")
	*update = true
	Check(t, path, "one\ntwo\n")
	*update = false
	rec := &recorder{TB: t}
	Check(rec, path, "one\ntwo\n")
	if len(rec.failed) != 0 {
		t.Fatalf("same text reported: %v", rec.failed)
	}
	Check(rec, path, "one\nthree\n")
	if len(rec.failed) != 1 {
		t.Fatalf("a difference went unreported")
	}
	if d := diff("a\nb\n", "a\nc\n"); !strings.Contains(d, "- b") || !strings.Contains(d, "+ c") {
		t.Errorf("diff %q", d)
	}
}
