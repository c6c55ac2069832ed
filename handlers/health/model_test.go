package health_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/internal/fakes"
	"accountbot/llm"
)

// modelNow is a Monday morning in modelTZ, when the model tests run.
var (
	modelTZ  = time.FixedZone("EEST", 3*3600)
	modelNow = time.Date(2026, 5, 4, 9, 30, 0, 0, modelTZ)
)

// modelEnv is the shared chat environment with the fake model f behind
// the service, and two managers with a client and a talk each: Maria's
// "Acme Pumps" and Ivan's "Beta Foods" (whose facts must never reach a
// prompt about Acme).
func modelEnv(t *testing.T, f *fakes.OpenAI) *handlerstest.Env {
	t.Helper()
	m := llm.New(llm.Config{APIKey: "sk-test-secret", BaseURL: f.URL + "/v1", Model: "test-model",
		Deadline: 3 * time.Second, Backoff: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e := handlerstest.New(t, chattest.Options{Now: modelNow, TZ: modelTZ}, handlers.WithModel(m))
	for _, p := range []struct{ who, name, client, contact, city, talk, ch string }{
		{"maria", "Maria Petrova", "Acme Pumps", "Ivan Ivanov", "Sofia", "Met Ivan: the pumps came late, they want 5% off", "meeting"},
		{"ivan", "Ivan Georgiev", "Beta Foods", "Petar", "Plovdiv", "SECRET-BETA margin talk", "call"},
	} {
		person := &crm.Person{Name: p.name, Role: crm.RoleManager, Identities: []string{"console:" + p.who}, CreatedAt: modelNow}
		if err := e.Store.CreatePerson(e.Ctx, person); err != nil {
			t.Fatal(err)
		}
		c := &crm.Client{Name: p.client, Contact: p.contact, City: p.city, OwnerID: person.ID, CreatedAt: modelNow, ReviewedAt: modelNow}
		if p.who == "maria" {
			c.Phone, c.Email, c.Lang = "+359 2 555 0101", "ivan@acme.example", "en"
		}
		if err := e.Store.CreateClient(e.Ctx, c, crm.Actor{PersonID: person.ID}); err != nil {
			t.Fatal(err)
		}
		conv := &crm.Conversation{ClientID: c.ID, AuthorID: person.ID, Channels: []string{p.ch}, Text: p.talk, At: modelNow.AddDate(0, 0, -3)}
		if err := e.Store.LogConversation(e.Ctx, conv, nil); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// TestQBRWithModel: with a model configured, /qbr is the model's brief,
// written from this client's facts only; when the model fails, the
// offline drafter answers with a one-line reason.
func TestQBRWithModel(t *testing.T) {
	const brief = "A steady quarter for Acme Pumps: one meeting, no claims.\nAgenda: 1. results 2. renewal 3. plans"
	for name, c := range map[string]struct {
		answer http.HandlerFunc
		want   []string
	}{
		"phrased":      {answer: fakes.Text("```\n" + brief + "\n```"), want: []string{"A steady quarter for Acme Pumps", "Written by the language model"}},
		"server fails": {answer: fakes.Status(503, ""), want: []string{"⚠ The language model server failed", "Relationship", "Agenda"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := fakes.NewOpenAI(t, c.answer)
			e := modelEnv(t, f)
			direct := []chattest.Msg{chattest.Chat("c"), chattest.Received(modelNow)}
			if out := e.Send("console:maria", "/renewal Acme 2026-09-30 amount=12000 contract=K-17", direct...).Text(); !strings.Contains(out, "R-1") {
				t.Fatalf("renewal: %s", out)
			}
			out := e.Send("console:maria", "/qbr acme", direct...).Text()
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("reply lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "```") {
				t.Errorf("fences kept:\n%s", out)
			}
			p := f.Prompt(t, 0)
			for _, want := range []string{`client: "Acme Pumps"`, `"Met Ivan: the pumps came late, they want 5% off"`, "R-1", "K-17", "untrusted", "health score:"} {
				if !strings.Contains(p, want) {
					t.Errorf("prompt lacks %s:\n%s", want, p)
				}
			}
			for _, bad := range []string{"Beta Foods", "SECRET-BETA", "sk-test-secret", "ivan@acme.example", "+359"} {
				if strings.Contains(p, bad) {
					t.Errorf("prompt contains %q", bad)
				}
			}
		})
	}
}
