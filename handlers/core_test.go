package handlers_test

import (
	"context"
	"strings"
	"testing"

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
// TestFieldPickerShowsOnlyVisibleValues: "/client edit NAME need=" offers
// the values of clients the sender may see, not other managers' text.
