package clients_test

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

// testEnv is the shared chat test environment (handlerstest) over a
// whole handlers.Service, under the short names these tests were written
// with.
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

// newEnv returns a test environment at Thursday 26 November 2026, 10:00
// in Sofia, heads console:admin and telegram:1.
func newEnv(t testing.TB, opts ...handlers.Option) *testEnv {
	t.Helper()
	return wrapEnv(handlerstest.New(t, chattest.Options{}, opts...))
}

// restart returns a new service over the same store and clock.
func (e *testEnv) restart() *testEnv { return wrapEnv(e.Restart()) }

func (e *testEnv) send(identity, text string) *bot.Recorder {
	e.t.Helper()
	return e.Send(identity, text)
}

func (e *testEnv) pressButton(identity string, b bot.Button) *bot.Recorder {
	e.t.Helper()
	return e.Press(identity, b.Data)
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
