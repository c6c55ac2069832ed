package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
)

func TestUnknownPersonSeesNothing(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Acme city=Sofia", "Saved")
	for _, id := range []string{"telegram:123456", "slack:U0123", "console:ivan"} {
		got := e.must(id, "/client Acme", id)
		if strings.Contains(got, "Sofia") || strings.Contains(got, "Acme") {
			t.Errorf("%s saw data: %q", id, got)
		}
		e.must(id, "/help", id)
	}
}

func TestClientAddShowEditHistory(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", `/client add "Acme Ltd" city=Sofia segment=retail phone=+359888123456 tier=gold`, "Saved", "Acme Ltd")
	e.must("console:admin", "/client acme", "Acme Ltd", "Sofia", "retail", "+359888123456", "tier: gold", "never")
	e.must("console:admin", "/client edit Acme city=Plovdiv", "Saved", "City: Sofia → Plovdiv")
	e.must("console:admin", "/client Acme history", "created", "City: Sofia → Plovdiv", "admin")
	// Duplicate names are refused, whatever the script.
	e.must("console:admin", `/client add "ACME ltd"`, "already exists")
	// Bad input: a clear line with an example, nothing stored.
	e.must("console:admin", "/client add", "Usage: /client add")
	e.must("console:admin", "/client edit Acme email=notanemail", "not an e-mail")
	e.mustNot("console:admin", "/client Acme", "notanemail")
}

func TestTransliteratedLookup(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Acme", "Saved")
	e.must("console:admin", "/client add Петров", "Saved")
	e.must("console:admin", "/client Акме", "Acme")
	e.must("console:admin", "/client petrov", "Петров")
	e.must("console:admin", "/client ПЕТ", "Петров")
}

func TestAmbiguousNameOffersChoice(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Alpha One city=Sofia", "Saved")
	e.must("console:admin", "/client add Alpha Two city=Varna", "Saved")
	rec := e.send("console:admin", "/log alpha: called")
	if len(rec.Replies) != 1 || len(rec.Replies[0].Buttons) != 2 {
		t.Fatalf("want one reply with two choices, got %+v", rec.Replies)
	}
	if strings.Contains(rec.Text(), "Saved") {
		t.Fatal("an ambiguous name was guessed")
	}
	// Pressing the second choice logs to Alpha Two only.
	pick := rec.Replies[0].Buttons[1][0]
	if !strings.Contains(pick.Label, "Alpha Two") {
		t.Fatalf("second choice is %q", pick.Label)
	}
	// The answer replaces the question in place (Edit), once.
	ans := e.pressButton("console:admin", pick)
	if len(ans.Replies) != 1 || !ans.Replies[0].Edit || !strings.Contains(ans.Text(), "Saved: conversation with Alpha Two") {
		t.Fatalf("pressing a choice: %+v", ans.Replies)
	}
	e.must("console:admin", "/client Alpha Two", "called")
	e.mustNot("console:admin", "/client Alpha One", "called")
	// An exact name wins over longer names it prefixes.
	e.must("console:admin", "/client add Alpha", "Saved")
	if rec := e.send("console:admin", "/client alpha"); rec.Replies[0].Title != "Alpha" {
		t.Fatalf("exact name lost to a longer one: %q", rec.Text())
	}
}

func TestLogNextStepAndToday(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Acme", "Saved")
	// Thursday: "friday" is tomorrow.
	e.must("console:admin", "/log Acme: called Ivan about prices #call next: send the offer by friday", "Saved", "send the offer — 2026-11-27", "T-1")
	e.must("console:admin", "/client Acme", "#call called Ivan about prices", "Next step: send the offer — 2026-11-27", "Last touch: 2026-11-26")
	e.must("console:admin", "/today", "Nothing overdue")
	e.must("console:admin", "/remind Acme: check the contract by today", "T-2", "2026-11-26")
	got := e.must("console:admin", "/today", "T-2", "check the contract")
	if strings.Contains(got, "T-1") {
		t.Fatalf("tomorrow's step shown today: %q", got)
	}
	// Two days later both are overdue, soonest first.
	e.clock.Add(48 * time.Hour)
	got = e.must("console:admin", "/today", "overdue since 2026-11-26", "overdue since 2026-11-27")
	if strings.Index(got, "T-2") > strings.Index(got, "T-1") {
		t.Fatalf("not soonest first: %q", got)
	}
	e.must("console:admin", "/task done T-2", "Done: T-2")
	e.must("console:admin", "/task tomorrow T-1", "T-1 moved to 2026-11-29")
	e.must("console:admin", "/today", "Nothing overdue")
	e.must("console:admin", "/client Acme", "send the offer — 2026-11-29")
}

func TestTodayButtons(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Acme", "Saved")
	e.must("console:admin", "/remind Acme: call back by today", "T-1")
	rec := e.send("console:admin", "/today")
	if len(rec.Replies) != 1 || len(rec.Replies[0].Buttons) != 1 || len(rec.Replies[0].Buttons[0]) != 2 {
		t.Fatalf("want done and tomorrow buttons, got %+v", rec.Replies)
	}
	e.must("console:admin", rec.Replies[0].Buttons[0][0].Data, "Done: T-1")
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Acme", "Saved")
	tests := []struct{ in, want string }{
		{"/log", "Usage: /log"},
		{"/log Acme:", "Usage: /log"},
		{"/log Acme: hi next: call", "next step with a date"},
		{"/log Acme: hi next: call by someday", `"someday" is not a date`},
		{"/remind Acme: call", "Usage: /remind"},
		{"/log Nobody: hi", `No client of yours matches "Nobody"`},
		{"/clinet Acme", "Did you mean /client"},
		{"/task done X-1", "Usage: /task"},
		{"/task done T-99", "No task T-99"},
		{"hello", "Commands start with /"},
		{"/appoint bob manager", "Usage: /appoint"},
		{"/lang fr", "Usage: /lang"},
	}
	for _, tt := range tests {
		e.must("console:admin", tt.in, tt.want)
	}
	e.mustNot("console:admin", "/client Acme", "Last touch: 2026")
	huge := "/log Acme: " + strings.Repeat("x", 1<<20)
	e.must("console:admin", huge, "too long")
	e.must("console:admin", "/client Acme", "Last touch: never")
}

func TestVisibilityAndRoles(t *testing.T) {
	e := newEnv(t)
	e.team()
	e.must("console:maria", "/client add Maria Co", "Saved")
	e.must("console:ivan", "/client add Ivan Co", "Saved")
	// A manager sees only their own clients.
	e.must("console:maria", "/client Ivan Co", "No client of yours")
	e.must("console:maria", "/clients", "Maria Co")
	e.mustNot("console:maria", "/clients", "Ivan Co")
	e.must("console:maria", "/clients team", "Only supervisors")
	// The supervisor sees their report's clients, not others'.
	e.must("console:sam", "/client Maria Co", "Maria Petrova")
	e.must("console:sam", "/client Ivan Co", "No client of yours")
	e.must("console:sam", "/clients", "Maria Co")
	// The head sees all.
	e.must("console:admin", "/clients", "Maria Co", "Ivan Co")
	// Only a head appoints and dismisses.
	e.must("console:sam", "/appoint console:x manager", "not available for your role")
	e.must("console:maria", "/dismiss @Ivan", "not available for your role")
	e.must("console:maria", "/invite manager", "not available for your role")
	// Nobody changes what they may not.
	e.must("console:maria", "/log Ivan: hi", "No client of yours")
}

func TestStaleClients(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Old Co", "Saved")
	e.must("console:admin", "/client add Busy Co", "Saved")
	e.clock.Add(25 * 24 * time.Hour)
	e.must("console:admin", "/log Busy: visit", "Saved")
	e.clock.Add(10 * 24 * time.Hour)
	got := e.must("console:admin", "/clients stale", "Old Co")
	if strings.Contains(got, "Busy Co") {
		t.Fatalf("recently touched client listed stale: %q", got)
	}
	// 90 days without review makes even a touched client stale.
	e.clock.Add(60 * 24 * time.Hour)
	e.must("console:admin", "/log Busy: call", "Saved")
	e.must("console:admin", "/clients stale", "Busy Co")
	e.must("console:admin", "/client Busy ok", "confirmed current")
	e.mustNot("console:admin", "/clients stale", "Busy Co")
}

func TestBulgarian(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/lang bg", "български")
	e.must("console:admin", "/клиент добави Акме град=София", "Записано")
	e.must("console:admin", "/запиши акме: обаждане #обаждане next: оферта до утре", "Записано", "27.11.2026")
	e.must("console:admin", "/клиент акме", "Град: София", "#обаждане")
	e.must("console:admin", "/nosuch", "Не познавам")
}

func TestDuplicateDeliveryWritesOnce(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Acme", "Saved")
	ctx := crm.WithDeliveryKey(context.Background(), "telegram/update/42")
	for i := 0; i < 2; i++ {
		rec := &bot.Recorder{}
		m := &bot.Message{Platform: "console", Identity: "console:admin", Text: "/log Acme: once", Private: true}
		// A redelivery carries the same key in a new context.
		if err := e.svc.ServeChat(crm.WithDeliveryKey(context.Background(), "telegram/update/42"), rec, m); err != nil {
			t.Fatal(err)
		}
		if i == 1 && len(rec.Replies) != 0 {
			t.Fatalf("redelivery answered: %q", rec.Text())
		}
	}
	_ = ctx
	convs, err := e.st.Conversations(context.Background(), 1, 0)
	if err != nil || len(convs) != 1 {
		t.Fatalf("conversations: %d, %v", len(convs), err)
	}
}

func TestHelpShowsRoleCommands(t *testing.T) {
	e := newEnv(t)
	e.team()
	// The first page is the families; a family's page has the commands.
	e.must("console:admin", "/help", "Team", "Clients")
	e.must("console:admin", "/help #team", "/appoint", "/dismiss")
	mgr := e.must("console:maria", "/help #team", "/team")
	if strings.Contains(mgr, "/appoint") || strings.Contains(mgr, "/invite") {
		t.Fatalf("manager help lists head commands: %q", mgr)
	}
	e.must("console:maria", "/help #clients", "/log", "/today")
	e.must("console:maria", "/help log", "/log Acme:", "Also: /запиши")
}

// TestLookalikeAndHiddenCharacters: look-alike client names (another
// script's letters, bidi overrides, zero-width characters) do not make a
// second client that displays like the first; NUL and control characters
// are not stored; /client add tells a manager only that a client of that
// name exists, not whose or how it is spelt.
func TestLookalikeAndHiddenCharacters(t *testing.T) {
	e := newEnv(t)
	e.team()
	e.must("console:maria", "/client add Acme Pumps", "Saved")
	for _, name := range []string{"acme pumps", "Ac\u200bme Pumps", "Acme\u202e Pumps", "\u202dAcme Pumps\u202c", "Acme\u2060 Pumps"} {
		out := e.must("console:ivan", "/client add "+name, "already exists (not one of yours)")
		if strings.Contains(out, "Acme") {
			t.Errorf("%q: the reply shows the other manager's client: %s", name, out)
		}
	}
	for _, name := range []string{"\u0391cme Pumps", "\u0410\u0441\u043c\u0435 Pumps"} { // Greek Alpha; Cyrillic а, с, м, е
		out := e.must("console:ivan", "/client add "+name, "looks the same")
		if strings.Contains(out, "Acme") {
			t.Errorf("%q: the reply shows the other manager's client: %s", name, out)
		}
		e.must("console:admin", "/client add "+name, "“Acme Pumps” already exists")
	}
	e.must("console:ivan", "/client add Beta\x00Corp\x07 city=So\x00fia", "Saved")
	out := e.must("console:ivan", "/client BetaCorp", "Sofia")
	if strings.ContainsAny(out, "\x00\x07") {
		t.Errorf("a control character was stored: %q", out)
	}
	// A composed and a decomposed spelling are one name (NFC).
	e.must("console:ivan", "/client add Cafe\u0301 Noir", "Saved")
	e.must("console:ivan", "/client add Caf\u00e9 Noir", "already exists")
	e.mustNot("console:admin", "/clients", "\u0391cme", "\u0410\u0441\u043c\u0435")
}

// TestFieldPickerShowsOnlyVisibleValues: "/client edit NAME need=" offers
// the values of clients the sender may see, not other managers' text.
func TestFieldPickerShowsOnlyVisibleValues(t *testing.T) {
	e := newEnv(t)
	e.team()
	e.must("console:ivan", `/client add Ivan Co need="SECRET-IVAN-NEED"`, "Saved")
	e.must("console:maria", `/client add Maria Co need="pumps"`, "Saved")
	e.must("console:maria", `/client add Maria Two`, "Saved")
	rec := e.send("console:maria", "/client edit Maria Two need=")
	var all []string
	for _, row := range rec.Replies[0].Buttons {
		for _, b := range row {
			all = append(all, b.Label+" "+b.Data)
		}
	}
	got := strings.Join(all, "|") + rec.Text()
	if strings.Contains(got, "SECRET-IVAN-NEED") {
		t.Errorf("the picker shows another manager's value: %s", got)
	}
	if !strings.Contains(got, "pumps") {
		t.Errorf("the picker lacks her own value: %s", got)
	}
}
