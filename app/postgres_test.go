package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"accountbot/internal/pgtest"
)

// TestMain stops the private PostgreSQL server that the tests on that
// engine started.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// TestMoveBetweenEnginesWithBackup moves a company from Badger to
// PostgreSQL and back with backup and restore: what the chat shows, the
// history and the ids go along, and restore refuses a database with data
// unless forced.
func TestMoveBetweenEnginesWithBackup(t *testing.T) {
	for _, key := range []string{"", strings.Repeat("cd", 16)} {
		name := "plain"
		if key != "" {
			name = "encrypted"
		}
		t.Run(name, func(t *testing.T) {
			url := pgtest.URL(t)
			tmp := t.TempDir()
			vb := vars(filepath.Join(tmp, "badger"), "ACCOUNTBOT_ENCRYPTION_KEY", key)
			setup := "/client add \"Акме ООД\" city=София\n/log Акме: talked about MARKER-9 next: send offer by 2026-03-05\n/client add Beta\n"
			if code, _, errs := run(t, vb, setup, "console"); code != 0 {
				t.Fatalf("console: %s", errs)
			}
			show := "/clients\n/client Акме\n/client Акме history\n/today\n"
			// The first console run may push what is due (a digest), once;
			// the second shows the records only.
			run(t, vb, show, "console")
			_, before, _ := run(t, vb, show, "console")
			file := filepath.Join(tmp, "b.bak")
			if code, _, errs := run(t, vb, "", "backup", file); code != 0 {
				t.Fatalf("backup: %s", errs)
			}
			vp := vars(filepath.Join(tmp, "local"), "ACCOUNTBOT_ENCRYPTION_KEY", key, "ACCOUNTBOT_DATABASE_URL", url)
			if code, _, errs := run(t, vp, "", "restore", file); code != 0 {
				t.Fatalf("restore into PostgreSQL: %s", errs)
			}
			_, onPG, _ := run(t, vp, show, "console")
			if onPG != before || !strings.Contains(onPG, "MARKER-9") {
				t.Errorf("chat differs on PostgreSQL:\n%s\n---\n%s", before, onPG)
			}
			// A database with data is refused, then replaced with --force.
			code, _, errs := run(t, vp, "", "restore", file)
			if code == 0 || !strings.Contains(reasonLine(t, errs), "not empty") {
				t.Errorf("restore over data: exit %d %q", code, errs)
			}
			if code, _, errs := run(t, vp, "/client add Gamma\n", "console"); code != 0 {
				t.Fatal(errs)
			}
			if code, _, errs := run(t, vp, "", "restore", "--force", file); code != 0 {
				t.Fatalf("restore --force: %s", errs)
			}
			_, forced, _ := run(t, vp, show, "console")
			if forced != before {
				t.Errorf("chat differs after --force:\n%s\n---\n%s", before, forced)
			}
			// A new client on PostgreSQL takes a new id, then everything goes
			// back to Badger.
			if code, _, errs := run(t, vp, "/client add Delta\n", "console"); code != 0 {
				t.Fatal(errs)
			}
			file2 := filepath.Join(tmp, "pg.bak")
			if code, _, errs := run(t, vp, "", "backup", file2); code != 0 {
				t.Fatalf("backup from PostgreSQL: %s", errs)
			}
			vb2 := vars(filepath.Join(tmp, "badger2"), "ACCOUNTBOT_ENCRYPTION_KEY", key)
			if code, _, errs := run(t, vb2, "", "restore", file2); code != 0 {
				t.Fatalf("restore into Badger: %s", errs)
			}
			all := show + "/client Delta\n"
			run(t, vp, all, "console")
			_, back, _ := run(t, vb2, all, "console")
			_, pgAll, _ := run(t, vp, all, "console")
			if back != pgAll || !strings.Contains(back, "Delta") {
				t.Errorf("chat differs back on Badger:\n%s\n---\n%s", pgAll, back)
			}
			if _, err := os.Stat(filepath.Join(tmp, "local", socketName)); err == nil {
				t.Error("a backup socket in the local directory of a database store")
			}
		})
	}
}
