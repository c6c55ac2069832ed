package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/internal/pgtest"
)

// TestDailyBackupOnceAcrossReplicas runs the daily backup of two replicas
// on one PostgreSQL database, each with a backup directory of its own (on
// its own machine), at the same moments, concurrently, over three days:
// each day's backup is written once in all. A replica that claimed a day
// and died before writing it is taken over once its claim is stale, and a
// failed write lets the other replica write at once.
func TestDailyBackupOnceAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	tmp := t.TempDir()
	var replicas []*services
	for _, name := range []string{"a", "b"} {
		cfg, err := LoadConfig(func(k string) string {
			return vars(filepath.Join(tmp, "data-"+name), "ACCOUNTBOT_DATABASE_URL", url,
				"ACCOUNTBOT_BACKUP_DIR", filepath.Join(tmp, "backups-"+name), "ACCOUNTBOT_BACKUP_KEEP", "30")[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		s, err := open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.close)
		replicas = append(replicas, s)
	}
	if replicas[0].holder == replicas[1].holder {
		t.Fatalf("both replicas are %q", replicas[0].holder)
	}
	written := func() []string {
		var all []string
		for _, s := range replicas {
			names, _ := backupFiles(s.cfg.BackupDir)
			for _, n := range names {
				all = append(all, filepath.Base(s.cfg.BackupDir)+"/"+n)
			}
		}
		sort.Strings(all)
		return all
	}
	days := func(files []string) map[string]int {
		out := map[string]int{}
		for _, f := range files {
			out[f[strings.Index(f, "accountbot-")+len("accountbot-"):][:8]]++
		}
		return out
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for minute := 0; minute < 3*24*60; minute += 97 {
		at := start.Add(time.Duration(minute) * time.Minute)
		var wg sync.WaitGroup
		for _, s := range replicas {
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := dailyBackup(s, at); err != nil {
						t.Errorf("%v: %v", at, err)
					}
				}()
			}
		}
		wg.Wait()
	}
	files := written()
	if got := days(files); len(got) != 3 || got["20260302"] != 1 || got["20260303"] != 1 || got["20260304"] != 1 {
		t.Errorf("want one backup a day in all, got %q", files)
	}

	// Day 4: replica a claims the day and dies before writing. Replica b
	// leaves the day to it while the claim is fresh, and writes it once
	// the claim is stale.
	ctx := context.Background()
	st := replicas[1].store
	day4 := start.AddDate(0, 0, 3).Add(time.Hour)
	if ok, err := st.ClaimDailyBackup(ctx, "2026-03-05", replicas[0].holder, time.Now(), backupClaimStale); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if err := dailyBackup(replicas[1], day4); err != nil {
		t.Fatal(err)
	}
	if got := days(written())["20260305"]; got != 0 {
		t.Errorf("a fresh claim of another replica did not hold: %d backups", got)
	}
	if err := st.ReleaseDailyBackup(ctx, "2026-03-05", replicas[0].holder); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.ClaimDailyBackup(ctx, "2026-03-05", replicas[0].holder, time.Now().Add(-2*backupClaimStale), backupClaimStale); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	for range 2 {
		if err := dailyBackup(replicas[1], day4.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := dailyBackup(replicas[0], day4.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if got := days(written())["20260305"]; got != 1 {
		t.Errorf("a stale claim: %d backups of the day, want 1: %q", got, written())
	}

	// Day 5: replica a wins the day but cannot write the file (a
	// directory is in its way); its claim is released and replica b
	// writes the day's backup at its next try.
	day5 := day4.AddDate(0, 0, 1)
	blocker := filepath.Join(replicas[0].cfg.BackupDir, "accountbot-"+day5.Format(backupLayout)+".bak")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := dailyBackup(replicas[0], day5); err == nil {
		t.Fatal("a backup over a directory succeeded")
	}
	if err := dailyBackup(replicas[1], day5.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := days(written())["20260306"]; got != 1 {
		t.Errorf("after a failed write: %d backups of the day, want 1: %q", got, written())
	}
}
