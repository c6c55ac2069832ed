package clients_test

import (
	"net/http"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/internal/fakes"
	"accountbot/llm"
	"accountbot/store"
)

// assistTZ is the model tests' time zone; assistNow a Monday morning in
// it.
var (
	assistTZ  = chattest.ModelTZ
	assistNow = chattest.ModelNow
)

// assistEnv is handlerstest's Pair: two managers, Maria and Ivan, each
// with a client (Maria's "Acme Pumps" #1, Ivan's "Beta Foods" #2) and a
// conversation, under the short names these tests were written with.
type assistEnv struct {
	*handlerstest.Pair
	t     testing.TB
	svc   *handlers.Service
	st    *store.Store
	maria *crm.Person
	ivan  *crm.Person
	acme  *crm.Client
	beta  *crm.Client
}

// newAssistEnv builds the environment over model (nil: none).
func newAssistEnv(t testing.TB, model handlers.Model) *assistEnv {
	t.Helper()
	var opts []handlers.Option
	if model != nil {
		opts = append(opts, handlers.WithModel(model))
	}
	p := handlerstest.NewPair(t, store.Options{InMemory: true}, opts...)
	return &assistEnv{Pair: p, t: t, svc: p.Svc, st: p.Store, maria: p.Maria, ivan: p.Ivan, acme: p.Acme, beta: p.Beta}
}

func (e *assistEnv) logConv(c *crm.Client, by *crm.Person, text, ch string, daysAgo int) {
	e.t.Helper()
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: by.ID, Channels: []string{ch}, Text: text, At: assistNow.AddDate(0, 0, -daysAgo)}
	if err := e.st.LogConversation(e.Ctx, conv, nil); err != nil {
		e.t.Fatal(err)
	}
}

// send delivers text from identity in a direct chat and returns the
// replies.
func (e *assistEnv) send(identity, text string) *bot.Recorder {
	e.t.Helper()
	return e.Direct(identity, text)
}

// press sends a button's command.
func (e *assistEnv) press(identity, data string) *bot.Recorder {
	e.t.Helper()
	return e.Tap(identity, data)
}

func (e *assistEnv) conversations(c *crm.Client) []*crm.Conversation {
	e.t.Helper()
	cs, err := e.st.Conversations(e.Ctx, c.ID, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func (e *assistEnv) tasks(c *crm.Client) []*crm.Task {
	e.t.Helper()
	ts, err := e.st.ClientTasks(e.Ctx, c.ID, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

func (e *assistEnv) client(c *crm.Client) *crm.Client {
	e.t.Helper()
	got, err := e.st.Client(e.Ctx, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// fakeOpenAI is the shared fake model (internal/fakes).
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

// buttons returns every button of the recorded replies.
func buttons(rec *bot.Recorder) []bot.Button { return chattest.Buttons(rec) }
