package handlers

import (
	"strings"
	"testing"

	"accountbot/i18n"
	"accountbot/store"
	"accountbot/store/storetest"
)

func TestCommandsForMenus(t *testing.T) {
	st := storetest.OpenWith(t, store.Options{InMemory: true})
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, cat)
	for _, lang := range []string{"en", "bg"} {
		cmds := s.Commands(lang)
		if len(cmds) != len(s.specs) {
			t.Fatalf("%s: %d commands, want %d", lang, len(cmds), len(s.specs))
		}
		byName := map[string]string{}
		for _, c := range cmds {
			byName[c.Name] = c.Description
			if c.Description == "" || strings.HasPrefix(c.Description, "help.") {
				t.Errorf("%s: /%s has no description: %q", lang, c.Name, c.Description)
			}
		}
		if want := cat.For(lang).T("help.log.desc"); byName["log"] != want {
			t.Errorf("%s: /log described as %q, want %q", lang, byName["log"], want)
		}
	}
	if s.Commands("bg")[0].Description == s.Commands("en")[0].Description {
		t.Error("the Bulgarian menu is in English")
	}
}

// TestCommandNamesDoNotCollide fails when two commands claim one name or
// alias: the router would silently give it to the first.
func TestCommandNamesDoNotCollide(t *testing.T) {
	s := New(nil, nil)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}
