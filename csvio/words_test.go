package csvio

import (
	"testing"

	"accountbot/i18n"
)

// TestColumnWords reads every header name the Go table accepted before the
// words moved to the translation files ("words.import.column.*"), and
// checks that every known column has words in every language.
func TestColumnWords(t *testing.T) {
	for in, want := range map[string]string{
		"име": "name", "наименование": "name", "клиент": "name", "фирма": "name",
		"сегмент": "segment", "отрасъл": "industry", "индустрия": "industry", "бранш": "industry",
		"размер": "size", "град": "city", "населено място": "city", "нужда": "need", "нужди": "need",
		"ниво": "level", "фокус": "focus", "статус": "status", "език": "lang", "language": "lang",
		"източник": "source", "собственик": "owner", "отговорник": "owner", "мениджър": "owner",
		"контакт": "contact", "лице за контакт": "contact", "телефон": "phone", "tel": "phone", "telephone": "phone",
		"имейл": "email", "e-mail": "email", "mail": "email", "рейтинг": "rating",
		"Name": "name", " Лице  за контакт ": "contact", "Website": "website",
	} {
		if got := ColumnKey(in); got != want {
			t.Errorf("ColumnKey(%q) = %q, want %q", in, got, want)
		}
	}
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ClientColumns {
		for _, lang := range i18n.Languages {
			if len(cat.WordsIn(lang, i18n.WordsPrefix+"import.column."+c)) == 0 {
				t.Errorf("column %s has no %s words", c, lang)
			}
		}
	}
}
