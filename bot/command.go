package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is a parsed command line: "/client edit Acme city=Sofia".
type Command struct {
	// Name is the command word, lower case, without "/" or "@bot".
	Name string
	// Args are the words after the name, with quotes removed.
	Args []string
	// Rest is the raw text after the name, trimmed.
	Rest string
}

// ParseCommand splits a line that starts with "/" into a Command. It
// reports false for text that is not a command. It never panics, whatever
// the input (see FuzzParseCommand).
func ParseCommand(line string) (Command, bool) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "/") {
		return Command{}, false
	}
	line = line[1:]
	end := strings.IndexFunc(line, unicode.IsSpace)
	name, rest := line, ""
	if end >= 0 {
		name, rest = line[:end], strings.TrimSpace(line[end:])
	}
	if at := strings.IndexByte(name, '@'); at >= 0 {
		name = name[:at]
	}
	if name == "" || !utf8.ValidString(name) {
		return Command{}, false
	}
	return Command{Name: strings.ToLower(name), Args: Split(rest), Rest: rest}, true
}

// Split breaks text into words. Double quotes group words; \" inside quotes
// is a quote. A key="a b" word keeps its key and loses the quotes.
func Split(s string) []string {
	var out []string
	var b strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == '"':
			inQuote = !inQuote
			have = true
		case !inQuote && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			if have {
				out = append(out, b.String())
				b.Reset()
				have = false
			}
		default:
			b.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, b.String())
	}
	return out
}

// Quote returns s quoted for Split when it has spaces or quotes.
func Quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"\\") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// CutName splits "NAME: TEXT" at the first colon outside double quotes.
// NAME comes back unquoted and trimmed; ok is false without a colon or a
// name.
func CutName(rest string) (name, text string, ok bool) {
	inQuote := false
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case ':':
			if !inQuote {
				name = strings.Join(Split(rest[:i]), " ")
				return name, strings.TrimSpace(rest[i+1:]), name != ""
			}
		}
	}
	return "", "", false
}
