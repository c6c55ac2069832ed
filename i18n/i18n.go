// Package i18n holds every word accountbot says to a person, in English and
// Bulgarian, and picks the right one. Messages live in locales/<lang>/*.toml
// (one file per command family), embedded in the binary.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales
var locales embed.FS

// Languages are the reply languages, the default first.
var Languages = []string{"en", "bg"}

// Catalog holds the messages of every language.
type Catalog struct {
	bundle *goi18n.Bundle
	keys   map[string]map[string]bool   // lang → key set
	raw    map[string]map[string]string // lang → key → every plural form's text
	loc    map[string]*goi18n.Localizer
	// words are the vocabulary (see WordsPrefix): lang → key → forms, and
	// key → form → true over every language.
	words    map[string]map[string][]string
	wordSet  map[string]map[string]bool
	allWords map[string][]string
}

// WordsPrefix starts the key of a vocabulary entry: no sentence the bot
// says but the forms a person may type for one meaning, separated by
// commas ("words.deal.add" = "add, new"; in Bulgarian "добави, нова").
// Keys that share everything up to the last dot are the alternatives at
// one place of a command ("words.deal.add", "words.deal.move"), so no form
// may belong to two of them in any language (TestWordsDoNotCollide),
// except under WordsPrefix+"list.": lists that stand on their own
// (markers, fillers), not alternatives of each other.
const WordsPrefix = "words."

// New loads the embedded translation files.
func New() (*Catalog, error) { return Load(locales) }

// OrEmbedded returns c, or when c is nil the embedded translation files
// (New): the catalog of a component given none.
func OrEmbedded(c *Catalog) (*Catalog, error) {
	if c != nil {
		return c, nil
	}
	return New()
}

// Default returns the embedded translation files, loaded once for the
// process, for readers that need words but are given no catalog (the
// dates package). A Catalog is only read once loaded, so it may be shared.
var Default = sync.OnceValues(New)

// Load reads locales/<lang>/*.toml from fsys.
func Load(fsys fs.FS) (*Catalog, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, keys: map[string]map[string]bool{}, raw: map[string]map[string]string{}, loc: map[string]*goi18n.Localizer{},
		words: map[string]map[string][]string{}, wordSet: map[string]map[string]bool{}}
	for _, lang := range Languages {
		files, err := fs.Glob(fsys, path.Join("locales", lang, "*.toml"))
		if err != nil {
			return nil, err
		}
		c.keys[lang] = map[string]bool{}
		c.raw[lang] = map[string]string{}
		c.words[lang] = map[string][]string{}
		tag := language.MustParse(lang)
		for _, f := range files {
			buf, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, err
			}
			msgs, err := b.ParseMessageBytes(tag, buf, toml.Unmarshal)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			for _, m := range msgs {
				if c.keys[lang][m.ID] {
					return nil, fmt.Errorf("%s: key %q defined twice", f, m.ID)
				}
				c.keys[lang][m.ID] = true
				c.raw[lang][m.ID] = m.Zero + m.One + m.Two + m.Few + m.Many + m.Other
				if strings.HasPrefix(m.ID, WordsPrefix) {
					forms := splitForms(m.Other)
					if len(forms) == 0 {
						return nil, fmt.Errorf("%s: vocabulary %q has no forms", f, m.ID)
					}
					c.words[lang][m.ID] = forms
					if c.wordSet[m.ID] == nil {
						c.wordSet[m.ID] = map[string]bool{}
					}
					for _, w := range forms {
						c.wordSet[m.ID][w] = true
					}
				}
			}
		}
		c.loc[lang] = goi18n.NewLocalizer(b, lang)
	}
	c.allWords = map[string][]string{}
	for _, lang := range Languages {
		for k, forms := range c.words[lang] {
			for _, w := range forms {
				if !containsString(c.allWords[k], w) {
					c.allWords[k] = append(c.allWords[k], w)
				}
			}
		}
	}
	return c, nil
}

// Keys returns the message keys of lang, sorted.
func (c *Catalog) Keys(lang string) []string {
	var out []string
	for k := range c.keys[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether lang has key.
func (c *Catalog) Has(lang, key string) bool { return c.keys[lang][key] }

// Raw returns the untranslated template text of key in lang, every plural
// form joined, for checks of placeholders.
func (c *Catalog) Raw(lang, key string) string { return c.raw[lang][key] }

// splitForms reads a vocabulary entry: forms separated by commas, each
// trimmed and lower-cased (people type any case), empty ones dropped.
func splitForms(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// WordsIn returns the forms of vocabulary key in lang, lower-cased, in the
// order the translation file gives them (the first is the one to show),
// or nil when lang has no such entry.
func (c *Catalog) WordsIn(lang, key string) []string {
	if c == nil {
		return nil
	}
	return c.words[lang][key]
}

// Words returns the forms of vocabulary key in every language, the
// default language's first, each once: people type either language
// whatever language the bot answers in.
// The slice is shared: callers must not modify it.
func (c *Catalog) Words(key string) []string {
	if c == nil {
		return nil
	}
	return c.allWords[key]
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// IsWord reports whether s, in any letter case, is a form of vocabulary
// key in any language.
func (c *Catalog) IsWord(key, s string) bool {
	if c == nil {
		return false
	}
	set := c.wordSet[key]
	if set == nil {
		return false
	}
	if set[s] {
		return true
	}
	return set[strings.ToLower(s)]
}

// WordKeys returns the vocabulary keys of lang, sorted.
func (c *Catalog) WordKeys(lang string) []string {
	var out []string
	for k := range c.words[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lang returns the supported language closest to s ("bg-BG" → "bg"), or "".
func Lang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, l := range Languages {
		if s == l || strings.HasPrefix(s, l+"-") || strings.HasPrefix(s, l+"_") {
			return l
		}
	}
	switch s {
	case "english", "английски":
		return "en"
	case "bulgarian", "български", "бг":
		return "bg"
	}
	return ""
}

// Localizer speaks one language.
type Localizer struct {
	c    *Catalog
	lang string
}

// For returns a Localizer for lang, English for an unknown one.
func (c *Catalog) For(lang string) Localizer {
	if _, ok := c.loc[lang]; !ok {
		lang = "en"
	}
	return Localizer{c: c, lang: lang}
}

// Lang returns the localizer's language.
func (l Localizer) Lang() string { return l.lang }

// IsWord reports whether s is a form of vocabulary key in any language
// (Catalog.IsWord): what a person types does not depend on the language
// the bot answers in.
func (l Localizer) IsWord(key, s string) bool { return l.c.IsWord(key, s) }

// Words returns the forms of vocabulary key in every language
// (Catalog.Words).
func (l Localizer) Words(key string) []string { return l.c.Words(key) }

// WordsIn returns the forms of vocabulary key in the localizer's language,
// the one to show first (Catalog.WordsIn).
func (l Localizer) WordsIn(key string) []string { return l.c.WordsIn(l.lang, key) }

// T returns the message key filled with args, given as name/value pairs.
// A "count" argument selects the plural form. An unknown key returns the
// key itself, so a missing word shows instead of an empty reply (and the
// completeness test catches it before release).
func (l Localizer) T(key string, args ...any) string {
	data := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			data[k] = args[i+1]
		}
	}
	return l.TMap(key, data)
}

// TMap is T with the arguments in a map.
func (l Localizer) TMap(key string, data map[string]any) string {
	if l.c == nil {
		return key
	}
	cfg := &goi18n.LocalizeConfig{MessageID: key, TemplateData: data}
	if n, ok := data["count"]; ok {
		cfg.PluralCount = n
	}
	// A message without plural forms still renders with a count; go-i18n
	// then returns the text together with an error, which is no failure.
	s, _ := l.c.loc[l.lang].Localize(cfg)
	if s == "" {
		return key
	}
	return s
}

// Collisions lists the typed forms that belong to two alternatives of one
// place (vocabulary keys with the same parent, see WordsPrefix), over every
// language, as sentences for a test or a start-up check to show.
func Collisions(c *Catalog) []string {
	owner := map[string]map[string]string{} // parent → form → key
	var out []string
	keys := map[string]bool{}
	for _, lang := range Languages {
		for k := range c.words[lang] {
			keys[k] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		parent := k[:strings.LastIndex(k, ".")]
		if parent == WordsPrefix+"list" {
			continue
		}
		if owner[parent] == nil {
			owner[parent] = map[string]string{}
		}
		for _, w := range c.Words(k) {
			if o, ok := owner[parent][w]; ok && o != k {
				out = append(out, fmt.Sprintf("%q means both %s and %s", w, o, k))
				continue
			}
			owner[parent][w] = k
		}
	}
	return out
}
