package core

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/i18n"
	"accountbot/money"

	"github.com/shopspring/decimal"
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

// TakeKeys removes key=value words with the given keys (the typed forms
// mapped to canonical names, as Vocab makes them) from free text, keeping
// everything else as typed; values may be quoted.
func TakeKeys(text string, keys map[string]string) (string, map[string]string) {
	kv := map[string]string{}
	out := KeyValueRe.ReplaceAllStringFunc(text, func(m string) string {
		sub := KeyValueRe.FindStringSubmatch(m)
		k, ok := keys[strings.ToLower(sub[2])]
		if !ok {
			return m
		}
		v := sub[3]
		if strings.HasPrefix(v, `"`) {
			v = strings.Join(bot.Split(v), " ")
		}
		kv[k] = strings.TrimSpace(v)
		return sub[1]
	})
	return strings.Join(strings.Fields(out), " "), kv
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

// Vocabs reads a family's vocabulary tables from one catalog, keeping
// the entries some language lacks: what a family's newWords builds its
// tables with.
type Vocabs struct {
	Cat *i18n.Catalog
	// Missing are the entries some language lacks, in the order read.
	Missing []string
}

// Table returns Vocab's table of the options of group, keeping what
// some language lacks in v.Missing.
func (v *Vocabs) Table(group string, options ...string) map[string]string {
	m, missing := Vocab(v.Cat, group, options...)
	v.Missing = append(v.Missing, missing...)
	return m
}

// Forms returns every language's forms of the vocabulary entry
// "words."+key, keeping it in v.Missing when some language lacks it.
func (v *Vocabs) Forms(key string) []string {
	full := i18n.WordsPrefix + key
	for _, lang := range i18n.Languages {
		if len(v.Cat.WordsIn(lang, full)) == 0 {
			v.Missing = append(v.Missing, full)
			break
		}
	}
	return v.Cat.Words(full)
}

// KeyWord reads w as key=value with a plain key (letters, digits, "_"
// and "-"); ok is false for any other word. The key is as typed: a
// family looks it up in its own table (Vocab), or reads it with
// Kit.KeyWord to have client fields' typed forms in English.
func KeyWord(w string) (key, value string, ok bool) {
	k, v, ok := strings.Cut(w, "=")
	if !ok || k == "" {
		return "", "", false
	}
	for _, r := range k {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return "", "", false
		}
	}
	return k, v, true
}

// DateWords reports how many of the words after a key=value belong to
// its value v because together they make a date typed without quotes
// ("срок=следващата седмица", "date=15 декември 2026"): at most three,
// and never past the next key=value.
func DateWords(v string, after []string) int {
	best := 0
	for n := 1; n <= 3 && n <= len(after); n++ {
		if _, _, kv := KeyWord(after[n-1]); kv {
			break
		}
		if dates.IsDate(v + " " + strings.Join(after[:n], " ")) {
			best = n
		}
	}
	return best
}

// KV is typed words split into plain words and key=value pairs
// (SplitKV).
type KV struct {
	// Plain are the words that are not key=value, in the order typed.
	Plain []string
	// KV maps each key to its value (the first one typed).
	KV map[string]string
	// Keys are the keys in the order typed.
	Keys []string
}

// SplitKV splits words into plain words and key=value pairs, reading
// each word with keyWord (Kit.KeyWord: client fields' typed keys in
// English); a value that starts a date typed without quotes takes the
// words that finish it (DateWords).
func SplitKV(words []string, keyWord func(w string) (key, value string, ok bool)) KV {
	a := KV{KV: map[string]string{}}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if k, v, ok := keyWord(w); ok {
			if _, dup := a.KV[k]; !dup {
				a.Keys = append(a.Keys, k)
			}
			n := DateWords(v, words[i+1:])
			a.KV[k] = strings.Join(append([]string{v}, words[i+1:i+1+n]...), " ")
			i += n
			continue
		}
		a.Plain = append(a.Plain, w)
	}
	return a
}

// ParseAmount reads a typed amount and the currency written with it
// ("12 500,50 лв", "€300"; "" when none is), and says what is wrong with
// one that cannot be read, with an example: a negative amount, one too
// large, or no number.
func ParseAmount(s string) (decimal.Decimal, string, error) {
	d, cur, err := money.ParseWithCurrency(s)
	switch {
	case err == nil:
		return d, cur, nil
	case errors.Is(err, money.ErrNegative):
		return d, "", crm.Errorf(crm.EINVALID, "deal.amount_negative", "value", s)
	case errors.Is(err, money.ErrTooLarge):
		return d, "", crm.Errorf(crm.EINVALID, "deal.amount_too_large", "value", s)
	}
	return d, "", crm.Errorf(crm.EINVALID, "deal.bad_amount", "value", s)
}

// TakeTags removes #channel tags from text and returns them, each once,
// in the order typed; channels maps every typed form of a channel
// ("call", "обаждане") to the channel (Vocab of "channel").
func TakeTags(text string, channels map[string]string) (string, []string) {
	var tags []string
	var kept []string
	for _, w := range strings.Fields(text) {
		if strings.HasPrefix(w, "#") && len(w) > 1 {
			if ch, ok := channels[strings.ToLower(strings.TrimRight(w[1:], ".,;!"))]; ok {
				if !slices.Contains(tags, ch) {
					tags = append(tags, ch)
				}
				continue
			}
		}
		kept = append(kept, w)
	}
	return strings.Join(kept, " "), tags
}

// CutMarker splits text at the last " MARKER " (case-insensitive) among
// markers, returning the part before, the part after and whether it was
// found.
func CutMarker(text string, markers ...string) (string, string, bool) {
	best := -1
	var bestLen int
	for _, m := range markers {
		if i := lastIndexFold(text, " "+m+" "); i > best {
			best, bestLen = i, len(m)+2
		}
	}
	if best < 0 {
		return text, "", false
	}
	return strings.TrimSpace(text[:best]), strings.TrimSpace(text[best+bestLen:]), true
}

// lastIndexFold is strings.LastIndex ignoring case. Byte offsets refer to
// s itself (lower-casing first would shift them for some input).
func lastIndexFold(s, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
