package clients_test

import (
	"strings"
	"testing"

	"accountbot/bot"
)

// TestLogATalkDialog: the card's Log a talk button asks for the talk, then
// the next step, one message each, and logs them; the state is in the
// store, so a new service over the same store carries the dialog on.
func TestLogATalkDialog(t *testing.T) {
	e := newEnv(t)
	card := e.send("console:admin", `/client add "Acme Ltd" city=Sofia`)
	var logButton bot.Button
	for _, row := range card.Replies[0].Buttons {
		for _, b := range row {
			if b.Data == "/log #1" {
				logButton = b
			}
		}
	}
	if logButton.Data == "" {
		t.Fatalf("no Log a talk button under the saved client: %+v", card.Replies[0].Buttons)
	}
	if got := e.pressButton("console:admin", logButton).Text(); !strings.Contains(got, "what was said") {
		t.Fatalf("pressing Log a talk: %q", got)
	}
	e.must("console:admin", "Talked about the new pumps, they want a demo", "next step")
	// A step without a date is asked again, nothing logged yet.
	e.must("console:admin", "send the offer", "date")
	e.mustNot("console:admin", "/client Acme", "new pumps")
	e.must("console:admin", "send the offer friday", "Saved: conversation with Acme Ltd", "send the offer", "2026-11-27")
	e.must("console:admin", "/client Acme", "new pumps")
	// Over: plain text is no longer taken as a talk.
	e.mustNot("console:admin", "random words", "Saved: conversation")

	// Without a next step, in Bulgarian, across a restart of the service.
	e.must("console:admin", "/език bg")
	e.must("console:admin", "/запиши Акме", "какво си казахте")
	e2 := e.restart()
	e2.must("console:admin", "Обадих се за фактурата", "следващата стъпка")
	rec := e2.send("console:admin", "-")
	if got := rec.Text(); !strings.Contains(got, "Записано: разговор с Acme Ltd") || strings.Contains(got, "Следваща стъпка") {
		t.Fatalf("no-step answer: %q", got)
	}
	// Cancel.
	e2.must("console:admin", "/запиши Акме", "какво си казахте")
	e2.must("console:admin", "/запиши стоп", "Нищо не е записано")
	e2.mustNot("console:admin", "още думи", "Записано: разговор")
}
