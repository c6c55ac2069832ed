package handlers_test

import (
	"strings"
	"testing"
)

// FuzzServeChat sends arbitrary text through the whole command engine. The
// router turns a handler panic into an internal-error reply, so the fuzzer
// looks for that reply: no input may reach it.
func FuzzServeChat(f *testing.F) {
	for _, s := range []string{
		"/client add \"Acme\" city=Sofia", "/log Acme: hi #call next: x by friday", `/log "A\"": b`,
		"/clients stale city=x", "/remind a: b by +3d", "/task done T-1", "/today", "/appoint telegram:1 manager x reports=@",
		"/client edit Acme name=", "/handover @a @b", "/client \"\" ok", "/log :", "/client #99999999999999999999",
	} {
		f.Add(s)
	}
	e := newEnv(f)
	e.say("console:admin", "/client add Acme")
	f.Fuzz(func(t *testing.T, s string) {
		fe := wrapEnv(e.For(t))
		got := fe.say("console:admin", s)
		if strings.Contains(got, "Something went wrong") {
			t.Fatalf("input %q reached an internal error: %q", s, got)
		}
	})
}
