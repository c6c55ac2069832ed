package app

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// runningProgram is Main in run mode inside the test, on a free port.
type runningProgram struct {
	t      *testing.T
	addr   string
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProgram runs `accountbot run` with env (ACCOUNTBOT_HTTP_ADDR is set
// to a free port) until stop is called.
func startProgram(t *testing.T, env map[string]string) *runningProgram {
	t.Helper()
	p := &runningProgram{t: t, addr: freeAddr(t), stderr: &syncBuffer{}, done: make(chan int, 1)}
	env["ACCOUNTBOT_HTTP_ADDR"] = p.addr
	var ctx context.Context
	ctx, p.cancel = context.WithCancel(context.Background())
	go func() {
		p.done <- Main(ctx, Env{Args: []string{"run"}, Getenv: func(k string) string { return env[k] },
			Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: p.stderr})
	}()
	return p
}

// stop ends the program as SIGTERM would and checks that it exits 0.
func (p *runningProgram) stop() {
	p.t.Helper()
	p.cancel()
	select {
	case code := <-p.done:
		if code != 0 {
			p.t.Errorf("exit code %d: %s", code, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		p.t.Fatal("the program did not stop")
	}
}
