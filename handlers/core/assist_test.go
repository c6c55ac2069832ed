package core

import (
	"strings"
	"testing"
)

func TestSplitText(t *testing.T) {
	if got := SplitText("short", 10); len(got) != 1 || got[0] != "short" {
		t.Errorf("%q", got)
	}
	got := SplitText("aaaa bbbb cccc dddd", 10)
	for _, p := range got {
		if len([]rune(p)) > 10 || strings.HasPrefix(p, " ") {
			t.Errorf("bad part %q of %q", p, got)
		}
	}
	if strings.Join(got, " ") != "aaaa bbbb cccc dddd" {
		t.Errorf("lost text: %q", got)
	}
	// A word longer than the limit is cut between runes, never inside one.
	got = SplitText(strings.Repeat("ж", 25), 10)
	if len(got) != 3 || got[2] != strings.Repeat("ж", 5) {
		t.Errorf("%q", got)
	}
}
