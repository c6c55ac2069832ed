package assistant_test

import (
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/internal/fakes"
	"accountbot/store"
)

// assistTZ is the tests' time zone; assistNow a Monday morning in it.
var (
	assistTZ  = chattest.ModelTZ
	assistNow = chattest.ModelNow
)

// env is handlerstest's Pair (Maria's Acme Pumps, Ivan's Beta Foods)
// with reads of the store the tests check.
type env struct{ *handlerstest.Pair }

// newEnv builds the environment over the fake model f (nil: no model)
// that gives up after deadline, on a store opened with st.
func newEnv(t testing.TB, f *fakes.OpenAI, deadline time.Duration, st store.Options) *env {
	t.Helper()
	var opts []handlers.Option
	if f != nil {
		opts = append(opts, handlers.WithModel(chattest.Model(f, deadline)))
	}
	return &env{handlerstest.NewPair(t, st, opts...)}
}

func (e *env) conversations(c *crm.Client) []*crm.Conversation {
	e.T.Helper()
	cs, err := e.Store.Conversations(e.Ctx, c.ID, 0)
	if err != nil {
		e.T.Fatal(err)
	}
	return cs
}

func (e *env) tasks(c *crm.Client) []*crm.Task {
	e.T.Helper()
	ts, err := e.Store.ClientTasks(e.Ctx, c.ID, true)
	if err != nil {
		e.T.Fatal(err)
	}
	return ts
}

func (e *env) client(c *crm.Client) *crm.Client {
	e.T.Helper()
	got, err := e.Store.Client(e.Ctx, c.ID)
	if err != nil {
		e.T.Fatal(err)
	}
	return got
}

// logConv logs a call of Maria's with Acme daysAgo days before assistNow.
func logConv(e *env, text string, daysAgo int) {
	e.T.Helper()
	conv := &crm.Conversation{ClientID: e.Acme.ID, AuthorID: e.Maria.ID, Channels: []string{"call"}, Text: text, At: assistNow.AddDate(0, 0, -daysAgo)}
	if err := e.Store.LogConversation(e.Ctx, conv, nil); err != nil {
		e.T.Fatal(err)
	}
}
