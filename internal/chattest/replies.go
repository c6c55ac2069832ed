package chattest

import (
	"strings"
	"testing"

	"accountbot/bot"
)

// Render writes replies as a person reads them, each button as
// "[label → command]" on its row.
func Render(rec *bot.Recorder) string {
	var b strings.Builder
	for _, r := range rec.Replies {
		b.WriteString(r.PlainText() + "\n")
		for _, row := range r.Buttons {
			var cells []string
			for _, btn := range row {
				cells = append(cells, "["+btn.Label+" → "+btn.Data+"]")
			}
			b.WriteString(strings.Join(cells, " ") + "\n")
		}
	}
	return b.String()
}

// Buttons returns every button of the replies, row after row.
func Buttons(rec *bot.Recorder) []bot.Button {
	var out []bot.Button
	for _, r := range rec.Replies {
		for _, row := range r.Buttons {
			out = append(out, row...)
		}
	}
	return out
}

// HasButton reports whether any reply offers a button that sends data.
func HasButton(rec *bot.Recorder, data string) bool {
	for _, b := range Buttons(rec) {
		if b.Data == data {
			return true
		}
	}
	return false
}

// Want marks the test failed (and goes on) for every want that got lacks.
func Want(t testing.TB, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("reply lacks %q:\n%s", w, got)
		}
	}
}

// WantNot marks the test failed (and goes on) for every word of bad in
// got.
func WantNot(t testing.TB, got string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(got, b) {
			t.Errorf("reply has %q:\n%s", b, got)
		}
	}
}
