package app

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The console prints a reminder when it rings, while it reads input, and
// a number picks the reminder's button. The clock starts two seconds before
// the reminder's minute (ACCOUNTBOT_NOW runs on from there), so the ring
// comes at the scheduler's next whole-minute tick.
func TestConsolePrintsAReminderThatRings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	v := vars(dir, "ACCOUNTBOT_NOW", "2026-03-02T09:00:58Z")
	in, out, wait := startConsole(t, v)
	fmt.Fprintln(in, `/client add "Acme Ltd"`)
	fmt.Fprintln(in, `/remind acme: call about the contract by today 09:01`)
	waitFor(t, out, "Saved: T-1 Acme Ltd: call about the contract — 2026-03-02 09:01")
	waitFor(t, out, "== ⏰ Reminder ==\nT-1 · Acme Ltd: call about the contract\n⏰ 09:01\n")
	m := regexp.MustCompile(`\[(\d+)\] ✓ Done`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no Done button:\n%s", out)
	}
	fmt.Fprintln(in, m[1])
	waitFor(t, out, "Done: T-1 call about the contract")
	if code := wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if n := strings.Count(out.String(), "⏰ Reminder"); n != 1 {
		t.Errorf("rang %d times:\n%s", n, out)
	}
}
