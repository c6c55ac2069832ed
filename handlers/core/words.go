package core

import (
	"regexp"
	"strings"
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

// IsResetWord reports whether w asks for the defaults back ("reset",
// "нулирай").
func IsResetWord(w string) bool {
	switch strings.ToLower(w) {
	case "reset", "default", "defaults", "нулирай", "стандартни", "първоначални":
		return true
	}
	return false
}
