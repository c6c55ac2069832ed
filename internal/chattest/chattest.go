// Package chattest is the one test environment for chat handlers: a
// service over a fresh store, one settable clock, one notifier that
// records what the bot sends by itself, one company to start from, and one
// set of say/must/mustNot/golden helpers. The handlers' own tests, inside
// and outside their package, and every family package's tests use it.
//
// It does not import the handlers: a test gives New the function that
// builds its service from the environment's parts (Deps), so that tests
// inside package handlers can use it without an import cycle, and a
// family package can build its own service the same way.
package chattest

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/i18n"
	"accountbot/internal/golden"
	"accountbot/store"
	"accountbot/store/storetest"
)

// Server is what an environment talks to: *handlers.Service, or a
// family's own service.
type Server interface {
	ServeChat(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error
}

// Deps are the parts an environment hands to the function that builds its
// service.
type Deps struct {
	Store   *store.Store
	Catalog *i18n.Catalog
	Clock   *dates.ManualClock
	Notes   *Notifier
	TZ      *time.Location
	Logger  *slog.Logger
	// Notify says whether the service should deliver through Notes.
	Notify bool
}

// Options shape an environment; the zero value is the usual one.
type Options struct {
	// Now is where the clock starts: Thursday 26 November 2026, 10:00 in
	// TZ when zero.
	Now time.Time
	// TZ is the company's time zone: Europe/Sofia when nil.
	TZ *time.Location
	// Store opens the store: in memory when zero (PostgreSQL with
	// ACCOUNTBOT_TEST_STORE=postgres, see storetest.OpenWith); a store
	// in a directory stays Badger.
	Store store.Options
	// Reuse, when set, is the store to serve instead of a new one (a
	// second environment over the first one's data).
	Reuse *store.Store
	// Clock, when set, is the clock to share instead of a new one.
	Clock *dates.ManualClock
	// Notes, when set, is the notifier to share instead of a new one.
	Notes *Notifier
	// Notify gives the service the notifier (Deps.Notify): a service
	// without one sends nothing by itself, and some replies say so.
	Notify bool
}

// Env is one service over one store, with the clock and notifier it was
// built with. Identities without a platform ("maria") are console ones
// ("console:maria").
type Env[S Server] struct {
	T       testing.TB
	Ctx     context.Context
	Store   *store.Store
	Svc     S
	Clock   *dates.ManualClock
	Notes   *Notifier
	TZ      *time.Location
	Catalog *i18n.Catalog
	Logger  *slog.Logger

	notify bool
	build  func(Deps) (S, error)
}

// Sofia is the time zone of the first users.
func Sofia(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Quiet is a logger that drops everything, for services under test.
func Quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Catalog loads the translations, failing the test if they do not load.
func Catalog(t testing.TB) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// OpenStore opens a store for a test with opts (in memory when zero), on
// the engine ACCOUNTBOT_TEST_STORE selects; it is closed when the test
// ends.
func OpenStore(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	if opts.Dir == "" && opts.DatabaseURL == "" {
		opts.InMemory = true
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return storetest.OpenWith(t, opts)
}

// New builds an environment: a store, a clock, a notifier, and the service
// build makes of them (the test fails if build does).
func New[S Server](t testing.TB, o Options, build func(Deps) (S, error)) *Env[S] {
	t.Helper()
	tz := o.TZ
	if tz == nil {
		tz = Sofia(t)
	}
	clock := o.Clock
	if clock == nil {
		now := o.Now
		if now.IsZero() {
			now = time.Date(2026, 11, 26, 10, 0, 0, 0, tz)
		}
		clock = dates.NewManualClock(now)
	}
	st := o.Reuse
	if st == nil {
		st = OpenStore(t, o.Store)
	}
	notes := o.Notes
	if notes == nil {
		notes = &Notifier{}
	}
	e := &Env[S]{T: t, Ctx: context.Background(), Store: st, Clock: clock, Notes: notes, TZ: tz,
		Catalog: Catalog(t), Logger: Quiet(), notify: o.Notify, build: build}
	svc, err := build(e.Deps())
	if err != nil {
		t.Fatal(err)
	}
	e.Svc = svc
	return e
}

// Deps returns the environment's parts.
func (e *Env[S]) Deps() Deps {
	return Deps{Store: e.Store, Catalog: e.Catalog, Clock: e.Clock, Notes: e.Notes, TZ: e.TZ, Logger: e.Logger, Notify: e.notify}
}

// Restart returns a new service over the same store, clock and notifier,
// as after a restart of the program.
func (e *Env[S]) Restart() *Env[S] {
	e.T.Helper()
	n := *e
	n.Catalog = Catalog(e.T)
	svc, err := e.build(n.Deps())
	if err != nil {
		e.T.Fatal(err)
	}
	n.Svc = svc
	return &n
}

// For returns the environment reporting to t (a subtest, a fuzz
// target) over the same service, store, clock and notifier.
func (e *Env[S]) For(t testing.TB) *Env[S] {
	n := *e
	n.T = t
	return &n
}

// Identity returns the full identity: "console:" is added to a bare name.
func Identity(who string) string {
	if strings.Contains(who, ":") {
		return who
	}
	return bot.Console + ":" + strings.ToLower(who)
}

// Msg changes a message before it is sent (a language, files, a group
// chat).
type Msg func(*bot.Message)

// Lang sets the platform's language of the sender.
func Lang(l string) Msg { return func(m *bot.Message) { m.LangHint = l } }

// Files attaches files to the message.
func Files(f ...bot.Attachment) Msg { return func(m *bot.Message) { m.Attachments = f } }

// CSVFile is a CSV file called name holding content, as a platform hands
// a document over (its size known, its bytes opened on demand).
func CSVFile(name, content string) bot.Attachment {
	return bot.Attachment{Name: name, MIME: "text/csv", Size: int64(len(content)), Open: func(context.Context) ([]byte, error) {
		return []byte(content), nil
	}}
}

// Chat sends the message in chat id, a private one.
func Chat(id string) Msg { return func(m *bot.Message) { m.ChatID = id } }

// Group sends the message in the group chat id.
func Group(id string) Msg { return func(m *bot.Message) { m.ChatID, m.Private = id, false } }

// Received stamps the message with the time the platform received it.
func Received(t time.Time) Msg { return func(m *bot.Message) { m.ReceivedAt = t } }

// Message is the private message text from who, as the platform adapter
// would hand it over.
func Message(who, text string, opts ...Msg) *bot.Message {
	id := Identity(who)
	m := &bot.Message{Platform: strings.SplitN(id, ":", 2)[0], ChatID: id, Identity: id, Text: text, Private: true}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Serve hands m to the service and returns the replies; an error the
// service returns fails the test.
func (e *Env[S]) Serve(m *bot.Message) *bot.Recorder {
	e.T.Helper()
	rec := &bot.Recorder{}
	if err := e.Svc.ServeChat(e.Ctx, rec, m); err != nil {
		e.T.Fatalf("%s %q: %v", m.Identity, m.Text, err)
	}
	return rec
}

// Send delivers text from who and returns the replies.
func (e *Env[S]) Send(who, text string, opts ...Msg) *bot.Recorder {
	e.T.Helper()
	return e.Serve(Message(who, text, opts...))
}

// Press presses a button that carries data, as who would.
func (e *Env[S]) Press(who, data string, opts ...Msg) *bot.Recorder {
	e.T.Helper()
	return e.Serve(Message(who, data, append([]Msg{func(m *bot.Message) { m.Button = true }}, opts...)...))
}

// Say is Send returning the plain text of every reply.
func (e *Env[S]) Say(who, text string, opts ...Msg) string {
	e.T.Helper()
	return e.Send(who, text, opts...).Text()
}

// Must sends text and stops the test unless the reply holds every want.
func (e *Env[S]) Must(who, text string, wants ...string) string {
	e.T.Helper()
	got := e.Say(who, text)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			e.T.Fatalf("%s %q:\nreply %q\nlacks %q", Identity(who), text, got, w)
		}
	}
	return got
}

// MustNot sends text and stops the test if the reply holds any of bad.
func (e *Env[S]) MustNot(who, text string, bad ...string) string {
	e.T.Helper()
	got := e.Say(who, text)
	for _, b := range bad {
		if strings.Contains(got, b) {
			e.T.Fatalf("%s %q:\nreply %q\nshould not contain %q", Identity(who), text, got, b)
		}
	}
	return got
}

// Golden compares got with the golden file at path (go test -update
// rewrites it).
func (e *Env[S]) Golden(path, got string) {
	e.T.Helper()
	golden.Check(e.T, path, got)
}

// At sets the clock to a wall time in the environment's time zone.
func (e *Env[S]) At(y int, m time.Month, d, hh, mm int) {
	e.Clock.Set(time.Date(y, m, d, hh, mm, 0, 0, e.TZ))
}

// Person returns the person with identity who.
func (e *Env[S]) Person(who string) *crm.Person {
	e.T.Helper()
	p, err := e.Store.PersonByIdentity(e.Ctx, Identity(who))
	if err != nil {
		e.T.Fatalf("person %s: %v", Identity(who), err)
	}
	return p
}

// Client returns the client called name (matched as the store normalises
// names), or nil.
func (e *Env[S]) Client(name string) *crm.Client {
	e.T.Helper()
	cs, err := e.Store.FindClients(e.Ctx, name, 0)
	if err != nil {
		e.T.Fatal(err)
	}
	for _, c := range cs {
		if crm.NormalizeName(c.Name) == crm.NormalizeName(name) {
			return c
		}
	}
	return nil
}

// Appoint runs each line as the head (console:admin): the caller's own
// company, for tests that need another than Team.
func (e *Env[S]) Appoint(lines ...string) {
	e.T.Helper()
	for _, l := range lines {
		e.Must("console:admin", l)
	}
}

// Team is the company most tests start from: the head console:admin, a
// supervisor Sam Stoev (console:sam) with his manager Maria Petrova
// (console:maria), and a manager Ivan Ivanov (console:ivan) outside Sam's
// team. The service must count console:admin among its heads.
func (e *Env[S]) Team() {
	e.T.Helper()
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam Stoev")
	e.Must("console:admin", `/appoint console:maria manager "Maria Petrova" reports=@Sam`, "Maria Petrova")
	e.Must("console:admin", `/appoint console:ivan manager "Ivan Ivanov"`, "Ivan Ivanov")
}
