package core

import (
	"regexp"
	"strings"

	"accountbot/i18n"
)

// KeyValueRe finds key=value words in free text (group 2 the key, 3 the
// value, quoted or not).
var KeyValueRe = regexp.MustCompile(`(^|\s)([\p{L}_]+)=("(?:[^"\\]|\\.)*"|\S*)`)

// AfterWord returns rest without its first word.
func AfterWord(rest string) string {
	rest = strings.TrimSpace(rest)
	if i := strings.IndexAny(rest, " \t\n"); i >= 0 {
		return strings.TrimSpace(rest[i:])
	}
	return ""
}

// Percent is n of of as a whole percentage, rounded half up; 0 of 0 is 0.
func Percent(n, of int) int {
	if of == 0 {
		return 0
	}
	return (200*n + of) / (2 * of)
}

// Vocab maps every form of the vocabulary entries "words."+group+"."+option
// (every language's) to the option: a table a parser looks a typed word up
// in. missing are the entries some language lacks (a family reports them
// with Registry.Fail).
func Vocab(cat *i18n.Catalog, group string, options ...string) (m map[string]string, missing []string) {
	m = map[string]string{}
	for _, o := range options {
		key := i18n.WordsPrefix + group + "." + o
		for _, lang := range i18n.Languages {
			if len(cat.WordsIn(lang, key)) == 0 {
				missing = append(missing, key)
				break
			}
		}
		for _, w := range cat.Words(key) {
			m[w] = o
		}
	}
	return m, missing
}
