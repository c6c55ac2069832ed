package slack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"

	"accountbot/bot"

	slackapi "github.com/slack-go/slack"
)

// Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit).
const (
	maxBlocks       = 50
	maxSectionText  = 3000
	maxHeaderText   = 150
	maxFieldText    = 2000
	maxFields       = 10
	maxActions      = 25
	maxButtonText   = 75
	maxButtonValue  = 2000
	maxFallbackText = 38000
	actionCmd       = "cmd:"
	actionToken     = "tok:"
)

// message is one Slack message: the plain-text fallback (for
// notifications, screen readers and old clients) and its blocks.
type message struct {
	text   string
	blocks []slackapi.Block
}

// buttonValuer turns a button's command into the value Slack carries and
// the action id prefix that says how to read it back.
type buttonValuer func(ctx context.Context, data string) (value, prefix string)

// buttonValue stores commands longer than a button value may be and
// returns a token for them instead.
func (a *Adapter) buttonValue(ctx context.Context, data string) (string, string) {
	if len(data) <= maxButtonValue {
		return data, actionCmd
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	if err := a.store.PutToken(ctx, "slack/"+token, data, buttonTTL); err != nil {
		a.log.Warn("slack: cannot keep a long button command", "err", err)
		return "", ""
	}
	return token, actionToken
}

// render turns a reply into one or more Slack messages: a header for the
// title, sections for the text (at most 3000 characters each), fields for
// key values (at most 10 per section), and an actions block per row of
// buttons. A reply that needs more than 50 blocks goes out as several
// messages, so that nothing is cut.
func render(ctx context.Context, r bot.Reply, value buttonValuer) []message {
	type part struct {
		block slackapi.Block
		text  string
	}
	var parts []part
	if t := strings.TrimSpace(r.Title); t != "" {
		if utf8.RuneCountInString(t) <= maxHeaderText && !strings.Contains(t, "\n") {
			parts = append(parts, part{slackapi.NewHeaderBlock(plain(t)), t})
		} else {
			for _, chunk := range chunks(t, maxSectionText-4) {
				parts = append(parts, part{slackapi.NewSectionBlock(mrkdwn("*"+escape(chunk)+"*"), nil, nil), chunk})
			}
		}
	}
	if strings.TrimSpace(r.Text) != "" {
		for _, chunk := range chunks(r.Text, maxSectionText) {
			if strings.TrimSpace(chunk) == "" {
				continue
			}
			parts = append(parts, part{slackapi.NewSectionBlock(mrkdwn(escape(chunk)), nil, nil), chunk})
		}
	}
	for i := 0; i < len(r.Fields); i += maxFields {
		end := min(i+maxFields, len(r.Fields))
		var fields []*slackapi.TextBlockObject
		var plainText []string
		for _, f := range r.Fields[i:end] {
			v := f.Value
			if strings.TrimSpace(v) == "" {
				v = "—"
			}
			label := truncate(f.Label, 200)
			fields = append(fields, mrkdwn("*"+escape(label)+"*\n"+escape(truncate(v, maxFieldText-utf8.RuneCountInString(label)-10))))
			plainText = append(plainText, f.Label+": "+f.Value)
		}
		parts = append(parts, part{slackapi.NewSectionBlock(nil, fields, nil), strings.Join(plainText, "\n")})
	}
	n := 0
	for ri, row := range r.Buttons {
		for start := 0; start < len(row); start += maxActions {
			var els []slackapi.BlockElement
			var labels []string
			for bi, b := range row[start:min(start+maxActions, len(row))] {
				v, prefix := value(ctx, b.Data)
				if prefix == "" {
					continue
				}
				id := prefix + strconv.Itoa(ri) + ":" + strconv.Itoa(start+bi)
				n++
				els = append(els, slackapi.NewButtonBlockElement(id, v, plain(truncate(b.Label, maxButtonText))))
				labels = append(labels, "["+b.Label+"]")
			}
			if len(els) > 0 {
				parts = append(parts, part{slackapi.NewActionBlock("", els...), strings.Join(labels, " ")})
			}
		}
	}
	if len(parts) == 0 {
		return nil
	}
	var out []message
	for i := 0; i < len(parts); i += maxBlocks {
		end := min(i+maxBlocks, len(parts))
		var m message
		var texts []string
		for _, p := range parts[i:end] {
			m.blocks = append(m.blocks, p.block)
			texts = append(texts, p.text)
		}
		m.text = truncate(strings.Join(texts, "\n"), maxFallbackText)
		out = append(out, m)
	}
	return out
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, true, false)
}

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
}

// escape protects the three characters Slack reads as markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// chunks splits s at line ends into pieces of at most n characters
// (escaping included), breaking an over-long line where it must.
func chunks(s string, n int) []string {
	var out []string
	var b strings.Builder
	size := 0
	flush := func() {
		if b.Len() > 0 {
			out = append(out, strings.TrimRight(b.String(), "\n"))
			b.Reset()
			size = 0
		}
	}
	for _, line := range strings.SplitAfter(s, "\n") {
		l := len(escape(line))
		if size+l > n {
			flush()
		}
		for len(escape(line)) > n {
			cut := cutAt(line, n)
			out = append(out, line[:cut])
			line = line[cut:]
		}
		b.WriteString(line)
		size += len(escape(line))
	}
	flush()
	return out
}

// cutAt returns the longest prefix length of s whose escaped form fits in
// n bytes, at a rune boundary.
func cutAt(s string, n int) int {
	size := 0
	for i, r := range s {
		w := utf8.RuneLen(r)
		switch r {
		case '&':
			w = 5
		case '<', '>':
			w = 4
		}
		if size+w > n {
			return max(i, 1)
		}
		size += w
	}
	return len(s)
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if n < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
