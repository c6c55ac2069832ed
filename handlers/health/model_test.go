package health_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/internal/fakes"
	"accountbot/store"
)

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
			e := handlerstest.NewPair(t, store.Options{}, handlers.WithModel(chattest.Model(f, 3*time.Second)))
			if out := e.Direct("console:maria", "/renewal Acme 2026-09-30 amount=12000 contract=K-17").Text(); !strings.Contains(out, "R-1") {
				t.Fatalf("renewal: %s", out)
			}
			out := e.Direct("console:maria", "/qbr acme").Text()
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
