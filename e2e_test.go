package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// built is the binary the tests of this package share: building it is most
// of their time, so it is built once per test run (buildBinary).
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildBinary builds accountbot once per test run and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "accountbot-e2e-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "accountbot")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin
}

// runConsole feeds lines to `accountbot console` and returns stdout.
func runConsole(t *testing.T, bin, dataDir string, env []string, args []string, lines ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"console"}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(append(os.Environ(),
		"ACCOUNTBOT_DATA_DIR="+dataDir,
		"ACCOUNTBOT_LANG=en",
		"ACCOUNTBOT_TZ=Europe/Sofia",
		"ACCOUNTBOT_NOW=2026-11-26T10:00:00+02:00",
		"TELEGRAM_BOT_TOKEN=", "SLACK_BOT_TOKEN=", "OPENAI_API_KEY=", "OPENAI_BASE_URL=",
	), env...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("console: %v\nstderr: %s", err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// TestEndToEnd boots the real binary twice on one data directory: what the
// first session saved, the second one shows.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")

	out, _ := runConsole(t, bin, data, nil, nil,
		`/client add "Acme Ltd" city=Sofia contact="Ivan Petrov"`,
		`/log acme: presented the new pumps #presentation next: send the offer by friday`,
		`/appoint console:maria manager "Maria Petrova"`,
		`/remind acme: check payment by today`,
		`/today`,
		`1`,
	)
	for _, want := range []string{
		"Saved: Acme Ltd is your client.",
		"Saved: conversation with Acme Ltd.",
		"Next step T-1: send the offer — 2026-11-27",
		"Maria Petrova (console:maria) is now account manager.",
		"T-2 · Acme Ltd: check payment",
		"[1] ✓ T-2",
		"Done: T-2 check payment",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first session lacks %q:\n%s", want, out)
		}
	}

	// Restart: the data is still there; another person sees only theirs.
	out, _ = runConsole(t, bin, data, nil, nil, `/client ACME`, `/clients`)
	for _, want := range []string{"== Acme Ltd ==", "City: Sofia", "Contact: Ivan Petrov", "#presentation presented the new pumps", "Next step: send the offer — 2026-11-27"} {
		if !strings.Contains(out, want) {
			t.Errorf("after restart lacks %q:\n%s", want, out)
		}
	}
	out, _ = runConsole(t, bin, data, nil, []string{"--as", "maria"}, `/client acme`, `/clients`)
	if strings.Contains(out, "Sofia") || !strings.Contains(out, "0 clients") {
		t.Errorf("maria sees admin's client:\n%s", out)
	}
	out, _ = runConsole(t, bin, data, nil, []string{"--as", "stranger"}, `/clients`)
	if !strings.Contains(out, "console:stranger") || strings.Contains(out, "Acme") {
		t.Errorf("stranger was not refused:\n%s", out)
	}
	// Bulgarian replies and dates.
	out, _ = runConsole(t, bin, data, []string{"ACCOUNTBOT_LANG=bg"}, nil, `/client acme`)
	if !strings.Contains(out, "Град: Sofia") || !strings.Contains(out, "27.11.2026") {
		t.Errorf("bg card:\n%s", out)
	}
}

func TestSubcommandErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	run := func(env []string, args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdin = strings.NewReader("")
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := run(nil, "help")
	if code != 0 || !strings.Contains(out, "ACCOUNTBOT_DATA_DIR") || !strings.Contains(out, "console [--as NAME]") {
		t.Errorf("help: %d %s", code, out)
	}
	out, code = run(nil, "frobnicate")
	if code == 0 || !strings.Contains(out, "unknown sub-command") {
		t.Errorf("unknown sub-command: %d %s", code, out)
	}
	out, code = run([]string{"ACCOUNTBOT_DATA_DIR=" + t.TempDir(), "ACCOUNTBOT_TZ=Mars/Olympus"}, "console")
	if code == 0 || !strings.Contains(out, "ACCOUNTBOT_TZ") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("bad TZ: %d %q", code, out)
	}
}
