package clients_test

import (
	"fmt"
	"strings"
	"testing"

	"accountbot/bot"
)

// TestListsPage: a list that stops at "… and N more" has a More button
// that shows the next page in place, and a Back button from there.
func TestListsPage(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 35; i++ {
		e.must("console:admin", fmt.Sprintf("/client add \"Client %02d\"", i), "Saved")
	}
	first := e.send("console:admin", "/clients")
	text := first.Text()
	if !strings.Contains(text, "Client 30") || strings.Contains(text, "Client 31") || !strings.Contains(text, "… and 5 more") {
		t.Fatalf("first page:\n%s", text)
	}
	more := lastButton(t, first)
	if !strings.HasPrefix(more.Label, "More (5)") {
		t.Fatalf("more button %+v", more)
	}
	second := e.pressButton("console:admin", more)
	got := second.Text()
	if len(second.Replies) != 1 || !second.Replies[0].Edit || !strings.Contains(got, "Client 31") || !strings.Contains(got, "Client 35") || strings.Contains(got, "Client 30") || strings.Contains(got, "more") {
		t.Fatalf("second page (edit %v):\n%s", second.Replies[0].Edit, got)
	}
	back := lastButton(t, second)
	if !strings.Contains(back.Label, "Back") {
		t.Fatalf("no Back on the last page: %+v", second.Replies[0].Buttons)
	}
	if again := e.pressButton("console:admin", back).Text(); !strings.Contains(again, "Client 01") {
		t.Errorf("Back:\n%s", again)
	}
	// Typed, the page word works too, and in Bulgarian.
	e.must("console:admin", "/lang bg")
	e.must("console:admin", "/клиенти стр=30", "Client 31")
	if b := lastButton(t, e.send("console:admin", "/клиенти")); !strings.HasPrefix(b.Label, "Още (5)") {
		t.Errorf("bg more button %+v", b)
	}
}

func lastButton(t *testing.T, rec *bot.Recorder) bot.Button {
	t.Helper()
	if len(rec.Replies) == 0 {
		t.Fatal("no reply")
	}
	rows := rec.Replies[len(rec.Replies)-1].Buttons
	if len(rows) == 0 {
		t.Fatalf("no buttons: %q", rec.Text())
	}
	row := rows[len(rows)-1]
	return row[len(row)-1]
}
