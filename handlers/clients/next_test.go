package clients_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestNextPhrasedByModel: the rules' step and reason come first, at once;
// with a model configured, its phrasing follows in a second reply, built
// from the rules' steps and the client's facts only. A failing model leaves
// the rules' answer with a one-line reason; with nothing to do, or without a
// model, the model is not asked.
func TestNextPhrasedByModel(t *testing.T) {
	const advice = "Open with an apology for the late pumps, confirm you have the claim, and agree on a date for the replacement."
	for name, c := range map[string]struct {
		answer  http.HandlerFunc
		noModel bool
		second  string
	}{
		"phrased":        {answer: textAnswer("```\n" + advice + "\n```"), second: "💬 How to go about it\n" + advice},
		"server fails":   {answer: statusAnswer(503, ""), second: "⚠ The language model server failed"},
		"tool call only": {answer: toolAnswer("propose_actions", `{"actions":[]}`), second: "⚠ The language model's answer was unusable"},
		"no model":       {noModel: true},
	} {
		t.Run(name, func(t *testing.T) {
			var f *fakeOpenAI
			var e *assistEnv
			if c.noModel {
				e = newAssistEnv(t, nil)
			} else {
				f = newFakeOpenAI(t, c.answer)
				e = newAssistEnv(t, f.model(3*time.Second))
			}
			e.logConv(e.acme, e.maria, "Ivan said the pumps came late again", "call", 1)
			if out := e.send("console:maria", "/claim Acme: pumps came late severity=critical").Text(); !strings.Contains(out, "C-1") {
				t.Fatalf("claim: %s", out)
			}
			rec := e.send("console:maria", "/next acme")
			if len(rec.Replies) == 0 || !strings.Contains(rec.Replies[0].Text, "→ Acknowledge claim C-1 to the client") || !strings.Contains(rec.Replies[0].Text, "Why: its deadline is") {
				t.Fatalf("first reply is not the rules' answer:\n%s", rec.Text())
			}
			if c.noModel {
				if len(rec.Replies) != 1 {
					t.Errorf("%d replies without a model", len(rec.Replies))
				}
				return
			}
			if len(rec.Replies) != 2 {
				t.Fatalf("%d replies, want the rules' and the model's:\n%s", len(rec.Replies), rec.Text())
			}
			second := rec.Replies[1].Title + "\n" + rec.Replies[1].Text
			if !strings.HasPrefix(strings.TrimPrefix(second, "\n"), c.second) || strings.Contains(second, "```") {
				t.Errorf("second reply %q, want it to start with %q", second, c.second)
			}
			p := f.prompt(t, 0)
			for _, want := range []string{`"Acknowledge claim C-1 to the client"`, `"Acme Pumps"`, `"Ivan said the pumps came late again"`, "untrusted"} {
				if !strings.Contains(p, want) {
					t.Errorf("prompt lacks %s:\n%s", want, p)
				}
			}
			for _, bad := range []string{"Beta Foods", "sk-test-secret", "ivan@acme.example"} {
				if strings.Contains(p, bad) {
					t.Errorf("prompt contains %q", bad)
				}
			}
		})
	}
}

// With nothing to recommend, /next does not call the model.
func TestNextNothingToDoAsksNoModel(t *testing.T) {
	f := newFakeOpenAI(t, textAnswer("anything"))
	e := newAssistEnv(t, f.model(3*time.Second))
	e.logConv(e.acme, e.maria, "all fine", "call", 0)
	rec := e.send("console:maria", "/next acme")
	if len(rec.Replies) != 1 || !strings.Contains(rec.Text(), "Nothing urgent") {
		t.Errorf("replies:\n%s", rec.Text())
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d model requests for nothing to do", n)
	}
}
