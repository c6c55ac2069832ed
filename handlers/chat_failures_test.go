package handlers

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/internal/chattest"
	"accountbot/store"
)

// dataEnv is the shared chat environment at Monday 2 March 2026, 09:00
// UTC, for the tests here that send files and fail writes across
// families (the data family's own tests are in handlers/data); the
// lower-case fields are its own under short names.
type dataEnv struct {
	*chatEnv
	t     testing.TB
	st    *store.Store
	svc   *Service
	clock *dates.ManualClock
}

// newDataEnv is a bot on an in-memory store (or dir, when given) with a
// head (console:admin), a supervisor Sofia with a manager Maria, and a
// manager Ivan outside her team; wrap wraps the store the service sees.
func newDataEnv(t testing.TB, dir string, wrap ...func(Store) Store) *dataEnv {
	t.Helper()
	wrapAll := func(s Store) Store {
		for _, w := range wrap {
			s = w(s)
		}
		return s
	}
	ce := chattest.New(t, chattest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), TZ: time.UTC, Store: store.Options{Dir: dir}},
		buildService(nil, wrapAll))
	e := &dataEnv{chatEnv: ce, t: t, st: ce.Store, svc: ce.Svc, clock: ce.Clock}
	ce.Appoint(
		`/appoint telegram:10 supervisor "Sofia Supervisor"`,
		`/appoint telegram:11 manager "Maria Manager" reports=@Sofia`,
		`/appoint telegram:12 manager "Ivan Other"`)
	return e
}

func (e *dataEnv) say(identity, text string, files ...bot.Attachment) *bot.Recorder {
	e.t.Helper()
	return e.Send(identity, text, chattest.Chat("c"), chattest.Files(files...))
}

func (e *dataEnv) client(name string) *crm.Client { return e.Client(name) }

func wantText(t *testing.T, rec *bot.Recorder, parts ...string) {
	t.Helper()
	chattest.Want(t, rec.Text(), parts...)
}

var errDiskFull = &crm.Error{Code: crm.EUNAVAILABLE, Key: "error.unavailable", Err: syscall.ENOSPC}

func TestFullDiskSaysCouldNotSaveAndReadsGoOn(t *testing.T) {
	var failing bool
	var mu sync.Mutex
	e := newDataEnv(t, "", func(s Store) Store {
		return switchStore{Store: s, failing: func() bool { mu.Lock(); defer mu.Unlock(); return failing }}
	})
	e.say("console:admin", `/client add "Acme Ltd" city=Sofia`)
	mu.Lock()
	failing = true
	mu.Unlock()
	for _, cmd := range []string{`/client add "Beta Ltd"`, `/log Acme: a note`} {
		wantText(t, e.say("console:admin", cmd), "Could not save")
	}
	wantText(t, e.say("console:admin", "", chattest.CSVFile("x.csv", "name\nGamma\n")), "Could not save")
	// Reads work, and nothing of the failed writes shows.
	wantText(t, e.say("console:admin", "/client Acme"), "Sofia")
	rec := e.say("console:admin", "/clients")
	wantText(t, rec, "Acme Ltd")
	if strings.Contains(rec.Text(), "Beta") || strings.Contains(rec.Text(), "Gamma") {
		t.Errorf("a failed write shows: %s", rec.Text())
	}
}

// switchStore fails writes while failing() says so.
type switchStore struct {
	Store
	failing func() bool
}

func (s switchStore) CreateClient(ctx context.Context, c *crm.Client, by crm.Actor) error {
	if s.failing() {
		return errDiskFull
	}
	return s.Store.CreateClient(ctx, c, by)
}

func (s switchStore) LogConversation(ctx context.Context, v *crm.Conversation, next *crm.Task) error {
	if s.failing() {
		return errDiskFull
	}
	return s.Store.LogConversation(ctx, v, next)
}

func (s switchStore) UpsertClients(ctx context.Context, at time.Time, names []string, merge crm.ClientMerge) ([]crm.UpsertResult, error) {
	if s.failing() {
		return nil, errDiskFull
	}
	return s.Store.UpsertClients(ctx, at, names, merge)
}

func TestOversizedMessageIsRefused(t *testing.T) {
	e := newDataEnv(t, "")
	e.say("console:admin", `/client add Acme`)
	wantText(t, e.say("console:admin", "/log Acme: "+strings.Repeat("x", 1<<20)), "That message is too long")
	if convs, _ := e.st.Conversations(context.Background(), e.client("Acme").ID, 0); len(convs) != 0 {
		t.Errorf("stored: %d conversations", len(convs))
	}
}
