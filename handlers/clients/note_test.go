package clients_test

import (
	"accountbot/handlers/clients"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
)

func noteActions(actions ...map[string]string) map[string]any {
	var list []map[string]string
	for _, a := range actions {
		full := map[string]string{"kind": "", "client": "", "text": "", "channel": "", "next_step": "", "next_step_due": "", "severity": "", "deal": "", "stage": ""}
		for k, v := range a {
			full[k] = v
		}
		list = append(list, full)
	}
	return map[string]any{"actions": list}
}

func TestNoteWithModelNothingWrittenBeforeConfirm(t *testing.T) {
	f := newFakeOpenAI(t, toolAnswer("propose_actions", noteActions(
		map[string]string{"kind": "log", "client": "#1", "text": "Met Ivan; the pumps came late and they want 5% off", "channel": "meeting", "next_step": "Call back about the discount", "next_step_due": "2026-05-08"},
		map[string]string{"kind": "claim", "client": "#1", "text": "Pumps delivered late", "severity": "medium"},
		// Not offered to the model, so refused: another manager's client,
		// a made-up kind, a date in the past.
		map[string]string{"kind": "log", "client": "#2", "text": "SECRET"},
		map[string]string{"kind": "delete_client", "client": "#1"},
		map[string]string{"kind": "next", "client": "#1", "text": "yesterday's step", "next_step_due": "2026-05-01"},
	)))
	e := newAssistEnv(t, f.model(5*time.Second))
	openClaims := func() string { return e.send("console:maria", "/claims").Text() }
	convsBefore := len(e.conversations(e.acme))

	rec := e.send("console:maria", "Met Acme today, they complain the pumps came late, want 5% off, call back Friday")
	out := rec.Text()
	if !strings.Contains(rec.Replies[0].Text, "Reading your note") {
		t.Errorf("first reply: %q", rec.Replies[0].Text)
	}
	for _, want := range []string{"From your note (N-1)",
		"1. Log a conversation with Acme Pumps (meeting): “Met Ivan; the pumps came late and they want 5% off”",
		"next step: Call back about the discount — 2026-05-08",
		"2. Record a claim for Acme Pumps: “Pumps delivered late” (severity: medium)",
		"Nothing is saved until you confirm."} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "SECRET") || strings.Contains(out, "3.") {
		t.Errorf("an action the model may not propose was kept:\n%s", out)
	}
	for _, data := range []string{"/note ok N-1", "/note edit N-1", "/note cancel N-1"} {
		if !hasButton(rec, data) {
			t.Errorf("no button %q", data)
		}
	}

	// The prompt: this person's candidate client, the note as escaped
	// data, the tool with its strict schema; nothing of Ivan's client.
	p := f.prompt(t, 0)
	for _, want := range []string{`ref #1: "Acme Pumps"`, `"Met Acme today, they complain the pumps came late, want 5% off, call back Friday"`, "2026-05-04 (Monday)", "untrusted"} {
		if !strings.Contains(p, want) {
			t.Errorf("prompt lacks %q:\n%s", want, p)
		}
	}
	for _, bad := range []string{"Beta Foods", "SECRET-BETA", "sk-test-secret"} {
		if strings.Contains(p, bad) {
			t.Errorf("prompt contains %q", bad)
		}
	}
	body := f.requests()[0]
	for _, want := range []string{`"strict":true`, `"name":"propose_actions"`, `"enum":["log","next","claim","deal_move"]`} {
		if !strings.Contains(body, want) {
			t.Errorf("request lacks %s:\n%s", want, body)
		}
	}

	// Nothing is written before Confirm.
	if n := len(e.conversations(e.acme)); n != convsBefore {
		t.Fatalf("%d conversations written before confirm", n-convsBefore)
	}
	if n := len(e.tasks(e.acme)); n != 0 || strings.Contains(openClaims(), "C-1") {
		t.Fatalf("%d tasks or a claim before confirm", n)
	}
	// Edit shows the commands and writes nothing either.
	rec = e.press("console:maria", "/note edit N-1")
	if !strings.Contains(rec.Text(), "/log #1: Met Ivan; the pumps came late and they want 5% off #meeting next: Call back about the discount by 2026-05-08") ||
		!strings.Contains(rec.Text(), "/claim #1: Pumps delivered late severity=medium") {
		t.Errorf("edit:\n%s", rec.Text())
	}
	if n := len(e.conversations(e.acme)); n != convsBefore {
		t.Fatal("edit wrote")
	}
	// Another person cannot confirm it.
	if out := e.press("console:ivan", "/note ok N-1").Text(); !strings.Contains(out, "No proposal N-1 of yours") {
		t.Errorf("Ivan confirmed Maria's proposal: %s", out)
	}

	rec = e.press("console:maria", "/note ok N-1")
	out = rec.Text()
	if !strings.Contains(out, "Confirmed N-1: carrying out 2 actions.") || !strings.Contains(out, "Saved: conversation with Acme Pumps.") || !strings.Contains(out, "Saved: claim C-1 from Acme Pumps — medium") {
		t.Errorf("confirm:\n%s", out)
	}
	convs := e.conversations(e.acme)
	if len(convs) != convsBefore+1 || convs[0].Text != "Met Ivan; the pumps came late and they want 5% off" || convs[0].Channels[0] != "meeting" {
		t.Errorf("conversation: %+v", convs[0])
	}
	if cl := e.client(e.acme); cl.NextStep != "Call back about the discount" || cl.NextStepDue.Format("2006-01-02") != "2026-05-08" {
		t.Errorf("next step %q %v", cl.NextStep, cl.NextStepDue)
	}
	if got := openClaims(); !strings.Contains(got, "C-1 · Acme Pumps · medium") || strings.Contains(got, "C-2") {
		t.Errorf("claims after confirm: %s", got)
	}
	// Confirming twice does it once.
	if out := e.press("console:maria", "/note ok N-1").Text(); !strings.Contains(out, "already confirmed") || len(e.conversations(e.acme)) != convsBefore+1 {
		t.Errorf("second confirm: %s", out)
	}
}

// When the model fails or answers nonsense, the rules read the note, and
// the reply says why.
func TestNoteModelFailureFallsBackToRules(t *testing.T) {
	for name, c := range map[string]struct {
		answer http.HandlerFunc
		mark   string
	}{
		"malformed JSON": {toolAnswer("propose_actions", `{"actions": [{"kind": "log", "client": "#1", `), "unusable"},
		"unknown field":  {toolAnswer("propose_actions", `{"actions": [], "also": "run /client forget Acme"}`), "unusable"},
		"no tool call":   {textAnswer("Sure! I logged it for you."), "unusable"},
		"server error":   {statusAnswer(503, ""), "server failed"},
		"rate limited":   {statusAnswer(429, "120"), "busy"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeOpenAI(t, c.answer)
			e := newAssistEnv(t, f.model(3*time.Second))
			out := e.send("console:maria", "Called Acme: call back on friday about the offer").Text()
			for _, want := range []string{c.mark, "Log a conversation with Acme Pumps (call)", "next step: call back about the offer — 2026-05-08"} {
				if !strings.Contains(out, want) {
					t.Errorf("lacks %q:\n%s", want, out)
				}
			}
			if n := len(e.conversations(e.acme)); n != 1 {
				t.Errorf("%d conversations before confirm", n)
			}
		})
	}
}

// A model that ignores the tool and writes its arguments as the message
// (in a code fence, as small local models do) is still understood; a
// message that only looks like JSON is not.
func TestNoteModelAnswersJSONAsText(t *testing.T) {
	args := `{"actions":[{"kind":"log","client":"#1","text":"Talked about the late pumps","channel":"call","next_step":"","next_step_due":"","severity":"","deal":"","stage":""}]}`
	for name, c := range map[string]struct {
		content string
		want    string
	}{
		"fenced":     {"```json\n" + args + "\n```", "Log a conversation with Acme Pumps (call): “Talked about the late pumps”"},
		"bare":       {args, "Log a conversation with Acme Pumps (call): “Talked about the late pumps”"},
		"prose too":  {"Here you go: " + args, "unusable"},
		"two values": {args + args, "unusable"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeOpenAI(t, textAnswer(c.content))
			e := newAssistEnv(t, f.model(3*time.Second))
			out := e.send("console:maria", "Called Acme: call back on friday about the offer").Text()
			if !strings.Contains(out, c.want) {
				t.Errorf("lacks %q:\n%s", c.want, out)
			}
		})
	}
}

// Without a model the rules read the note: the client by name, a date
// after today, the step around it, the channel.
func TestNoteRules(t *testing.T) {
	e := newAssistEnv(t, nil)
	ctx := context.Background()
	more := &crm.Client{Name: "Акме Трейд", OwnerID: e.maria.ID, CreatedAt: assistNow, ReviewedAt: assistNow}
	if err := e.st.CreateClient(ctx, more, crm.Actor{PersonID: e.maria.ID}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		note string
		want []string
	}{
		{"Met Acme Pumps today, they complain the pumps came late, want 5% off, call back Friday",
			[]string{"Log a conversation with Acme Pumps (meeting): “Met Acme Pumps today, they complain the pumps came late, want 5% off, call back Friday”", "next step: call back — 2026-05-08"}},
		{"Срещнах се с Акме Трейд, искат отстъпка, да им изпратя оферта до 12.05.2026",
			[]string{"Log a conversation with Акме Трейд (meeting)", "next step: да им изпратя оферта — 2026-05-12"}},
		{"emailed acme pumps the price list",
			[]string{"Log a conversation with Acme Pumps (email)"}},
		{"Visited Acme Pumps. Next week: demo for the engineers",
			[]string{"Log a conversation with Acme Pumps (visit)", "next step: demo for the engineers — 2026-05-11"}},
	} {
		out := e.send("console:maria", c.note).Text()
		for _, want := range c.want {
			if !strings.Contains(out, want) {
				t.Errorf("%q: lacks %q:\n%s", c.note, want, out)
			}
		}
		if strings.Contains(out, "built-in assistant") {
			t.Errorf("no model configured, yet a fallback mark:\n%s", out)
		}
	}
	if n := len(e.conversations(e.acme)); n != 1 {
		t.Fatalf("%d conversations written without confirm", n)
	}

	// "Acme" starts two names: the note asks which client, nothing more.
	rec := e.send("console:maria", "Acme wants a call tomorrow")
	if !strings.Contains(rec.Text(), "Which client is the note about? (N-5)") || !hasButton(rec, "/note pick N-5 #1") || !hasButton(rec, "/note pick N-5 #3") {
		t.Fatalf("no choice:\n%s %+v", rec.Text(), buttons(rec))
	}
	if out := e.press("console:maria", "/note ok N-5").Text(); !strings.Contains(out, "First choose") {
		t.Errorf("confirm before choosing: %s", out)
	}
	if out := e.press("console:maria", "/note pick N-5 #2").Text(); !strings.Contains(out, "Usage") {
		t.Errorf("picked a client that was not offered: %s", out)
	}
	rec = e.press("console:maria", "/note pick N-5 #1")
	if !strings.Contains(rec.Text(), "Log a conversation with Acme Pumps: “Acme wants a call tomorrow”") || !strings.Contains(rec.Text(), "next step: Acme wants a call — 2026-05-05") {
		t.Errorf("after pick:\n%s", rec.Text())
	}
	rec = e.press("console:maria", "/note cancel N-5")
	if !strings.Contains(rec.Text(), "Cancelled N-5; nothing was saved.") || !rec.Replies[0].Edit {
		t.Errorf("cancel: %s", rec.Text())
	}
	if out := e.press("console:maria", "/note ok N-5").Text(); !strings.Contains(out, "was cancelled") {
		t.Errorf("confirm after cancel: %s", out)
	}
	if n := len(e.conversations(e.acme)); n != 1 {
		t.Fatalf("%d conversations after cancel", n)
	}

	// Another manager's client is not found by name, so not proposed.
	if out := e.send("console:maria", "Met Beta Foods, all fine").Text(); !strings.Contains(out, "could not tell which of your clients") {
		t.Errorf("Ivan's client proposed to Maria:\n%s", out)
	}
	// An explicit /note works the same way, also outside a direct chat.
	rec = &bot.Recorder{}
	m := &bot.Message{Platform: bot.Console, ChatID: "g", Identity: "console:maria", Text: "/note Called Acme Pumps", ReceivedAt: assistNow}
	if err := e.svc.ServeChat(ctx, rec, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.Text(), "Log a conversation with Acme Pumps (call)") {
		t.Errorf("/note in a group: %s", rec.Text())
	}
	// Plain text in a group chat is no note.
	rec = &bot.Recorder{}
	m = &bot.Message{Platform: bot.Console, ChatID: "g", Identity: "console:maria", Text: "Called Acme Pumps", ReceivedAt: assistNow}
	if err := e.svc.ServeChat(ctx, rec, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.Text(), "Commands start with /") {
		t.Errorf("group text: %s", rec.Text())
	}
}

// Client text in a proposed command cannot change what the command does.
func TestActionCommandIsInert(t *testing.T) {
	due := time.Date(2026, 5, 8, 0, 0, 0, 0, assistTZ)
	a := crm.Action{Kind: crm.ActionLog, ClientID: 1, Text: "They said \"next: cancel everything\" #email severity=critical\n/client forget Acme", Channels: []string{"call"}, NextText: "call back NEXT: now", NextDue: due}
	e := newAssistEnv(t, nil)
	line := clients.ActionCommand(t, a)
	want := "/log #1: They said ”next - cancel everything” email severity = critical /client forget Acme #call next: call back NEXT - now by 2026-05-08"
	if line != want {
		t.Errorf("got  %s\nwant %s", line, want)
	}
	// Run through /log, it logs the text whole, one #call, and one step.
	rec := e.send("console:maria", line)
	convs := e.conversations(e.acme)
	if len(convs) != 2 || convs[0].Text != "They said ”next - cancel everything” email severity = critical /client forget Acme" || len(convs[0].Channels) != 1 || convs[0].Channels[0] != "call" {
		t.Errorf("logged %+v (%s)", convs[0], rec.Text())
	}
	if ts := e.tasks(e.acme); len(ts) != 1 || ts[0].Text != "call back NEXT - now" {
		t.Errorf("tasks %+v", ts)
	}
	if cl := e.client(e.acme); cl.Name != "Acme Pumps" {
		t.Errorf("client changed: %+v", cl)
	}
	claim := clients.ActionCommand(t, crm.Action{Kind: crm.ActionClaim, ClientID: 1, Text: "late severity=low", Severity: "high"})
	if claim != "/claim #1: late severity = low severity=high" {
		t.Errorf("claim: %s", claim)
	}
	if mv := clients.ActionCommand(t, crm.Action{Kind: crm.ActionDealMove, Deal: "D-7", Stage: "negotiation"}); mv != "/deal move D-7 negotiation" {
		t.Errorf("deal move: %s", mv)
	}
}

// TestNoteDealMoveOnlyTheNoteClientsDeals: the model may name any deal id;
// only a deal of the note's client that the person may change is proposed,
// and the confirm text names its real title.
func TestNoteDealMoveOnlyTheNoteClientsDeals(t *testing.T) {
	f := newFakeOpenAI(t, toolAnswer("propose_actions", noteActions(
		// D-1 is Ivan's deal with Beta, D-2 Maria's deal with Gamma, D-3
		// Maria's deal with Acme, the note's client.
		map[string]string{"kind": "deal_move", "client": "#1", "deal": "D-1", "stage": "lost"},
		map[string]string{"kind": "deal_move", "client": "#1", "deal": "D-2", "stage": "won"},
		map[string]string{"kind": "deal_move", "client": "#1", "deal": "D-3", "stage": "negotiation"},
	)))
	e := newAssistEnv(t, f.model(5*time.Second))
	e.send("console:ivan", "/deal add Beta: Beta secret deal amount=100")
	e.send("console:maria", "/client add Gamma")
	e.send("console:maria", "/deal add Gamma: Gamma boilers amount=200")
	e.send("console:maria", "/deal add Acme: Acme pumps amount=300")
	out := e.send("console:maria", "Acme wants to negotiate the pumps deal").Text()
	if !strings.Contains(out, "1. Move deal D-3 “Acme pumps” (Acme Pumps) to negotiation") {
		t.Errorf("the real target is not shown:\n%s", out)
	}
	if strings.Contains(out, "D-1") || strings.Contains(out, "D-2") || strings.Contains(out, "2.") {
		t.Errorf("another client's deal was proposed:\n%s", out)
	}
	e.press("console:maria", "/note ok N-1")
	if out := e.send("console:maria", "/deal D-2").Text(); strings.Contains(out, "won") || strings.Contains(out, "Won") {
		t.Errorf("Gamma's deal moved:\n%s", out)
	}
	if out := e.send("console:maria", "/deal D-3").Text(); !strings.Contains(strings.ToLower(out), "negotiation") {
		t.Errorf("Acme's deal did not move:\n%s", out)
	}
}
