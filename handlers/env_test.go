package handlers_test

import (
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/store"
)

// testEnv is the shared chat test environment (internal/chattest, built
// by handlers/handlerstest) over a whole handlers.Service. The lower-case
// fields and methods are the environment's own under the short names
// these tests were written with.
type testEnv struct {
	*handlerstest.Env
	t     testing.TB
	st    *store.Store
	svc   *handlers.Service
	clock *dates.ManualClock
	tz    *time.Location
}

func wrapEnv(e *handlerstest.Env) *testEnv {
	return &testEnv{Env: e, t: e.T, st: e.Store, svc: e.Svc, clock: e.Clock, tz: e.TZ}
}

// sofia is the time zone of the first users.
func sofia(t testing.TB) *time.Location { return chattest.Sofia(t) }

// newEnv returns a test environment at Thursday 26 November 2026, 10:00
// in Sofia, heads console:admin and telegram:1; opts are added to the
// service's own (an observer, say).
func newEnv(t testing.TB, opts ...handlers.Option) *testEnv {
	t.Helper()
	return wrapEnv(handlerstest.New(t, chattest.Options{}, opts...))
}

// send delivers text from identity and returns the recorded replies.
func (e *testEnv) send(identity, text string) *bot.Recorder {
	e.t.Helper()
	return e.Send(identity, text)
}

// pressButton presses button b as identity would and returns the replies.
func (e *testEnv) pressButton(identity string, b bot.Button) *bot.Recorder {
	e.t.Helper()
	return e.Press(identity, b.Data)
}

func (e *testEnv) say(identity, text string) string {
	e.t.Helper()
	return e.Say(identity, text)
}

func (e *testEnv) must(identity, text string, want ...string) string {
	e.t.Helper()
	return e.Must(identity, text, want...)
}

func (e *testEnv) mustNot(identity, text string, bad ...string) string {
	e.t.Helper()
	return e.MustNot(identity, text, bad...)
}

// team is chattest's company: a head (admin), a supervisor Sam with
// manager Maria, and a manager Ivan outside Sam's team.
func (e *testEnv) team() {
	e.t.Helper()
	e.Team()
}
