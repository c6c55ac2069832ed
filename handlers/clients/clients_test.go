package clients_test

import (
	"strings"
	"testing"
	"time"
)

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
