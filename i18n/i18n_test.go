package i18n

import (
	"regexp"
	"testing"
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
