package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// newLogger builds the process's logger from ACCOUNTBOT_LOG_LEVEL
// (debug, info, warn, error) and ACCOUNTBOT_LOG_FORMAT (text, json: one
// JSON object a line, for log shippers).
func newLogger(w io.Writer, getenv func(string) string) (*slog.Logger, error) {
	var level slog.Level
	switch strings.ToLower(strings.TrimSpace(getenv("ACCOUNTBOT_LOG_LEVEL"))) {
	case "", "info":
		level = slog.LevelInfo
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil, fmt.Errorf("ACCOUNTBOT_LOG_LEVEL must be debug, info, warn or error, not %q", getenv("ACCOUNTBOT_LOG_LEVEL"))
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	switch strings.ToLower(strings.TrimSpace(getenv("ACCOUNTBOT_LOG_FORMAT"))) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("ACCOUNTBOT_LOG_FORMAT must be text or json, not %q", getenv("ACCOUNTBOT_LOG_FORMAT"))
}

// healthcheck asks a running bot's /healthz and fails unless it answers
// 200: distroless images have no curl, so HEALTHCHECK runs the binary.
func healthcheck(ctx context.Context, env Env, cfg Config, args []string) error {
	if len(args) > 1 {
		return usageErrorf("usage: accountbot healthcheck [URL]")
	}
	url := ""
	if len(args) == 1 {
		url = args[0]
	} else {
		url = "http://" + localAddr(cfg.HTTPAddr) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageErrorf("healthcheck: bad URL %q", url)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	fmt.Fprintln(env.Stdout, "ok")
	return nil
}

// localAddr turns a listen address into one to call on this machine: a
// wildcard host (0.0.0.0, ::, none) becomes the loopback address.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// stdinIsTerminal reports whether in is an interactive terminal (a
// character device other than /dev/null).
func stdinIsTerminal(in io.Reader) bool {
	f, ok := in.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return !stdinIsNull(in)
}

// stdinIsNull reports whether in is /dev/null, as in a container started
// without -i.
func stdinIsNull(in io.Reader) bool {
	f, ok := in.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err == nil && os.SameFile(fi, null)
}

// runsAsInit reports whether this process is a container's first process
// (PID 1), as when an image's ENTRYPOINT starts it. A variable, so that a
// test can play the container.
var runsAsInit = func() bool { return os.Getpid() == 1 }
