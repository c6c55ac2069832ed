package handlers

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

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
	s, err := New(st, cat)
	if err != nil {
		t.Fatal(err)
	}
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
// alias (the router would silently give it to the first), or a typed word
// means two things at one place: New refuses both.
func TestCommandNamesDoNotCollide(t *testing.T) {
	s, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, sp := range s.specs {
		for _, n := range append([]string{sp.name}, sp.aliases...) {
			if o, ok := seen[strings.ToLower(n)]; ok {
				t.Errorf("/%s is both /%s and /%s", n, o, sp.name)
			}
			seen[strings.ToLower(n)] = sp.name
		}
	}
	if len(seen) < 2*len(s.specs) {
		t.Errorf("%d names for %d commands: some command has no alias", len(seen), len(s.specs))
	}
}

// TestNewRefusesBadWords changes one translation file at a time and
// expects New to refuse to start, naming the mistake.
func TestNewRefusesBadWords(t *testing.T) {
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		{"an alias two commands claim", "bg/deals.toml", `"words.cmd.deals" = "сделки"`, `"words.cmd.deals" = "сделки, сделка"`, "сделка"},
		{"a Bulgarian word that is another command's name", "bg/deals.toml", `"words.cmd.forecast" = "прогноза"`, `"words.cmd.forecast" = "прогноза, deals"`, "deals"},
		{"a command without Bulgarian words", "bg/deals.toml", `"words.cmd.forecast" = "прогноза"`, ``, "/forecast has no bg words"},
		{"a sub-command word with two meanings", "bg/clients.toml", `"words.client.reassign" = "прехвърли"`, `"words.client.reassign" = "прехвърли, нов"`, "нов"},
		{"a sub-command word missing", "en/data.toml", `"words.client.forget" = "forget"`, ``, "words.client.forget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := catalogWith(t, tc.file, tc.old, tc.new)
			_, err := New(nil, cat)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// catalogWith loads the translation files with one line of one file
// replaced.
func catalogWith(t *testing.T, file, old, new string) *i18n.Catalog {
	t.Helper()
	fsys := fstest.MapFS{}
	root := filepath.Join("..", "i18n")
	err := filepath.WalkDir(filepath.Join(root, "locales"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		buf, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "locales/"+file {
			if !bytes.Contains(buf, []byte(old)) {
				t.Fatalf("%s has no %s", file, old)
			}
			buf = bytes.Replace(buf, []byte(old), []byte(new), 1)
		}
		fsys[rel] = &fstest.MapFile{Data: buf}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
