package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestVersionAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	v := vars(dir)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errs := run(t, v, "", args...)
		if code != 0 || !strings.HasPrefix(out, "accountbot ") || strings.Count(out, "\n") != 1 {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errs)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--bogus"}, 2},
		{[]string{"frobnicate"}, 2},
		{[]string{"run", "--bogus"}, 2},
		{[]string{"console", "--bogus"}, 2},
		{[]string{"import", "clients", "x.csv", "--dry-run"}, 2},
		{[]string{"export", "clients", "--all"}, 2},
		{[]string{"backup"}, 2},
		{[]string{"backup", "--now"}, 2},
		{[]string{"restore", "--force"}, 2},
		{[]string{"version", "extra"}, 2},
		{[]string{"import", "clients", "/nonexistent/x.csv"}, 1},
	} {
		if code, _, errs := run(t, v, "", tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d: %s", tc.args, code, tc.code, errs)
		}
	}
	_, out, _ := run(t, nil, "", "help")
	for _, want := range []string{"version", "healthcheck", "ACCOUNTBOT_LOG_LEVEL", "ACCOUNTBOT_LOG_FORMAT", "exit 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestHealthcheckSubCommand(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok\n"))
	}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "store closed", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	addr := strings.TrimPrefix(ok.URL, "http://")
	if code, out, errs := run(t, vars(t.TempDir(), "ACCOUNTBOT_HTTP_ADDR", addr), "", "healthcheck"); code != 0 || out != "ok\n" {
		t.Errorf("healthy: exit %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, vars(t.TempDir()), "", "healthcheck", down.URL+"/healthz"); code != 1 || !strings.Contains(errs, "503") {
		t.Errorf("unhealthy: exit %d %q", code, errs)
	}
	if got := localAddr("0.0.0.0:8080"); got != "127.0.0.1:8080" {
		t.Errorf("localAddr = %q", got)
	}
}

func TestLogLevelAndJSONFormat(t *testing.T) {
	var b bytes.Buffer
	l, err := newLogger(&b, func(k string) string {
		return map[string]string{"ACCOUNTBOT_LOG_LEVEL": "warn", "ACCOUNTBOT_LOG_FORMAT": "json"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "k", 1)
	var rec map[string]any
	if err := json.Unmarshal(b.Bytes(), &rec); err != nil || rec["msg"] != "shown" || rec["level"] != "WARN" {
		t.Errorf("log = %q (%v)", b.String(), err)
	}
	if code, _, errs := run(t, vars(t.TempDir(), "ACCOUNTBOT_LOG_LEVEL", "loud"), "", "console"); code != 1 || !strings.Contains(errs, "ACCOUNTBOT_LOG_LEVEL") {
		t.Errorf("bad level: exit %d %q", code, errs)
	}
}

func TestConsoleGreetsOnlyATerminal(t *testing.T) {
	// A pipe, as in scripts: the replies and nothing else.
	_, out, _ := run(t, vars(t.TempDir()), "/lang en\n", "console")
	if strings.Contains(out, "type /help") {
		t.Errorf("piped console printed the greeting: %q", out)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if stdinIsTerminal(null) || !stdinIsNull(null) || stdinIsTerminal(strings.NewReader("")) {
		t.Error("/dev/null taken for a terminal")
	}
}

func TestContainerWithoutAdapterSaysWhy(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	old := runsAsInit
	runsAsInit = func() bool { return true }
	defer func() { runsAsInit = old }()
	var out, errb syncBuffer
	v := vars(t.TempDir())
	code := Main(t.Context(), Env{Args: []string{"run"}, Getenv: func(k string) string { return v[k] }, Stdin: null, Stdout: &out, Stderr: &errb})
	if code == 0 || !strings.Contains(errb.String(), "TELEGRAM_BOT_TOKEN") {
		t.Errorf("exit %d, %q", code, errb.String())
	}
}
