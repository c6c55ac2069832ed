package chattest

import (
	"io"
	"log/slog"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/internal/fakes"
	"accountbot/llm"
)

// ModelNow is a Monday morning in ModelTZ, when the model tests run.
var (
	ModelTZ  = time.FixedZone("EEST", 3*3600)
	ModelNow = time.Date(2026, 5, 4, 9, 30, 0, 0, ModelTZ)
)

// Model returns a language model on the fake server f (key
// "sk-test-secret", model "test-model") that gives up after deadline.
func Model(f *fakes.OpenAI, deadline time.Duration) *llm.Client {
	return llm.New(llm.Config{APIKey: "sk-test-secret", BaseURL: f.URL + "/v1", Model: "test-model",
		Deadline: deadline, Backoff: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// Pair is what the model tests start from: two managers with a client
// and a talk each, three days before ModelNow. Maria Petrova
// (console:maria) has "Acme Pumps" (contact Ivan Ivanov, Sofia, English,
// with a phone and an e-mail), Ivan Georgiev (console:ivan) "Beta Foods"
// (contact Petar, Plovdiv), whose facts must never reach a prompt about
// Acme.
type Pair struct {
	Maria, Ivan *crm.Person
	Acme, Beta  *crm.Client
}

// AddPair writes the Pair into the environment's store.
func (e *Env[S]) AddPair() Pair {
	e.T.Helper()
	var out Pair
	for _, p := range []struct {
		who, name, client, contact, city, talk, ch string
		person                                     **crm.Person
		c                                          **crm.Client
	}{
		{"maria", "Maria Petrova", "Acme Pumps", "Ivan Ivanov", "Sofia", "Met Ivan: the pumps came late, they want 5% off", "meeting", &out.Maria, &out.Acme},
		{"ivan", "Ivan Georgiev", "Beta Foods", "Petar", "Plovdiv", "SECRET-BETA margin talk", "call", &out.Ivan, &out.Beta},
	} {
		person := &crm.Person{Name: p.name, Role: crm.RoleManager, Identities: []string{"console:" + p.who}, CreatedAt: ModelNow}
		if err := e.Store.CreatePerson(e.Ctx, person); err != nil {
			e.T.Fatal(err)
		}
		c := &crm.Client{Name: p.client, Contact: p.contact, City: p.city, OwnerID: person.ID, CreatedAt: ModelNow, ReviewedAt: ModelNow}
		if p.who == "maria" {
			c.Phone, c.Email, c.Lang = "+359 2 555 0101", "ivan@acme.example", "en"
		}
		if err := e.Store.CreateClient(e.Ctx, c, crm.Actor{PersonID: person.ID}); err != nil {
			e.T.Fatal(err)
		}
		conv := &crm.Conversation{ClientID: c.ID, AuthorID: person.ID, Channels: []string{p.ch}, Text: p.talk, At: ModelNow.AddDate(0, 0, -3)}
		if err := e.Store.LogConversation(e.Ctx, conv, nil); err != nil {
			e.T.Fatal(err)
		}
		*p.person, *p.c = person, c
	}
	return out
}

// Direct sends text from identity in a direct chat at ModelNow and
// returns the replies.
func (e *Env[S]) Direct(identity, text string) *bot.Recorder {
	e.T.Helper()
	return e.Send(identity, text, Chat("c"), Received(ModelNow))
}

// Tap sends a button's data from identity in the same chat.
func (e *Env[S]) Tap(identity, data string) *bot.Recorder {
	e.T.Helper()
	return e.Press(identity, data, Chat("c"), Received(ModelNow))
}
