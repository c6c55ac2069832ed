package assistant_test

import (
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/internal/chattest"
	"accountbot/internal/fakes"
	"accountbot/store"
)

var modelDraft = map[string]string{
	"subject":       "Our meeting on Friday",
	"body":          "Dear Ivan,\n\nThank you for meeting me. I confirm our meeting on Friday, 2026-05-08, and I will bring the revised offer.\n\nBest regards,\nMaria Petrova",
	"next_step":     "Bring the revised offer to the meeting",
	"next_step_due": "2026-05-08",
}

func TestFollowupWithModel(t *testing.T) {
	f := fakes.NewOpenAI(t, fakes.Tool("write_draft", modelDraft))
	e := newEnv(t, f, 5*time.Second, store.Options{})
	before := len(e.conversations(e.Acme))

	rec := e.Direct("console:maria", "/followup Acme: confirm the meeting on Friday")
	if len(rec.Replies) < 2 || !strings.Contains(rec.Replies[0].Text, "Drafting") {
		t.Fatalf("the first reply is not \"drafting…\": %q", rec.Text())
	}
	out := rec.Text()
	for _, want := range []string{"Draft for Acme Pumps (F-1)", "Subject: Our meeting on Friday", "I confirm our meeting on Friday", "Bring the revised offer to the meeting — 2026-05-08"} {
		if !strings.Contains(out, want) {
			t.Errorf("reply lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "built-in") {
		t.Errorf("a model draft is marked as offline:\n%s", out)
	}
	for _, data := range []string{"/followup shorter F-1", "/followup formal F-1", "/followup again F-1", "/followup sent F-1"} {
		if !chattest.HasButton(rec, data) {
			t.Errorf("no button %q in %+v", data, chattest.Buttons(rec))
		}
	}
	for _, b := range chattest.Buttons(rec) {
		if len(b.Data) > 64 {
			t.Errorf("button data over Telegram's 64 bytes: %q", b.Data)
		}
	}

	// The prompt holds this client's facts, and nothing of another client,
	// of contact details a draft does not need, or of the key.
	p := f.Prompt(t, 0)
	for _, want := range []string{"Acme Pumps", "Ivan Ivanov", "the pumps came late", "confirm the meeting on Friday", "Maria Petrova", "untrusted"} {
		if !strings.Contains(p, want) {
			t.Errorf("prompt lacks %q:\n%s", want, p)
		}
	}
	for _, bad := range []string{"Beta Foods", "SECRET-BETA", "Plovdiv", "+359", "ivan@acme.example", "sk-test-secret"} {
		if strings.Contains(p, bad) {
			t.Errorf("prompt contains %q:\n%s", bad, p)
		}
	}
	if !strings.Contains(f.Bodies()[0], `"strict":true`) || !strings.Contains(f.Bodies()[0], `"name":"write_draft"`) {
		t.Errorf("the draft is not asked for through the strict write_draft tool: %s", f.Bodies()[0])
	}
	if auth := f.Requests()[0].Header.Get("Authorization"); auth != "Bearer sk-test-secret" {
		t.Errorf("Authorization = %q", auth)
	}

	// Nothing is logged until the draft is marked as sent.
	if n := len(e.conversations(e.Acme)); n != before {
		t.Fatalf("drafting logged %d conversations", n-before)
	}
	rec = e.Tap("console:maria", "/followup sent F-1")
	if !strings.Contains(rec.Text(), "logged as an #email conversation with Acme Pumps") {
		t.Fatalf("mark as sent: %s", rec.Text())
	}
	convs := e.conversations(e.Acme)
	if len(convs) != before+1 {
		t.Fatalf("%d conversations after mark as sent, want %d", len(convs), before+1)
	}
	if c := convs[0]; len(c.Channels) != 1 || c.Channels[0] != "email" || !strings.Contains(c.Text, "I confirm our meeting on Friday") || !strings.HasPrefix(c.Text, "Our meeting on Friday") {
		t.Errorf("logged conversation = %+v", c)
	}
	cl := e.client(e.Acme)
	if cl.NextStep != "Bring the revised offer to the meeting" || !cl.NextStepDue.Equal(time.Date(2026, 5, 8, 0, 0, 0, 0, assistTZ)) {
		t.Errorf("next step = %q %v", cl.NextStep, cl.NextStepDue)
	}
	if !cl.LastTouch.Equal(assistNow) {
		t.Errorf("last touch = %v", cl.LastTouch)
	}

	// A second press does not log twice.
	rec = e.Tap("console:maria", "/followup sent F-1")
	if !strings.Contains(rec.Text(), "already marked as sent") || len(e.conversations(e.Acme)) != before+1 || len(e.tasks(e.Acme)) != 1 {
		t.Errorf("second press: %s (%d conversations, %d tasks)", rec.Text(), len(e.conversations(e.Acme)), len(e.tasks(e.Acme)))
	}
}

// Every failure of the model ends in the offline draft, marked with why.
func TestFollowupModelFailures(t *testing.T) {
	for _, c := range []struct {
		name     string
		deadline time.Duration
		calls    int
		mark     string
	}{
		{name: "timeout", deadline: 300 * time.Millisecond, calls: 1, mark: "did not answer in time"},
		{name: "server error", deadline: 5 * time.Second, calls: 3, mark: "server failed"},
		{name: "malformed JSON", deadline: 5 * time.Second, calls: 1, mark: "unusable"},
		{name: "unknown field", deadline: 5 * time.Second, calls: 1, mark: "unusable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var f *fakes.OpenAI
			switch c.name {
			case "timeout":
				f = fakes.NewOpenAI(t, fakes.Slow(5*time.Second))
			case "server error":
				f = fakes.NewOpenAI(t, fakes.Status(500, ""))
			case "malformed JSON":
				f = fakes.NewOpenAI(t, fakes.Tool("write_draft", `{"subject": "x", "body": "Dear Ivan`))
			case "unknown field":
				f = fakes.NewOpenAI(t, fakes.Tool("write_draft", `{"subject":"x","body":"y","next_step":"","next_step_due":"","run_command":"/client forget Acme"}`))
			}
			e := newEnv(t, f, c.deadline, store.Options{})
			start := time.Now()
			rec := e.Direct("console:maria", "/followup Acme")
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
			out := rec.Text()
			if !strings.Contains(out, c.mark) || !strings.Contains(out, "built-in assistant") {
				t.Errorf("no mark %q:\n%s", c.mark, out)
			}
			// The offline draft, from the same facts.
			if !strings.Contains(out, "Dear Ivan Ivanov,") || !strings.Contains(out, "Thank you for the meeting on 2026-05-01") || !strings.HasSuffix(strings.TrimSpace(rec.Replies[len(rec.Replies)-1].Text), "Maria Petrova\n\nWhen sent, the next step will be: Call Ivan Ivanov about the follow-up e-mail — 2026-05-07") {
				t.Errorf("not the offline draft:\n%s", out)
			}
			if got := len(f.Bodies()); got != c.calls {
				t.Errorf("%d requests, want %d", got, c.calls)
			}
			if !chattest.HasButton(rec, "/followup sent F-1") {
				t.Errorf("the offline draft has no buttons")
			}
		})
	}
}

func TestFollowupRetriesAfter429(t *testing.T) {
	f := fakes.NewOpenAI(t, fakes.Status(429, "0"), fakes.Tool("write_draft", modelDraft))
	e := newEnv(t, f, 5*time.Second, store.Options{})
	rec := e.Direct("console:maria", "/followup Acme")
	if !strings.Contains(rec.Text(), "I confirm our meeting on Friday") || strings.Contains(rec.Text(), "built-in") {
		t.Errorf("not the model's draft after a 429:\n%s", rec.Text())
	}
	if n := len(f.Bodies()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// The offline drafter writes in the client's language, signed with the
// caller's name, and the proposed next step is the caller's, in the
// caller's language.
func TestFollowupOffline(t *testing.T) {
	e := newEnv(t, nil, 0, store.Options{})
	rec := e.Direct("console:maria", "/followup Acme: apologise for the late delivery")
	out := rec.Text()
	for _, want := range []string{"Drafting a follow-up to Acme Pumps", "Written by the built-in drafter", "Subject: Our apologies",
		"I am writing to apologise for the late delivery.", "Maria Petrova", "2026-05-07"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "5% off") {
		t.Errorf("an internal note reached the draft:\n%s", out)
	}

	// A Bulgarian client gets a Bulgarian letter; Maria's own replies stay
	// in English.
	ctx := t.Context()
	if _, err := e.Store.UpdateClient(ctx, e.Acme.ID, crm.Actor{PersonID: e.Maria.ID}, assistNow, func(c *crm.Client) error { c.Lang = "bg"; return nil }); err != nil {
		t.Fatal(err)
	}
	rec = e.Direct("console:maria", "/followup Acme: потвърди срещата")
	out = rec.Text()
	for _, want := range []string{"Draft for Acme Pumps (F-2)", "Здравейте, Ivan Ivanov,", "Благодаря Ви за срещата на 01.05.2026 г.", "Пиша Ви, за да потвърдя срещата.", "Ще Ви се обадя в четвъртък, 07.05.2026 г.", "С уважение,\nMaria Petrova", "When sent, the next step will be"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	rec = e.Tap("console:maria", "/followup sent F-2")
	if !strings.Contains(rec.Text(), "Next step T-1: Call Ivan Ivanov about the follow-up e-mail — 2026-05-07") {
		t.Errorf("mark as sent: %s", rec.Text())
	}
	if cl := e.client(e.Acme); cl.NextStep != "Call Ivan Ivanov about the follow-up e-mail" {
		t.Errorf("next step = %q", cl.NextStep)
	}

	// Bulgarian caller, client without a language: a Bulgarian letter.
	e.Direct("console:ivan", "/lang bg")
	rec = e.Direct("console:ivan", "/followup Beta")
	if out := rec.Text(); !strings.Contains(out, "Чернова до Beta Foods") || !strings.Contains(out, "Здравейте, Petar,") || !strings.Contains(out, "Ivan Georgiev") {
		t.Errorf("Bulgarian draft:\n%s", out)
	}
}

// Only the caller's visible clients can be drafted for, and only the
// caller's own drafts can be revised or marked as sent.
func TestFollowupVisibility(t *testing.T) {
	e := newEnv(t, nil, 0, store.Options{})
	if out := e.Direct("console:maria", "/followup Beta").Text(); !strings.Contains(out, "No client of yours matches") {
		t.Errorf("Maria drafted for Ivan's client: %s", out)
	}
	e.Direct("console:maria", "/followup Acme")
	for _, data := range []string{"/followup sent F-1", "/followup shorter F-1"} {
		if out := e.Tap("console:ivan", data).Text(); !strings.Contains(out, "No draft F-1 of yours") {
			t.Errorf("Ivan used Maria's draft with %s: %s", data, out)
		}
	}
	if n := len(e.conversations(e.Acme)); n != 1 {
		t.Errorf("%d conversations", n)
	}
	if out := e.Direct("console:maria", "/followup").Text(); !strings.Contains(out, "Usage: /followup") {
		t.Errorf("no usage: %s", out)
	}
}

func TestFollowupRevise(t *testing.T) {
	f := fakes.NewOpenAI(t, fakes.Tool("write_draft", modelDraft))
	e := newEnv(t, f, 5*time.Second, store.Options{})
	e.Direct("console:maria", "/followup Acme: confirm the meeting")
	rec := e.Tap("console:maria", "/followup shorter F-1")
	if !strings.Contains(rec.Text(), "Draft for Acme Pumps (F-2)") || !chattest.HasButton(rec, "/followup sent F-2") {
		t.Fatalf("revision: %s", rec.Text())
	}
	p := f.Prompt(t, 1)
	for _, want := range []string{"make it shorter", "I confirm our meeting on Friday", "the pumps came late"} {
		if !strings.Contains(p, want) {
			t.Errorf("revision prompt lacks %q:\n%s", want, p)
		}
	}
	e.Tap("console:maria", "/followup formal F-2")
	if p := f.Prompt(t, 2); !strings.Contains(p, "make it shorter and make it more formal") {
		t.Errorf("formal revision of a short draft:\n%s", p)
	}
	// Offline, "regenerate" changes the wording.
	e2 := newEnv(t, nil, 0, store.Options{})
	a := e2.Direct("console:maria", "/followup Acme").Text()
	b := e2.Tap("console:maria", "/followup again F-1").Text()
	if strings.ReplaceAll(a, "F-1", "F-2") == b {
		t.Errorf("regenerate wrote the same draft:\n%s", b)
	}
}

// A draft longer than one message is split at paragraph ends, with the
// buttons under the last part.
func TestFollowupLongDraftSplit(t *testing.T) {
	para := strings.Repeat("This paragraph repeats a sentence to make the draft long. ", 12)
	long := map[string]string{"subject": "Long", "body": strings.Repeat(para+"\n\n", 14) + "Maria Petrova", "next_step": "", "next_step_due": ""}
	f := fakes.NewOpenAI(t, fakes.Tool("write_draft", long))
	e := newEnv(t, f, 5*time.Second, store.Options{Dir: t.TempDir()})
	rec := e.Direct("console:maria", "/followup Acme")
	parts := rec.Replies[1:]
	if len(parts) < 2 {
		t.Fatalf("a %d-character draft came in %d part(s): %s", len(long["body"]), len(parts), rec.Text())
	}
	for i, p := range parts {
		if n := len([]rune(p.Text)); n > core.MaxReplyRunes {
			t.Errorf("part %d has %d characters", i, n)
		}
		if (len(p.Buttons) > 0) != (i == len(parts)-1) {
			t.Errorf("part %d of %d has %d button rows", i, len(parts), len(p.Buttons))
		}
		if i < len(parts)-1 && !strings.HasSuffix(p.Text, ".") {
			t.Errorf("part %d ends mid-sentence: %q", i, p.Text[len(p.Text)-20:])
		}
	}
	if parts[0].Title == "" || parts[1].Title != "" {
		t.Errorf("titles: %q, %q", parts[0].Title, parts[1].Title)
	}
}
