package i18n

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// Every key must exist in every language, with the same placeholders, so
// that no person ever sees a raw key or a half-filled sentence.
func TestEveryKeyHasEveryTranslation(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys("en")) == 0 {
		t.Fatal("no English messages loaded")
	}
	for _, a := range Languages {
		for _, b := range Languages {
			for _, k := range c.Keys(a) {
				if !c.Has(b, k) {
					t.Errorf("key %q is in %s but has no %s translation", k, a, b)
				}
			}
		}
	}
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)`)

func TestPlaceholdersMatchAcrossLanguages(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.Keys("en") {
		if !c.Has("bg", k) {
			continue
		}
		en := names(raw(t, c, "en", k))
		bg := names(raw(t, c, "bg", k))
		for n := range en {
			if !bg[n] {
				t.Errorf("%s: bg lacks {{.%s}}", k, n)
			}
		}
		for n := range bg {
			if !en[n] {
				t.Errorf("%s: en lacks {{.%s}}", k, n)
			}
		}
	}
}

func raw(t *testing.T, c *Catalog, lang, key string) string {
	t.Helper()
	return c.Raw(lang, key)
}

func names(s string) map[string]bool {
	out := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out[m[1]] = true
	}
	return out
}

func TestLang(t *testing.T) {
	for in, want := range map[string]string{"bg": "bg", "bg-BG": "bg", "en_US": "en", "EN": "en", "de": "", "": ""} {
		if got := Lang(in); got != want {
			t.Errorf("Lang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFallbackToKey(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.For("bg").T("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key gave %q", got)
	}
}

// TestWordsDoNotCollide fails when one typed form means two things at one
// place of a command: vocabulary keys that share their parent
// ("words.deal.add" and "words.deal.move") are alternatives, and a form of
// one of them in any language must not be a form of another in any
// language, since people type either language.
func TestWordsDoNotCollide(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WordKeys("en")) == 0 {
		t.Fatal("no vocabulary loaded")
	}
	if msg := Collisions(c); len(msg) > 0 {
		for _, m := range msg {
			t.Error(m)
		}
	}
}

func TestCollisionsFindsASharedForm(t *testing.T) {
	c := loadTOML(t, map[string]string{
		"en": "\"words.x.a\" = \"go, run\"\n\"words.x.b\" = \"stop\"\n\"words.y.a\" = \"stop\"\n\"words.list.a\" = \"go\"\n\"words.list.b\" = \"go\"\n",
		"bg": "\"words.x.a\" = \"тръгни\"\n\"words.x.b\" = \"спри, Тръгни\"\n\"words.y.a\" = \"спри\"\n\"words.list.a\" = \"тръгни\"\n\"words.list.b\" = \"тръгни\"\n",
	})
	got := Collisions(c)
	if len(got) != 1 || !strings.Contains(got[0], "тръгни") {
		t.Errorf("collisions = %q, want one about тръгни", got)
	}
}

func TestWords(t *testing.T) {
	c := loadTOML(t, map[string]string{
		"en": "\"words.x.a\" = \"Go, run ,, this month\"\n\"x.b\" = \"not words, really\"\n",
		"bg": "\"words.x.a\" = \"тръгни, go\"\n\"x.b\" = \"не\"\n",
	})
	if got, want := strings.Join(c.Words("words.x.a"), "|"), "go|run|this month|тръгни"; got != want {
		t.Errorf("Words = %q, want %q", got, want)
	}
	if got := strings.Join(c.WordsIn("bg", "words.x.a"), "|"); got != "тръгни|go" {
		t.Errorf("WordsIn(bg) = %q", got)
	}
	for _, w := range []string{"GO", "тръгни", "Тръгни", "this month"} {
		if !c.IsWord("words.x.a", w) {
			t.Errorf("%q is not a form of words.x.a", w)
		}
	}
	for key, w := range map[string]string{"words.x.a": "walk", "x.b": "not words", "words.none": "go"} {
		if c.IsWord(key, w) {
			t.Errorf("%q is a form of %s", w, key)
		}
	}
	var none *Catalog
	if none.IsWord("words.x.a", "go") || none.Words("words.x.a") != nil {
		t.Error("a nil catalog has words")
	}
}

func TestAVocabularyEntryNeedsAForm(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/en/a.toml": {Data: []byte("\"words.x.a\" = \" , \"\n")},
		"locales/bg/a.toml": {Data: []byte("\"words.x.a\" = \"а\"\n")},
	}
	if _, err := Load(fsys); err == nil {
		t.Error("an entry without forms loaded")
	}
}

func loadTOML(t *testing.T, files map[string]string) *Catalog {
	t.Helper()
	fsys := fstest.MapFS{}
	for lang, text := range files {
		fsys["locales/"+lang+"/a.toml"] = &fstest.MapFile{Data: []byte(text)}
	}
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
