package handlers_test

import (
	"strings"
	"testing"

	"accountbot/bot"
)

// TestHelpIsAPageOfFamilies: on a phone /help is short — one line and one
// button a family — and each button opens one family's page, which edits
// the page in place and leads back.
func TestHelpIsAPageOfFamilies(t *testing.T) {
	e := newEnv(t)
	e.team()
	rec := e.send("console:maria", "/help")
	if len(rec.Replies) != 1 {
		t.Fatalf("replies: %+v", rec.Replies)
	}
	page := rec.Replies[0]
	// Two lines a family: its name and what it is for, then its commands.
	if n := strings.Count(page.Text, "\n"); n > 30 || len(page.Text) > 1600 {
		t.Errorf("first help page is %d lines, %d bytes:\n%s", n, len(page.Text), page.Text)
	}
	// The first page already names what the caller may do, and only that.
	for _, c := range []string{"/log ", "/deal ", "/claim "} {
		if !strings.Contains(page.Text+" ", c) {
			t.Errorf("first help page does not name %s:\n%s", c, page.Text)
		}
	}
	if strings.Contains(page.Text, "/appoint") {
		t.Errorf("a manager's first help page names /appoint:\n%s", page.Text)
	}
	var buttons []bot.Button
	for _, row := range page.Buttons {
		buttons = append(buttons, row...)
	}
	if len(buttons) < 5 {
		t.Fatalf("help has %d family buttons", len(buttons))
	}
	seen := map[string]bool{}
	for _, b := range buttons {
		got := e.pressButton("console:maria", b)
		if len(got.Replies) != 1 || !got.Replies[0].Edit || got.Replies[0].Title != b.Label {
			t.Fatalf("pressing %q: %+v", b.Label, got.Replies)
		}
		for _, l := range strings.Split(got.Replies[0].Text, "\n") {
			if strings.HasPrefix(l, "/") {
				seen[strings.Fields(l)[0]] = true
			}
		}
		if back := got.Replies[0].Buttons; len(back) != 1 || back[0][0].Data != "/help" {
			t.Errorf("%q page has no way back: %+v", b.Label, back)
		}
	}
	// Every command a manager may use is on some page; head-only ones on none.
	for _, c := range []string{"/log", "/deal", "/claim", "/plan", "/followup", "/export", "/lang", "/help"} {
		if !seen[c] {
			t.Errorf("no family page lists %s", c)
		}
	}
	if seen["/appoint"] {
		t.Error("a manager's help lists /appoint")
	}
	// A command beyond the role is explained, and says so.
	e.must("console:maria", "/help appoint", "/appoint", "not available for your role")
	// In Bulgarian, with any alias.
	e.must("console:maria", "/lang bg")
	e.must("console:maria", "/помощ", "Клиенти", "Сделки")
	e.must("console:maria", "/помощ лог", "/запиши", "Също:")
}

// TestSlackChannelHelpShowsWhatWorksThere: asked in a Slack channel, help
// leaves out what needs a direct chat (a file import) and says how answers
// show there.
func TestSlackChannelHelpShowsWhatWorksThere(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/appoint slack:U1 manager Sam")
	say := func(private bool, text string) string {
		rec := &bot.Recorder{}
		m := &bot.Message{Platform: bot.Slack, ChatID: "C1", Identity: "slack:U1", Text: text, Private: private}
		if err := e.svc.ServeChat(t.Context(), rec, m); err != nil {
			t.Fatal(err)
		}
		return rec.Text()
	}
	if got := say(false, "/help #data"); strings.Contains(got, "/import") || !strings.Contains(got, "/export") {
		t.Errorf("channel help for data: %s", got)
	}
	if got := say(false, "/help"); !strings.Contains(got, "share") {
		t.Errorf("channel help does not say how answers show: %s", got)
	}
	if got := say(true, "/help #data"); !strings.Contains(got, "/import") {
		t.Errorf("direct-message help lacks /import: %s", got)
	}
}
