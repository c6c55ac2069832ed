package telegram

import (
	"html"
	"strings"
	"unicode/utf8"

	"accountbot/bot"
)

// maxMessage is Telegram's limit on a message's text, in UTF-16 code units
// of the text after HTML parsing. Counting the HTML source keeps under it
// with room to spare, since tags and entities are longer than what they
// show.
const maxMessage = 4096

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeHTML escapes the three characters that Telegram's HTML mode reads.
func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

// htmlToPlain undoes renderReply's formatting.
func htmlToPlain(s string) string {
	return html.UnescapeString(strings.NewReplacer("<b>", "", "</b>", "").Replace(s))
}

// line is one line of a reply before formatting.
type line struct {
	text string
	bold bool
}

func (l line) html() string {
	if l.bold && strings.TrimSpace(l.text) != "" {
		return "<b>" + escapeHTML(l.text) + "</b>"
	}
	return escapeHTML(l.text)
}

// renderReply formats r as Telegram HTML (title bold, then the text, then
// each field as "Label: Value") and splits it into messages of at most
// maxMessage characters, at line boundaries; a single line too long for
// one message is cut between words.
func renderReply(r bot.Reply) []string {
	var lines []line
	add := func(s string, bold bool) {
		for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			lines = append(lines, line{l, bold})
		}
	}
	if r.Title != "" {
		add(r.Title, true)
	}
	if r.Text != "" {
		add(r.Text, false)
	}
	for _, f := range r.Fields {
		add(f.Label+": "+f.Value, false)
	}
	return pack(lines, maxMessage)
}

// pack joins lines into messages of at most limit UTF-16 units each.
func pack(lines []line, limit int) []string {
	var out []string
	var cur []string
	size := 0
	flush := func() {
		msg := strings.Join(cur, "\n")
		if strings.TrimSpace(msg) != "" {
			out = append(out, strings.Trim(msg, "\n"))
		}
		cur, size = nil, 0
	}
	for _, l := range lines {
		for _, piece := range cut(l, limit) {
			n := utf16Len(piece)
			if len(cur) > 0 && size+1+n > limit {
				flush()
			}
			if len(cur) > 0 {
				size++
			}
			cur = append(cur, piece)
			size += n
		}
	}
	flush()
	return out
}

// cut returns the line as HTML in pieces of at most limit units, breaking
// at spaces where it can and never inside an escape.
func cut(l line, limit int) []string {
	h := l.html()
	if utf16Len(h) <= limit {
		return []string{h}
	}
	budget := limit
	if l.bold {
		budget -= len("<b></b>")
	}
	var out []string
	rest := l.text
	for rest != "" {
		used, end, lastSpace := 0, 0, -1
		for i, r := range rest {
			w := utf16Len(escapeHTML(string(r)))
			if used+w > budget {
				break
			}
			used += w
			end = i + utf8.RuneLen(r)
			if r == ' ' {
				lastSpace = end
			}
		}
		if end < len(rest) && lastSpace > end/2 {
			end = lastSpace
		}
		if end == 0 { // cannot happen with a sane limit; avoid looping
			end = len(rest)
		}
		out = append(out, line{rest[:end], l.bold}.html())
		rest = rest[end:]
	}
	return out
}

// utf16Len is the length of s in UTF-16 code units, as Telegram counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
