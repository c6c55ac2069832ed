package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/internal/chattest"
	"accountbot/internal/fakes"
	"accountbot/llm"
	"accountbot/store"
)

// assistTZ is the tests' time zone; assistNow a Monday morning in it.
var (
	assistTZ  = time.FixedZone("EEST", 3*3600)
	assistNow = time.Date(2026, 5, 4, 9, 30, 0, 0, assistTZ)
)

// assistEnv is the shared chat environment, at assistNow in assistTZ,
// with two managers, Maria and Ivan, each with a client: Maria's "Acme
// Pumps" (#1) and Ivan's "Beta Foods" (#2), each with a conversation.
type assistEnv struct {
	*chatEnv
	t     testing.TB
	svc   *Service
	st    *store.Store
	maria *crm.Person
	ivan  *crm.Person
	acme  *crm.Client
	beta  *crm.Client
}

func newAssistEnv(t testing.TB, model Model) *assistEnv {
	t.Helper()
	return newAssistEnvOn(t, model, store.Options{InMemory: true})
}

// newAssistEnvOn is newAssistEnv on a store opened with opts. (An
// in-memory Badger refuses values over its 1 KB value threshold, so tests
// that store long texts use a directory.)
func newAssistEnvOn(t testing.TB, model Model, opts store.Options) *assistEnv {
	t.Helper()
	var sopts []Option
	if model != nil {
		sopts = append(sopts, WithModel(model))
	}
	ce := chattest.New(t, chattest.Options{Now: assistNow, TZ: assistTZ, Store: opts}, buildService(nil, nil, sopts...))
	st := ce.Store
	e := &assistEnv{chatEnv: ce, t: t, st: st, svc: ce.Svc}
	ctx := ce.Ctx
	e.maria = &crm.Person{Name: "Maria Petrova", Role: crm.RoleManager, Identities: []string{"console:maria"}, CreatedAt: assistNow}
	e.ivan = &crm.Person{Name: "Ivan Georgiev", Role: crm.RoleManager, Identities: []string{"console:ivan"}, CreatedAt: assistNow}
	for _, p := range []*crm.Person{e.maria, e.ivan} {
		if err := st.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	e.acme = &crm.Client{Name: "Acme Pumps", Contact: "Ivan Ivanov", Phone: "+359 2 555 0101", Email: "ivan@acme.example", City: "Sofia", Lang: "en", OwnerID: e.maria.ID, CreatedAt: assistNow, ReviewedAt: assistNow}
	e.beta = &crm.Client{Name: "Beta Foods", Contact: "Petar", City: "Plovdiv", OwnerID: e.ivan.ID, CreatedAt: assistNow, ReviewedAt: assistNow}
	for _, c := range []*crm.Client{e.acme, e.beta} {
		if err := st.CreateClient(ctx, c, crm.Actor{PersonID: c.OwnerID}); err != nil {
			t.Fatal(err)
		}
	}
	e.logConv(e.acme, e.maria, "Met Ivan: the pumps came late, they want 5% off", "meeting", 3)
	e.logConv(e.beta, e.ivan, "SECRET-BETA margin talk", "call", 2)
	return e
}

func (e *assistEnv) logConv(c *crm.Client, by *crm.Person, text, ch string, daysAgo int) {
	e.t.Helper()
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: by.ID, Channels: []string{ch}, Text: text, At: assistNow.AddDate(0, 0, -daysAgo)}
	if err := e.st.LogConversation(context.Background(), conv, nil); err != nil {
		e.t.Fatal(err)
	}
}

// send delivers text from identity in a direct chat and returns the
// replies.
func (e *assistEnv) send(identity, text string) *bot.Recorder {
	e.t.Helper()
	return e.Send(identity, text, chattest.Chat("c"), chattest.Received(assistNow))
}

// press sends a button's command.
func (e *assistEnv) press(identity, data string) *bot.Recorder {
	e.t.Helper()
	return e.Press(identity, data, chattest.Chat("c"), chattest.Received(assistNow))
}

func (e *assistEnv) conversations(c *crm.Client) []*crm.Conversation {
	e.t.Helper()
	cs, err := e.st.Conversations(context.Background(), c.ID, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func (e *assistEnv) tasks(c *crm.Client) []*crm.Task {
	e.t.Helper()
	ts, err := e.st.ClientTasks(context.Background(), c.ID, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

func (e *assistEnv) client(c *crm.Client) *crm.Client {
	e.t.Helper()
	got, err := e.st.Client(context.Background(), c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// buttons returns every button of the recorded replies.
func buttons(rec *bot.Recorder) []bot.Button { return chattest.Buttons(rec) }

// fakeOpenAI is the shared fake model (internal/fakes) with the
// handlers' way to reach it.
type fakeOpenAI struct{ *fakes.OpenAI }

func newFakeOpenAI(t *testing.T, answers ...http.HandlerFunc) *fakeOpenAI {
	t.Helper()
	return &fakeOpenAI{fakes.NewOpenAI(t, answers...)}
}

// model returns an llm.Client on the fake server with the given deadline.
func (f *fakeOpenAI) model(deadline time.Duration) *llm.Client {
	return llm.New(llm.Config{APIKey: "sk-test-secret", BaseURL: f.URL + "/v1", Model: "test-model",
		Deadline: deadline, Backoff: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func (f *fakeOpenAI) requests() []string { return f.Bodies() }

// prompt returns the text of every message of request n, joined.
func (f *fakeOpenAI) prompt(t *testing.T, n int) string {
	t.Helper()
	return f.Prompt(t, n)
}

func toolAnswer(name string, args any) http.HandlerFunc { return fakes.Tool(name, args) }

var (
	textAnswer   = fakes.Text
	statusAnswer = fakes.Status
)

// hasButton reports whether any reply offers a button that sends data.
func hasButton(rec *bot.Recorder, data string) bool { return chattest.HasButton(rec, data) }
