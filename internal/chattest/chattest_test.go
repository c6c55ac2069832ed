package chattest

import (
	"context"
	"errors"
	"testing"

	"accountbot/bot"
)

func TestNotifierFailsAndRecords(t *testing.T) {
	ctx := context.Background()
	var n Notifier
	n.Fail("a", 1)
	n.Away("b", true)
	steps := []struct {
		to   string
		want error
	}{
		{"a", ErrRefused}, {"a", nil}, {"b", bot.ErrNotRunning}, {"c", nil},
	}
	for i, s := range steps {
		if err := n.Notify(ctx, s.to, bot.Reply{Text: s.to}); !errors.Is(err, s.want) {
			t.Errorf("delivery %d to %s: %v, want %v", i, s.to, err, s.want)
		}
	}
	if got := len(n.All()); got != 2 {
		t.Errorf("%d notes recorded, want 2", got)
	}
	if r := n.Replies("a"); len(r) != 1 || r[0].Text != "a" {
		t.Errorf("replies to a: %v", r)
	}
	n.FailAll(true)
	if err := n.Notify(ctx, "c", bot.Reply{}); !errors.Is(err, ErrRefused) {
		t.Errorf("with FailAll: %v", err)
	}
}

func TestIdentityAndRender(t *testing.T) {
	for in, want := range map[string]string{"Maria": "console:maria", "telegram:1": "telegram:1"} {
		if got := Identity(in); got != want {
			t.Errorf("Identity(%q) = %q, want %q", in, got, want)
		}
	}
	rec := &bot.Recorder{Replies: []bot.Reply{{Text: "hi", Buttons: [][]bot.Button{{{Label: "Yes", Data: "/yes"}, {Label: "No", Data: "/no"}}}}}}
	if got, want := Render(rec), "hi\n[Yes → /yes] [No → /no]\n"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	if !HasButton(rec, "/no") || HasButton(rec, "/maybe") {
		t.Error("HasButton")
	}
}
