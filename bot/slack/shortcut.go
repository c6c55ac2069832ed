package slack

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"accountbot/bot"

	slackapi "github.com/slack-go/slack"
)

// logMessageID is the callback id of the message shortcut "Log to
// accountbot" (slack/manifest.yaml): on any message it opens the log form
// with the message's text and its permalink filled in, so that the logged
// conversation keeps the link to where it was said.
const logMessageID = "log_message"

// maxFormText is the longest text the form's field takes.
const maxFormText = 3000

// onLogMessage opens the log form for the message the shortcut was used
// on. Slack's trigger lives three seconds, so the language and the link
// are each asked for with a short bound, and the form opens without them
// rather than not at all.
func (a *Adapter) onLogMessage(ctx context.Context, ic *slackapi.InteractionCallback) {
	identity := bot.Slack + ":" + ic.User.ID
	lang := ""
	if a.personLang != nil {
		lang = a.personLang(ctx, identity)
	}
	if lang == "" {
		qctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		lang = a.langFor(qctx, identity, a.users.get(qctx, a, ic.User.ID).locale)
		cancel()
	}
	text := plainMessage(ic.Message.Text)
	ts := ic.Message.Timestamp
	if ts == "" {
		ts = ic.MessageTs
	}
	if ic.Channel.ID != "" && ts != "" {
		qctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		link, err := a.api.GetPermalinkContext(qctx, &slackapi.PermalinkParameters{Channel: ic.Channel.ID, Ts: ts})
		cancel()
		if err == nil && link != "" {
			text = strings.TrimSpace(text + "\n\n" + link)
		} else if err != nil {
			a.log.Debug("slack: no permalink for the logged message", "err", err)
		}
	}
	if utf8.RuneCountInString(text) > maxFormText {
		text = string([]rune(text)[:maxFormText-1]) + "…"
	}
	// The answer to the submission is the sender's alone: through the
	// response_url, else ephemeral in the channel, else in the DM.
	meta := formMeta{Channel: ic.Channel.ID, ResponseURL: ic.ResponseURL, Lang: lang, IM: strings.HasPrefix(ic.Channel.ID, "D")}
	view := a.logModal(lang, "", text, meta)
	err := a.retry(ctx, func() error {
		_, err := a.api.OpenViewContext(ctx, ic.TriggerID, view)
		return err
	})
	if err != nil {
		a.log.Warn("slack: cannot open the log form for a message", "err", err)
	}
}

// plainMessage turns a message's Slack markup into the text people read:
// links and mentions show their label.
func plainMessage(text string) string {
	text = markup.ReplaceAllStringFunc(text, func(m string) string {
		inner := m[1 : len(m)-1]
		if _, label, ok := strings.Cut(inner, "|"); ok {
			return label
		}
		return strings.TrimLeft(inner, "@#!")
	})
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	return strings.TrimSpace(r.Replace(text))
}
