package telegram

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/dates"
)

// adapterNotifier hands the service's notifications to the adapter made
// after the service.
type adapterNotifier struct{ a *Adapter }

func (n *adapterNotifier) Notify(ctx context.Context, identity string, r bot.Reply) error {
	return n.a.Notify(ctx, identity, r)
}

// replyKeyboard reads a call's persistent reply keyboard.
func replyKeyboard(c apiCall) (rows [][]string, persistent bool) {
	var mk struct {
		Keyboard [][]struct {
			Text string `json:"text"`
		} `json:"keyboard"`
		IsPersistent bool `json:"is_persistent"`
	}
	_ = json.Unmarshal([]byte(c.Params["reply_markup"]), &mk)
	for _, row := range mk.Keyboard {
		var r []string
		for _, b := range row {
			r = append(r, b.Text)
		}
		rows = append(rows, r)
	}
	return rows, mk.IsPersistent
}

func TestHomeKeyboardAndRoleMenus(t *testing.T) {
	e := newTelegramEnv(t)
	e.api.WaitFor(t, 5*time.Second, "default menus", func() bool { return len(e.api.Calls("setMyCommands")) == 3 })
	// The default menu is what everyone may use: no head-only command.
	for _, c := range e.api.Calls("setMyCommands") {
		if strings.Contains(c.Params["commands"], `"command":"appoint"`) || !strings.Contains(c.Params["commands"], `"command":"today"`) {
			t.Errorf("default menu %s", c.Params["commands"])
		}
	}
	got := e.say(head, "/start")
	rows, persistent := replyKeyboard(got[len(got)-1])
	if len(rows) != 2 || rows[0][0] != "📅 Today" || rows[1][1] != "⚠️ Claims" || !persistent {
		t.Fatalf("home keyboard %v persistent=%v: %s", rows, persistent, got[len(got)-1].Params["reply_markup"])
	}
	// The head's own chat gets the head's menu.
	e.api.WaitFor(t, 5*time.Second, "the chat's menu", func() bool { return len(e.api.Calls("setMyCommands")) == 4 })
	chat := e.api.Calls("setMyCommands")[3]
	if !strings.Contains(chat.Params["scope"], `"type":"chat"`) || !strings.Contains(chat.Params["scope"], "100") || !strings.Contains(chat.Params["commands"], `"command":"appoint"`) {
		t.Errorf("chat menu: scope %s commands %s", chat.Params["scope"], chat.Params["commands"])
	}
	// Pressing a home button sends its label: it runs the command.
	mustContain(t, text(e.say(head, "📅 Today")), "Nothing overdue or due today")
	mustContain(t, text(e.say(head, "👥 Clients")), "0 clients")
}

// A reminder set for 10:00 rings at 10:00 in Telegram, with its buttons.
func TestReminderRingsInTelegram(t *testing.T) {
	clock := dates.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := newTelegramEnv(t, func(c *envConfig) { c.clock = clock })
	e.say(head, "/client add Acme")
	mustContain(t, text(e.say(head, "/remind acme: call back by today 10:00")), "2026-03-02 10:00")
	before := len(e.api.Sent(head.ID))
	clock.Set(time.Date(2026, 3, 2, 9, 59, 0, 0, time.UTC))
	e.svc.RunJobs(context.Background())
	if got := text(e.api.Sent(head.ID)[before:]); strings.Contains(got, "Reminder") {
		t.Fatalf("rang before 10:00: %s", got)
	}
	clock.Set(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	e.svc.RunJobs(context.Background())
	sent := e.api.Sent(head.ID)[before:]
	var ring *apiCall
	for i := range sent {
		if strings.Contains(sent[i].Params["text"], "Reminder") {
			ring = &sent[i]
		}
	}
	if ring == nil {
		t.Fatalf("no reminder sent: %s", text(sent))
	}
	mustContain(t, visible(ring.Params["text"]), "T-1 · Acme: call back")
	kb := keyboard(*ring)
	if len(kb) == 0 || kb[0][0].CallbackData != "/task done T-1" || kb[0][1].CallbackData != "/task later T-1" {
		t.Errorf("reminder buttons %+v", kb)
	}
}
