package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/bot/slack"
)

// adapterNotifier hands the service's notifications to the adapter made
// after the service.
type adapterNotifier struct{ a *slack.Adapter }

func (n *adapterNotifier) Notify(ctx context.Context, identity string, r bot.Reply) error {
	return n.a.Notify(ctx, identity, r)
}

func homeOpened(eventID, user string) []byte {
	return eventJSON(eventID, map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home", "event_ts": "1700000001.000100"})
}

// Opening the Home tab publishes the person's agenda, pipeline summary and
// buttons; opening it again shows what changed since.
func TestAppHomeIsPublishedWhenOpened(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	e.post("/slack/events", "application/json", dmEvent("Ev1", headUser, "client add Acme"))
	e.fake.WaitMessage("Acme")
	e.post("/slack/events", "application/json", homeOpened("EvH1", headUser))
	calls := e.fake.WaitFor("views.publish", 5*time.Second, func(c []apiCall) bool { return len(filter(c, "views.publish")) == 1 })
	pub := filter(calls, "views.publish")[0]
	if pub.Form.Get("user_id") != headUser || !strings.Contains(pub.Form.Get("view"), `"type":"home"`) {
		t.Fatalf("views.publish %v", pub.Form)
	}
	view := pub.Form.Get("view")
	for _, want := range []string{"Nothing overdue or due today", `"value":"/today"`, `"value":"/claims"`, `"value":"/pipeline"`} {
		if !strings.Contains(view, want) {
			t.Errorf("home lacks %q: %s", want, view)
		}
	}
	e.post("/slack/events", "application/json", dmEvent("Ev2", headUser, "remind acme: call back by tomorrow"))
	e.fake.WaitMessage("call back")
	e.post("/slack/events", "application/json", homeOpened("EvH2", headUser))
	calls = e.fake.WaitFor("second views.publish", 5*time.Second, func(c []apiCall) bool { return len(filter(c, "views.publish")) == 2 })
	if v := filter(calls, "views.publish")[1].Form.Get("view"); strings.Contains(v, "call back") {
		t.Errorf("tomorrow's reminder on today's home: %s", v)
	}
	// A Home button answers in the DM.
	e.interactive(map[string]any{"type": "block_actions", "user": map[string]any{"id": headUser}, "trigger_id": "TRH1",
		"view": map[string]any{"type": "home"}, "container": map[string]any{"type": "view"},
		"actions": []any{map[string]any{"type": "button", "block_id": "b1", "action_id": "cmd:0:2", "value": "/clients", "action_ts": "1.1"}}})
	if c := e.fake.WaitMessage("1 client"); c.Form.Get("channel") != "D"+headUser {
		t.Errorf("home button answered in %q", c.Form.Get("channel"))
	}
	// An unknown person's Home shows the refusal only.
	e.post("/slack/events", "application/json", homeOpened("EvH3", "USTRANGER"))
	calls = e.fake.WaitFor("stranger's home", 5*time.Second, func(c []apiCall) bool { return len(filter(c, "views.publish")) == 3 })
	if v := filter(calls, "views.publish")[2].Form.Get("view"); !strings.Contains(v, "slack:USTRANGER") || strings.Contains(v, "Acme") {
		t.Errorf("stranger's home: %s", v)
	}
}

// A reminder whose time has come rings in the person's Slack DM.
func TestReminderRingsInSlack(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	e.post("/slack/events", "application/json", dmEvent("Ev1", headUser, "client add Acme"))
	e.fake.WaitMessage("Acme")
	// The handlers' clock stands at 10:00.
	e.post("/slack/events", "application/json", dmEvent("Ev2", headUser, "remind acme: call back by today 10:00"))
	e.fake.WaitMessage("2026-03-02 10:00")
	e.svc.RunJobs(context.Background())
	c := e.fake.WaitMessage("Reminder")
	if c.Form.Get("channel") != "D"+headUser || !strings.Contains(c.Text(), "T-1 · Acme: call back") || !strings.Contains(c.Blocks(), "/task done T-1") {
		t.Errorf("reminder %s to %s: %s", c.Text(), c.Form.Get("channel"), c.Blocks())
	}
}

func filter(calls []apiCall, method string) []apiCall {
	var out []apiCall
	for _, c := range calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// "/crm link CODE" from a Slack account nobody knows joins it to the person
// who asked for the code (here from their other Slack account; the
// handlers' tests join Telegram, Slack and console identities).
func TestLinkFromSlackCommand(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	e.post("/slack/events", "application/json", dmEvent("Ev1", headUser, "client add Acme"))
	e.fake.WaitMessage("Acme")
	e.post("/slack/events", "application/json", dmEvent("Ev2", headUser, "link"))
	c := e.fake.WaitMessage("link code")
	code := ""
	for _, w := range strings.Fields(c.Text()) {
		if strings.HasPrefix(w, "code:") {
			continue
		}
		if len(w) == 8 && strings.ToUpper(w) == w {
			code = w
			break
		}
	}
	if code == "" {
		t.Fatalf("no code in %q", c.Text())
	}
	e.command("UOTHER", "C1", "clients", "TRL0")
	e.fake.WaitMessage("slack:UOTHER")
	e.command("UOTHER", "C1", "link "+code, "TRL1")
	e.fake.WaitMessage("Linked: slack:UOTHER")
	acme := func(calls []apiCall) int {
		n := 0
		for _, c := range calls {
			if strings.Contains(c.Text(), "Acme") {
				n++
			}
		}
		return n
	}
	before := acme(e.fake.Snapshot())
	e.command("UOTHER", "C1", "clients", "TRL2")
	e.fake.WaitFor("the linked account's clients", 5*time.Second, func(c []apiCall) bool { return acme(c) > before })
}
