package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountbot/internal/fakes"
	"accountbot/store"
)

// syncBuffer is a buffer safe for a writer and a reader goroutine.
type syncBuffer = fakes.SyncBuffer

// run runs accountbot in this process with env vars and stdin.
func run(t *testing.T, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	code = Main(context.Background(), Env{
		Args:   args,
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
	})
	return code, out.String(), errb.String()
}

func vars(dir string, kv ...string) map[string]string {
	m := map[string]string{"ACCOUNTBOT_DATA_DIR": dir, "ACCOUNTBOT_NOW": "2026-03-02T09:00:00Z", "ACCOUNTBOT_TZ": "UTC"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// reasonLine is the one line a failing sub-command writes, after any log.
func reasonLine(t *testing.T, stderr string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	var mine []string
	for _, l := range lines {
		if strings.HasPrefix(l, "accountbot: ") {
			mine = append(mine, l)
		}
	}
	if len(mine) != 1 {
		t.Errorf("want one line of reason, got:\n%s", stderr)
		return ""
	}
	return mine[0]
}

func TestImportAndExportSubCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	v := vars(dir)
	csv := filepath.Join(t.TempDir(), "clients.csv")
	os.WriteFile(csv, []byte("\uFEFFname;city;owner\nАкме ООД;София;\n;Варна;\nБета;Русе;@nobody\n"), 0o600)
	code, out, errs := run(t, v, "", "import", "clients", csv)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	for _, want := range []string{"clients.csv: Added: 1, updated: 0, unchanged: 0, rejected: 2.", "line 3: the name is empty", "line 4 (Бета): nobody matches the owner \"@nobody\""} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	code, out, errs = run(t, v, "", "export", "clients")
	if code != 0 || !strings.HasPrefix(out, "name,segment,") || !strings.Contains(out, "Акме ООД,,,,София,,,,,,,admin,") {
		t.Errorf("export to stdout: exit %d, %q %s", code, out, errs)
	}
	file := filepath.Join(t.TempDir(), "out.csv")
	if code, _, errs = run(t, v, "", "export", "clients", file); code != 0 {
		t.Fatalf("export to a file: %s", errs)
	}
	if b, _ := os.ReadFile(file); string(b) != out {
		t.Errorf("file %q differs from stdout %q", b, out)
	}
	// Failures are one line and a non-zero exit.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "clients", filepath.Join(dir, "missing.csv")}, "cannot read"},
		{[]string{"import", "people", csv}, "usage: accountbot import clients FILE.csv"},
		{[]string{"export"}, "usage: accountbot export clients [FILE]"},
		{[]string{"restore"}, "usage: accountbot restore [--force] FILE"},
		{[]string{"export", "clients", "/nonexistent-dir/x.csv"}, "cannot write in /nonexistent-dir"},
	} {
		code, _, errs := run(t, v, "", tc.args...)
		if code == 0 || !strings.Contains(reasonLine(t, errs), tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args, code, errs, tc.want)
		}
	}
	big := filepath.Join(t.TempDir(), "big.csv")
	os.WriteFile(big, bytes.Repeat([]byte("name\n"), 4<<20), 0o600)
	if code, _, errs := run(t, v, "", "import", "clients", big); code == 0 || !strings.Contains(reasonLine(t, errs), "larger than 16 MB") {
		t.Errorf("20 MB file: exit %d %q", code, errs)
	}
}

// startConsole runs "accountbot console" in this process, fed by the returned
// writer; wait returns once it has exited.
func startConsole(t *testing.T, v map[string]string) (in *io.PipeWriter, out *syncBuffer, wait func() int) {
	t.Helper()
	pr, pw := io.Pipe()
	out = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(context.Background(), Env{Args: []string{"console"}, Getenv: func(k string) string { return v[k] }, Stdin: pr, Stdout: out, Stderr: io.Discard})
	}()
	return pw, out, func() int { pw.Close(); return <-done }
}

func waitFor(t *testing.T, out *syncBuffer, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", text, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A backup taken while a console holds the store, through its socket,
// restores to a store where the chat shows the same.
func TestBackupWhileHeldAndRestore(t *testing.T) {
	for _, key := range []string{"", strings.Repeat("ab", 32)} {
		name := "plain"
		if key != "" {
			name = "encrypted"
		}
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "data")
			v := vars(dir, "ACCOUNTBOT_ENCRYPTION_KEY", key)
			in, out, wait := startConsole(t, v)
			io.WriteString(in, "/client add \"Акме ООД\" city=София phone=+35921\n")
			io.WriteString(in, "/log Акме: talked about MARKER-7 next: send offer by 2026-03-05\n")
			io.WriteString(in, "/client add Beta\n")
			waitFor(t, out, "Saved: Beta")
			if fi, err := os.Stat(filepath.Join(dir, socketName)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("socket: %v %v", fi, err)
			}
			// Held: the other sub-commands say which directory, in one line.
			code, _, errs := run(t, v, "", "export", "clients")
			if code == 0 || !strings.Contains(reasonLine(t, errs), "data directory "+dir+" is held") {
				t.Errorf("export while held: %d %q", code, errs)
			}
			file := filepath.Join(tmp, "b.bak")
			code, _, errs = run(t, v, "", "backup", file)
			if code != 0 {
				t.Fatalf("backup while held: exit %d: %s", code, errs)
			}
			b, _ := os.ReadFile(file)
			if got := bytes.Contains(b, []byte("MARKER-7")); got != (key == "") {
				t.Errorf("marker in the backup file: %v (key %q)", got, key)
			}
			if code := wait(); code != 0 {
				t.Fatalf("console exit %d", code)
			}
			if _, err := os.Stat(filepath.Join(dir, socketName)); !os.IsNotExist(err) {
				t.Errorf("socket left behind: %v", err)
			}
			// What the chat shows, before and after a restore.
			show := "/clients\n/client Акме\n/client Акме history\n/today\n"
			_, before, _ := run(t, v, show, "console")
			restored := filepath.Join(tmp, "restored")
			v2 := vars(restored, "ACCOUNTBOT_ENCRYPTION_KEY", key)
			if code, _, errs := run(t, v2, "", "restore", file); code != 0 {
				t.Fatalf("restore: %s", errs)
			}
			_, after, _ := run(t, v2, show, "console")
			if before != after || !strings.Contains(after, "MARKER-7") || !strings.Contains(after, "Beta") {
				t.Errorf("chat differs after restore:\n%s\n---\n%s", before, after)
			}
		})
	}
}

func TestRestoreWritesOnlyIntoAnEmptyDirectory(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	run(t, vars(src), "/client add Original\n", "console")
	file := filepath.Join(tmp, "b.bak")
	if code, _, errs := run(t, vars(src), "", "backup", file); code != 0 {
		t.Fatal(errs)
	}
	other := filepath.Join(tmp, "other")
	run(t, vars(other), "/client add \"Other Data\"\n", "console")

	code, _, errs := run(t, vars(other), "", "restore", file)
	if code == 0 || !strings.Contains(reasonLine(t, errs), "is not empty") || !strings.Contains(errs, "--force") {
		t.Errorf("restore over data: %d %q", code, errs)
	}
	_, out, _ := run(t, vars(other), "/clients\n", "console")
	if !strings.Contains(out, "Other Data") {
		t.Errorf("refused restore changed the data: %s", out)
	}
	// A broken backup changes nothing, even with --force.
	broken := filepath.Join(tmp, "broken.bak")
	b, _ := os.ReadFile(file)
	os.WriteFile(broken, b[:len(b)-30], 0o600)
	if code, _, errs := run(t, vars(other), "", "restore", "--force", broken); code == 0 || !strings.Contains(reasonLine(t, errs), "incomplete") {
		t.Errorf("broken backup: %d %q", code, errs)
	}
	if code, _, errs := run(t, vars(other), "", "restore", "--force", file); code != 0 {
		t.Fatalf("--force: %s", errs)
	}
	_, out, _ = run(t, vars(other), "/clients\n", "console")
	if !strings.Contains(out, "Original") || strings.Contains(out, "Other Data") {
		t.Errorf("after --force: %s", out)
	}
	// An empty existing directory is fine.
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o700)
	if code, _, errs := run(t, vars(empty), "", "restore", file); code != 0 {
		t.Errorf("into an empty directory: %s", errs)
	}
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".accountbot-restore") || strings.Contains(e.Name(), ".old-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	// Not a backup at all.
	csv := filepath.Join(tmp, "x.csv")
	os.WriteFile(csv, []byte("name\nA\n"), 0o600)
	if code, _, errs := run(t, vars(filepath.Join(tmp, "new")), "", "restore", csv); code == 0 || !strings.Contains(reasonLine(t, errs), "not an accountbot backup") {
		t.Errorf("restore of a CSV: %d %q", code, errs)
	}
}

// Changing the encryption key: a backup made with the old key restores
// into a store with the new one when ACCOUNTBOT_BACKUP_KEY holds the old.
func TestKeyRotationThroughBackup(t *testing.T) {
	tmp := t.TempDir()
	oldKey, newKey := strings.Repeat("11", 16), strings.Repeat("22", 32)
	src := filepath.Join(tmp, "src")
	run(t, vars(src, "ACCOUNTBOT_ENCRYPTION_KEY", oldKey), "/client add Rotated\n", "console")
	file := filepath.Join(tmp, "b.bak")
	if code, _, errs := run(t, vars(src, "ACCOUNTBOT_ENCRYPTION_KEY", oldKey), "", "backup", file); code != 0 {
		t.Fatal(errs)
	}
	dst := filepath.Join(tmp, "dst")
	code, _, errs := run(t, vars(dst, "ACCOUNTBOT_ENCRYPTION_KEY", newKey), "", "restore", file)
	if code == 0 || !strings.Contains(reasonLine(t, errs), "ACCOUNTBOT_BACKUP_KEY") {
		t.Errorf("restore with only the new key: %d %q", code, errs)
	}
	if code, _, errs := run(t, vars(dst, "ACCOUNTBOT_ENCRYPTION_KEY", newKey, "ACCOUNTBOT_BACKUP_KEY", oldKey), "", "restore", file); code != 0 {
		t.Fatal(errs)
	}
	_, out, _ := run(t, vars(dst, "ACCOUNTBOT_ENCRYPTION_KEY", newKey), "/clients\n", "console")
	if !strings.Contains(out, "Rotated") {
		t.Errorf("after rotation: %s", out)
	}
	// The old key no longer opens it: one line, no panic.
	code, _, errs = run(t, vars(dst, "ACCOUNTBOT_ENCRYPTION_KEY", oldKey), "/clients\n", "console")
	if code == 0 || !strings.Contains(reasonLine(t, errs), "ACCOUNTBOT_ENCRYPTION_KEY") {
		t.Errorf("old key: %d %q", code, errs)
	}
}

func TestDailyBackupsKeepTheNewest(t *testing.T) {
	tmp := t.TempDir()
	cfg, err := LoadConfig(func(k string) string {
		return vars(filepath.Join(tmp, "data"), "ACCOUNTBOT_BACKUP_DIR", filepath.Join(tmp, "backups"), "ACCOUNTBOT_BACKUP_KEEP", "3")[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	start := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	for hour := 0; hour < 24*5; hour += 6 {
		if err := dailyBackup(s, start.Add(time.Duration(hour)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := backupFiles(cfg.BackupDir)
	want := []string{"accountbot-20260304T020000Z.bak", "accountbot-20260305T020000Z.bak", "accountbot-20260306T020000Z.bak"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("backups %v, want %v", names, want)
	}
	f, _ := os.Open(filepath.Join(cfg.BackupDir, names[2]))
	defer f.Close()
	if _, err := store.CheckBackup(f, nil); err != nil {
		t.Errorf("daily backup: %v", err)
	}
	for _, bad := range []string{"0", "-1", "seven"} {
		if _, err := LoadConfig(func(k string) string {
			return map[string]string{"ACCOUNTBOT_BACKUP_KEEP": bad}[k]
		}); err == nil || !strings.Contains(err.Error(), "ACCOUNTBOT_BACKUP_KEEP") {
			t.Errorf("KEEP=%s: %v", bad, err)
		}
	}
}

func TestHelpNamesTheBackupSettings(t *testing.T) {
	_, out, _ := run(t, nil, "", "help")
	for _, want := range []string{"import clients FILE.csv", "export clients [FILE]", "backup FILE", "restore [--force] FILE", "ACCOUNTBOT_BACKUP_DIR", "ACCOUNTBOT_BACKUP_KEEP", "ACCOUNTBOT_BACKUP_KEY"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
