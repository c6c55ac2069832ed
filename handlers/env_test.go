package handlers_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/handlers"
	"accountbot/i18n"
	"accountbot/store"
	"accountbot/store/storetest"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// testEnv is a whole handlers.Service over an in-memory store.
type testEnv struct {
	t     testing.TB
	st    *store.Store
	svc   *handlers.Service
	clock *fakeClock
	tz    *time.Location
}

// sofia is the time zone of the first users.
func sofia(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newEnv returns a test environment; opts are added to the service's own
// (an observer, say).
func newEnv(t testing.TB, opts ...handlers.Option) *testEnv {
	t.Helper()
	st := storetest.OpenWith(t, store.Options{InMemory: true})
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	tz := sofia(t)
	// Thursday 26 November 2026, 10:00 in Sofia.
	clock := &fakeClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, tz)}
	cfg := handlers.DefaultConfig()
	cfg.TZ = tz
	cfg.Heads = []string{"console:admin", "telegram:1"}
	opts = append([]handlers.Option{handlers.WithClock(clock), handlers.WithConfig(cfg), handlers.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	svc := handlers.New(st, cat, opts...)
	return &testEnv{t: t, st: st, svc: svc, clock: clock, tz: tz}
}

// restart returns a new service over the same store and clock, as after
// a restart of the program.
func (e *testEnv) restart() *testEnv {
	e.t.Helper()
	cat, err := i18n.New()
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := handlers.DefaultConfig()
	cfg.TZ = e.tz
	cfg.Heads = []string{"console:admin", "telegram:1"}
	svc := handlers.New(e.st, cat, handlers.WithClock(e.clock), handlers.WithConfig(cfg), handlers.WithLogger(slog.New(slog.DiscardHandler)))
	return &testEnv{t: e.t, st: e.st, svc: svc, clock: e.clock, tz: e.tz}
}

// send delivers text from identity and returns the recorded replies.
func (e *testEnv) send(identity, text string) *bot.Recorder {
	e.t.Helper()
	rec := &bot.Recorder{}
	m := &bot.Message{Platform: strings.SplitN(identity, ":", 2)[0], ChatID: identity, Identity: identity, Text: text, Private: true}
	if err := e.svc.ServeChat(context.Background(), rec, m); err != nil {
		e.t.Fatalf("%s %q: %v", identity, text, err)
	}
	return rec
}

// pressButton presses button b as identity would and returns the replies.
func (e *testEnv) pressButton(identity string, b bot.Button) *bot.Recorder {
	e.t.Helper()
	rec := &bot.Recorder{}
	m := &bot.Message{Platform: strings.SplitN(identity, ":", 2)[0], ChatID: identity, Identity: identity, Text: b.Data, Button: true, Private: true}
	if err := e.svc.ServeChat(context.Background(), rec, m); err != nil {
		e.t.Fatalf("%s pressing %q: %v", identity, b.Data, err)
	}
	return rec
}

// say is send returning the plain text of all replies.
func (e *testEnv) say(identity, text string) string {
	e.t.Helper()
	return e.send(identity, text).Text()
}

// must sends text and fails unless the reply contains every want.
func (e *testEnv) must(identity, text string, want ...string) string {
	e.t.Helper()
	got := e.say(identity, text)
	for _, w := range want {
		if !strings.Contains(got, w) {
			e.t.Fatalf("%s %q:\nreply %q\nlacks %q", identity, text, got, w)
		}
	}
	return got
}

// mustNot sends text and fails if the reply contains any of bad.
func (e *testEnv) mustNot(identity, text string, bad ...string) string {
	e.t.Helper()
	got := e.say(identity, text)
	for _, b := range bad {
		if strings.Contains(got, b) {
			e.t.Fatalf("%s %q:\nreply %q\nshould not contain %q", identity, text, got, b)
		}
	}
	return got
}

// team sets up a head (admin), a supervisor Sam with manager Maria, and a
// manager Ivan outside Sam's team.
func (e *testEnv) team() {
	e.t.Helper()
	e.must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam Stoev")
	e.must("console:admin", `/appoint console:maria manager "Maria Petrova" reports=@Sam`, "Maria Petrova")
	e.must("console:admin", `/appoint console:ivan manager "Ivan Ivanov"`, "Ivan Ivanov")
}
