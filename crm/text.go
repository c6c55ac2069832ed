package crm

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CleanText is what every text typed by a person becomes before anything
// reads or stores it: Unicode NFC (so that one word has one spelling), and
// without the characters that make a text display other than it reads:
// NUL and other control characters (line breaks and tabs stay), bidi
// overrides, embeddings, isolates and marks (a right-to-left override
// shows "emca" as "acme"), and invisible zero-width spaces. Joiners
// (U+200C, U+200D) stay in free text, where emoji and some scripts need
// them; names refuse them (see NameProblem).
func CleanText(s string) string {
	clean := true
	for _, r := range s {
		if dropped(r) {
			clean = false
			break
		}
	}
	if clean && norm.NFC.IsNormalString(s) {
		return s
	}
	s = strings.Map(func(r rune) rune {
		if dropped(r) {
			return -1
		}
		return r
	}, s)
	return norm.NFC.String(s)
}

// dropped reports whether CleanText removes r.
func dropped(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return true
	case r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return true // bidi marks, embeddings, overrides, isolates
	case r == 0x200b || r == 0x2060 || r == 0xfeff || r == 0x180e || r == 0x00ad:
		return true // zero-width space, word joiner, BOM, Mongolian separator, soft hyphen
	}
	return false
}

// NameProblem returns "" for a name that may be stored, or why not: a name
// (of a client, a person, a campaign) must be visible as what it is, so
// joiners and the characters CleanText drops are refused here too (for a
// name built without CleanText).
func NameProblem(s string) string {
	for _, r := range s {
		if dropped(r) || r == 0x200c || r == 0x200d || r == '\n' || r == '\t' {
			return "invisible"
		}
	}
	return ""
}

// confusables maps letters of other scripts that look like a Latin letter
// to it (Cyrillic and Greek, capitals and small letters).
var confusables = map[rune]rune{
	'а': 'a', 'в': 'b', 'с': 'c', 'е': 'e', 'ё': 'e', 'н': 'h', 'і': 'i', 'ј': 'j', 'к': 'k', 'м': 'm', 'о': 'o', 'р': 'p', 'ѕ': 's', 'т': 't', 'у': 'y', 'х': 'x', 'ь': 'b', 'г': 'r', 'п': 'n', 'ԛ': 'q', 'ԝ': 'w',
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'μ': 'u', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ζ': 'z', 'γ': 'y', 'ω': 'w',
}

// Skeleton is how a name looks, for telling look-alikes apart: lower case,
// letters of other scripts that look like Latin ones replaced by them,
// compatibility forms folded (NFKC: full-width letters, ligatures), and
// everything but letters and digits dropped. "Αcme" with a Greek Alpha
// and "Асме" in Cyrillic have the skeleton of "Acme".
func Skeleton(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(strings.ToLower(s)) {
		if l, ok := confusables[r]; ok {
			r = l
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// latinToCyrillic is the reverse of confusables for the Cyrillic letters.
var latinToCyrillic = map[rune]rune{'a': 'а', 'b': 'в', 'c': 'с', 'e': 'е', 'h': 'н', 'i': 'і', 'j': 'ј', 'k': 'к', 'm': 'м', 'o': 'о', 'p': 'р', 's': 'ѕ', 't': 'т', 'y': 'у', 'x': 'х'}

// LookalikeProbes returns spellings under which a name that looks like s
// could be stored: its Latin skeleton, and the skeleton written with the
// Cyrillic letters that look the same. A store looks them up (by
// NormalizeName) and compares the Skeleton of what it finds.
func LookalikeProbes(s string) []string {
	sk := Skeleton(s)
	cyr := strings.Map(func(r rune) rune {
		if c, ok := latinToCyrillic[r]; ok {
			return c
		}
		return r
	}, sk)
	return []string{sk, cyr}
}
