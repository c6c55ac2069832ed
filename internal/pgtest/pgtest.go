// Package pgtest gives tests a PostgreSQL database: a private server that
// it starts once per test binary in a temporary directory (with the
// PostgreSQL 15+ binaries of this machine), or the server of
// ACCOUNTBOT_TEST_DATABASE_URL. Each test gets its own schema, so tests do
// not see each other's data.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names a server to use instead of a private one. Its database
// must let the user create schemas.
const EnvURL = "ACCOUNTBOT_TEST_DATABASE_URL"

// EnvDurable, when set, starts the private server with fsync and
// synchronous commit on (PostgreSQL's defaults), for benchmarks. Tests
// otherwise run it without fsync: a test server's data need not survive a
// power cut.
const EnvDurable = "ACCOUNTBOT_TEST_PG_DURABLE"

// EnvOptions adds settings to the private server's command line, for
// benchmarks: "-c shared_buffers=256MB -c
// shared_preload_libraries=pg_stat_statements".
const EnvOptions = "ACCOUNTBOT_TEST_PG_OPTIONS"

var (
	once    sync.Once
	baseURL string
	skipWhy string
	srv     *server
	counter atomic.Int64
)

type server struct {
	dir, ctl string
	asUser   []string
}

// Available reports whether a server can be had, and why not.
func Available() (bool, string) {
	once.Do(start)
	return baseURL != "", skipWhy
}

// URL returns the URL of a fresh, empty schema for this test, and skips the
// test with a message when PostgreSQL is not there.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if baseURL == "" {
		t.Skip("PostgreSQL is not available: " + skipWhy)
	}
	schema := fmt.Sprintf("t%d_%d", os.Getpid(), counter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, baseURL); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	return withSearchPath(baseURL, schema)
}

func withSearchPath(base, schema string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Stop stops the private server, if one was started. Call it from
// TestMain after m.Run.
func Stop() {
	if srv == nil {
		return
	}
	cmd := exec.Command(srv.ctl, "-D", srv.dir, "-m", "immediate", "-w", "stop")
	run(srv.asUser, cmd)
	os.RemoveAll(filepath.Dir(srv.dir))
	srv = nil
}

func start() {
	if u := os.Getenv(EnvURL); u != "" {
		baseURL = u
		return
	}
	bin := findBin()
	if bin == "" {
		skipWhy = "no initdb/pg_ctl found (install postgresql-15, or set " + EnvURL + ")"
		return
	}
	root, err := os.MkdirTemp("", "accountbot-pg-")
	if err != nil {
		skipWhy = err.Error()
		return
	}
	dir := filepath.Join(root, "data")
	var asUser []string
	if os.Geteuid() == 0 {
		// initdb and pg_ctl refuse to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			skipWhy = "running as root and there is no postgres user to run the server as"
			os.RemoveAll(root)
			return
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			skipWhy = err.Error()
			return
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	port, err := freePort()
	if err != nil {
		skipWhy = err.Error()
		return
	}
	if out, err := run(asUser, exec.Command(filepath.Join(bin, "initdb"), "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")); err != nil {
		skipWhy = "initdb: " + err.Error() + ": " + lastLine(out)
		os.RemoveAll(root)
		return
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=64MB", port, root)
	if os.Getenv(EnvDurable) == "" {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if more := strings.TrimSpace(os.Getenv(EnvOptions)); more != "" {
		opts += " " + more
	}
	ctl := filepath.Join(bin, "pg_ctl")
	if out, err := run(asUser, exec.Command(ctl, "-D", dir, "-o", opts, "-l", filepath.Join(root, "log"), "-w", "-t", "60", "start")); err != nil {
		skipWhy = "pg_ctl start: " + err.Error() + ": " + lastLine(out)
		log, _ := os.ReadFile(filepath.Join(root, "log"))
		skipWhy += " " + lastLine(log)
		os.RemoveAll(root)
		return
	}
	srv = &server{dir: dir, ctl: ctl, asUser: asUser}
	baseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	watch(root, append(append([]string{}, asUser...), ctl, "-D", dir, "-m", "immediate", "-w", "stop"))
}

// watch starts a process of its own that stops the server (stop) and
// removes root once this test binary has ended, however it ends: a
// package without a TestMain that calls Stop, a failed benchmark, a
// timeout or a panic left a server running per test binary before (dozens
// on a developer's machine after a day). Stop, when called, does it
// first. The watcher holds none of the test's output open, so go test
// does not wait for it.
func watch(root string, stop []string) {
	script := `pid=$1; root=$2; shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
"$@" >/dev/null 2>&1
rm -rf "$root"`
	cmd := exec.Command("sh", append([]string{"-c", script, "pgtest-watch", strconv.Itoa(os.Getpid()), root}, stop...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err == nil {
		go cmd.Wait() // reaped if it ends first (it should not)
	}
}

func run(prefix []string, cmd *exec.Cmd) ([]byte, error) {
	if len(prefix) > 0 {
		cmd = exec.Command(prefix[0], append(append(prefix[1:], cmd.Path), cmd.Args[1:]...)...)
	}
	cmd.Dir = os.TempDir()
	return cmd.CombinedOutput()
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// Tool returns the path of one of PostgreSQL's client programs (pg_dump,
// pg_restore) of the same installation the private server runs from, or
// "" when there is none.
func Tool(name string) string {
	if bin := findBin(); bin != "" {
		if p := filepath.Join(bin, name); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// findBin finds the directory of initdb and pg_ctl: the newest
// /usr/lib/postgresql/N/bin, or PATH.
func findBin() string {
	for v := 20; v >= 15; v-- {
		d := fmt.Sprintf("/usr/lib/postgresql/%d/bin", v)
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
