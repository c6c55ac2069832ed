package handlers

import (
	"strings"

	"accountbot/bot"
	"accountbot/handlers/core"
)

// keyFields are the client fields (and people's reports=) typed as
// key=value, whose words ("words.field.NAME": "град=", "tel=") the
// lexicon maps to the English key.
var keyFields = []string{"segment", "industry", "size", "city", "need", "level", "focus", "status", "lang",
	"source", "contact", "phone", "email", "rating", "owner", "reports"}

// canonicalKey returns the English key for a typed one.
func (lx *lexicon) canonicalKey(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	if a, ok := lx.fields[k]; ok {
		return a
	}
	return k
}

// isKeyWord reads w as key=value with a plain key (core.KeyWord), the
// key in English when it is a client field's typed form.
func (lx *lexicon) isKeyWord(w string) (string, string, bool) {
	k, v, ok := core.KeyWord(w)
	if !ok {
		return "", "", false
	}
	return lx.canonicalKey(k), v, true
}

// kvArgs are words split into plain words and key=value pairs.
type kvArgs = core.KV

// splitKV splits words into plain words and key=value pairs (keys in the
// order typed), the keys in English (core.SplitKV).
func (lx *lexicon) splitKV(words []string) kvArgs { return core.SplitKV(words, lx.isKeyWord) }

// splitNameText splits "NAME: TEXT" (NAME may be quoted) at the first colon
// outside quotes. ok is false without a colon.
func splitNameText(rest string) (name, text string, ok bool) { return bot.CutName(rest) }

// takeTags removes #channel tags ("words.channel.NAME": #call, #среща)
// from text and returns them (core.TakeTags).
func (lx *lexicon) takeTags(text string) (string, []string) { return core.TakeTags(text, lx.channels) }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// cutNext splits "TEXT next: STEP" into the text and the step, at the
// first of the markers ("words.next.step") that text holds.
func (lx *lexicon) cutNext(text string) (string, string, bool) {
	for _, m := range lx.next {
		if i := indexFold(text, m); i >= 0 {
			return strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+len(m):]), true
		}
	}
	return text, "", false
}

// clientArgs splits the words of "/client add NAME k=v…" into the name
// (the plain words before the first key=value) and the fields.
func (lx *lexicon) nameAndFields(words []string) (string, kvArgs) {
	a := lx.splitKV(words)
	return strings.Join(a.Plain, " "), a
}

// indexFold is strings.Index ignoring case. Byte offsets refer to s itself
// (lower-casing first would shift them for some input).
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// itoa writes n in decimal (a record's id in a reference).
func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
