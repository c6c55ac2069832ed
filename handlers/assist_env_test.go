package handlers

import (
	"context"
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
	assistTZ  = chattest.ModelTZ
	assistNow = chattest.ModelNow
)

// assistEnv is the shared chat environment, at assistNow in assistTZ,
// with chattest's Pair: two managers, Maria and Ivan, each with a client:
// Maria's "Acme Pumps" (#1) and Ivan's "Beta Foods" (#2), each with a
// conversation.
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
	p := ce.AddPair()
	return &assistEnv{chatEnv: ce, t: t, st: ce.Store, svc: ce.Svc, maria: p.Maria, ivan: p.Ivan, acme: p.Acme, beta: p.Beta}
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
	return chattest.Model(f.OpenAI, deadline)
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
