package handlers

import (
	"strings"

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

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
