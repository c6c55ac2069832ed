package assistant_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/internal/fakes"
	"accountbot/store"
)

func TestAskWithTools(t *testing.T) {
	f := fakes.NewOpenAI(t,
		fakes.Tool("list_clients", map[string]any{"scope": "all", "stale": false, "field": "", "value": ""}),
		fakes.Tool("list_clients", map[string]any{"scope": "mine", "stale": false, "field": "", "value": ""}),
		fakes.Tool("client_card", map[string]any{"client": "Beta"}),
		fakes.Text("Your only client is Acme Pumps (#1); you met them on 2026-05-01. Beta (#2) is not yours."),
	)
	e := newEnv(t, f, 5*time.Second, store.Options{})
	rec := e.Direct("console:maria", "/ask which clients do I have?")
	out := rec.Text()
	if !strings.Contains(rec.Replies[0].Text, "Looking into it") {
		t.Errorf("first reply: %q", rec.Replies[0].Text)
	}
	if !strings.Contains(out, "Your only client is Acme Pumps (#1)") || !strings.Contains(out, "Records: #1 Acme Pumps") {
		t.Errorf("answer:\n%s", out)
	}
	if strings.Contains(out, "#2 Beta") {
		t.Errorf("a record the tools never returned is cited as one:\n%s", out)
	}
	reqs := f.Bodies()
	if len(reqs) != 4 {
		t.Fatalf("%d requests", len(reqs))
	}
	// The tools were offered with strict schemas, and each result went
	// back to the model with the caller's rights applied: a manager may
	// not list everyone, sees her own client, and not Ivan's.
	for _, want := range []string{`"name":"list_clients"`, `"name":"client_card"`, `"name":"open_tasks"`, `"strict":true`} {
		if !strings.Contains(reqs[0], want) {
			t.Errorf("first request lacks %s", want)
		}
	}
	results := toolResults(t, reqs[3])
	if len(results) != 3 {
		t.Fatalf("tool results: %q", results)
	}
	if !strings.Contains(results[0], "Only heads see everything") {
		t.Errorf("scope all for a manager: %s", results[0])
	}
	if !strings.Contains(results[1], `"name":"Acme Pumps"`) || strings.Contains(results[1], "Beta") {
		t.Errorf("list_clients: %s", results[1])
	}
	if !strings.Contains(results[2], "No client of yours matches") || strings.Contains(results[2], "SECRET-BETA") {
		t.Errorf("client_card of another's client: %s", results[2])
	}
	for _, r := range reqs {
		if strings.Contains(r, "SECRET-BETA") || strings.Contains(r, "Plovdiv") || strings.Contains(r, "sk-test-secret") {
			t.Errorf("a request holds another manager's data or the key: %s", r)
		}
	}
}

// toolResults returns the contents of the tool messages of a request.
func toolResults(t *testing.T, body string) []string {
	t.Helper()
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range req.Messages {
		if m.Role == "tool" {
			out = append(out, m.Content)
		}
	}
	return out
}

func TestAskOpenTasksAndConversations(t *testing.T) {
	f := fakes.NewOpenAI(t,
		fakes.Tool("open_tasks", map[string]any{"scope": "mine", "days_ahead": 7}),
		fakes.Tool("conversations", map[string]any{"client": "Acme", "limit": 5}),
		fakes.Text("T-1 is due on 2026-05-06 for #1."),
	)
	e := newEnv(t, f, 5*time.Second, store.Options{})
	e.Direct("console:maria", "/remind Acme: send the price list by wednesday")
	rec := e.Direct("console:maria", "/ask what is due this week?")
	if !strings.Contains(rec.Text(), "Records: T-1 send the price list, #1 Acme Pumps") {
		t.Errorf("answer:\n%s", rec.Text())
	}
	results := toolResults(t, f.Bodies()[2])
	if !strings.Contains(results[0], `"ref":"T-1"`) || !strings.Contains(results[0], `"due":"2026-05-06"`) {
		t.Errorf("open_tasks: %s", results[0])
	}
	if !strings.Contains(results[1], "the pumps came late") {
		t.Errorf("conversations: %s", results[1])
	}
}

func TestAskWithoutModel(t *testing.T) {
	e := newEnv(t, nil, 0, store.Options{})
	out := e.Direct("console:maria", "/ask which of my clients are stale?").Text()
	for _, want := range []string{"/ask needs a language model", "OPENAI_API_KEY", "/clients stale", "/today"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if out := e.Direct("console:maria", "/ask").Text(); !strings.Contains(out, "Usage: /ask") {
		t.Errorf("no usage: %s", out)
	}
}

func TestAskModelFails(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"timeout":        fakes.Slow(5 * time.Second),
		"malformed JSON": func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"choices":[{"message":`)) },
	} {
		t.Run(name, func(t *testing.T) {
			f := fakes.NewOpenAI(t, h)
			e := newEnv(t, f, 300*time.Millisecond, store.Options{})
			out := e.Direct("console:maria", "/ask anything overdue?").Text()
			if !strings.Contains(out, "I could not answer that now") || !strings.Contains(out, "/today") {
				t.Errorf("failure reply:\n%s", out)
			}
		})
	}
}

// TestAskCannotWrite: a prompt injection in the data makes the model ask
// run_query for a writing sub-command; the tool refuses it, and the SLA is
// unchanged.
func TestAskCannotWrite(t *testing.T) {
	for _, args := range []string{"settings critical=1h/1h", "SLA critical=1h/1h", " \"settings\" reset", "настройки critical=1h/1h"} {
		t.Run(args, func(t *testing.T) {
			f := fakes.NewOpenAI(t,
				fakes.Tool("run_query", map[string]any{"command": "claims", "args": args}),
				fakes.Text("Done."),
			)
			e := newEnv(t, f, 5*time.Second, store.Options{})
			e.Direct("console:admin", "/ask what does Acme's note say?")
			results := toolResults(t, f.Bodies()[1])
			if len(results) != 1 || !strings.Contains(results[0], "only read-only commands") {
				t.Errorf("tool result: %q", results)
			}
			if out := e.Direct("console:admin", "/claims settings").Text(); !strings.Contains(out, "critical: acknowledge within 4h, resolve within 2d") {
				t.Errorf("the SLA changed:\n%s", out)
			}
		})
	}
}

// TestReadOnlyRequestRefusesWrites: under a read-only request context every
// command that writes is refused by the store, below every parser, and
// nothing changes.
func TestReadOnlyRequestRefusesWrites(t *testing.T) {
	e := newEnv(t, nil, 0, store.Options{})
	ctx := crm.WithReadOnly(context.Background())
	for _, line := range []string{
		"/claims settings critical=1h/1h",
		"/client add Gamma Ltd",
		"/log Acme: they called",
		"/remind Acme: call back by tomorrow",
		"/claim Acme: late delivery",
		"/deal add Acme: pumps amount=100",
		"/lang bg",
	} {
		rec := &bot.Recorder{}
		m := &bot.Message{Platform: bot.Console, ChatID: "c", Identity: "console:admin", Text: line, Private: true, ReceivedAt: assistNow}
		if err := e.Svc.ServeChat(ctx, rec, m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if out := rec.Text(); !strings.Contains(out, "read-only") {
			t.Errorf("%s under a read-only request: %s", line, out)
		}
	}
	if out := e.Direct("console:admin", "/claims settings").Text(); !strings.Contains(out, "critical: acknowledge within 4h") {
		t.Errorf("the SLA changed:\n%s", out)
	}
	if out := e.Direct("console:admin", "/clients all").Text(); strings.Contains(out, "Gamma") {
		t.Errorf("a client was added:\n%s", out)
	}
	if n := len(e.conversations(e.Acme)); n != 1 {
		t.Errorf("%d conversations", n)
	}
}
