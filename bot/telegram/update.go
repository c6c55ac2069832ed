package telegram

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/i18n"

	"github.com/go-telegram/bot/models"
)

// deliveryKey names an update for the store's exactly-once bookkeeping.
func deliveryKey(id int64) string { return "telegram/update/" + strconv.FormatInt(id, 10) }

// shareWords, at the end of a command in a group, ask for the answer in
// the group itself ("/client Acme share", "… сподели").
const shareWords = i18n.WordsPrefix + "chat.share"

// handleUpdate runs one update to the end and reports whether it is done
// (its effect committed, its replies sent), so that its offset may be
// confirmed. An update handled before (a redelivery) is done at once.
func (a *Adapter) handleUpdate(upd *models.Update) bool {
	ctx := a.workCtx
	key := deliveryKey(upd.ID)
	done, err := a.store.Delivered(ctx, key)
	if err != nil {
		a.log.Error("telegram: reading the delivery record", "update", upd.ID, "err", err)
		return false
	}
	if done {
		a.log.Debug("telegram: update already handled", "update", upd.ID)
		return true
	}
	if !a.serve(crm.WithDeliveryKey(ctx, key), upd) {
		return false
	}
	if err := a.store.MarkDelivered(ctx, key, deliveryTTL); err != nil {
		a.log.Error("telegram: recording the delivery", "update", upd.ID, "err", err)
		return false
	}
	return true
}

// serve handles a message or a button press; other kinds are not for the
// bot. It reports false when shutdown interrupted the work.
func (a *Adapter) serve(ctx context.Context, upd *models.Update) bool {
	switch {
	case upd.Message != nil:
		return a.serveMessage(ctx, upd.Message)
	case upd.CallbackQuery != nil:
		return a.serveCallback(ctx, upd.CallbackQuery)
	}
	return true
}

func displayName(u *models.User) string {
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Username
}

func isPrivate(c models.Chat) bool { return c.Type == models.ChatTypePrivate }

func isGroup(c models.Chat) bool {
	return c.Type == models.ChatTypeGroup || c.Type == models.ChatTypeSupergroup
}

// serveMessage handles a typed message. In a group only commands
// addressed to the bot (/cmd@botname) are heard.
func (a *Adapter) serveMessage(ctx context.Context, msg *models.Message) bool {
	if msg.From == nil || msg.From.IsBot {
		return true
	}
	text, files := msg.Text, a.messageFiles(msg)
	if len(files) > 0 {
		// A file's words are its caption: a command ("/log Acme: …") or none.
		text = msg.Caption
	}
	private := isPrivate(msg.Chat)
	share := false
	switch {
	case private:
	case isGroup(msg.Chat):
		var ok bool
		text, share, ok = a.groupCommand(text)
		if !ok {
			return true
		}
	default:
		return true // channels
	}
	loc, contact := sharedLocation(msg), sharedContact(msg)
	if strings.TrimSpace(text) == "" && len(files) == 0 && loc == nil && contact == nil {
		return true
	}
	m := &bot.Message{
		Platform: bot.Telegram, ChatID: strconv.FormatInt(msg.Chat.ID, 10), MessageID: strconv.Itoa(msg.ID),
		Identity: bot.Telegram + ":" + strconv.FormatInt(msg.From.ID, 10), DisplayName: displayName(msg.From),
		Text: text, Private: private, LangHint: msg.From.LanguageCode, ReceivedAt: time.Now(),
		Attachments: files, InviteLink: a.inviteLink(),
		Location: loc, Contact: contact, Forward: forwardOf(msg),
	}
	w := &chatWriter{a: a, m: m, chat: msg.Chat.ID, user: msg.From.ID, group: !private, share: share}
	return a.serveChat(ctx, w, m)
}

// groupCommand returns a group message's command when it is addressed to
// this bot, without the @botname and without a final share word (reported
// as share).
func (a *Adapter) groupCommand(text string) (cmd string, share, ok bool) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return "", false, false
	}
	head, rest, _ := strings.Cut(text, " ")
	name, to, addressed := strings.Cut(head, "@")
	if !addressed || a.botName() == "" || !strings.EqualFold(to, a.botName()) {
		return "", false, false
	}
	words := strings.Fields(rest)
	if n := len(words); n > 0 {
		if a.cat.IsWord(shareWords, words[n-1]) {
			share = true
			rest = strings.TrimSpace(rest[:strings.LastIndex(rest, words[n-1])])
		}
	}
	cmd = name
	if rest = strings.TrimSpace(rest); rest != "" {
		cmd += " " + rest
	}
	return cmd, share, true
}

// serveCallback handles a pressed button: it answers the callback query at
// once, then runs the button's command as if typed, editing the message in
// place when the reply asks to.
func (a *Adapter) serveCallback(ctx context.Context, cq *models.CallbackQuery) bool {
	var chat models.Chat
	msgID := 0
	switch {
	case cq.Message.Message != nil:
		chat, msgID = cq.Message.Message.Chat, cq.Message.Message.ID
	case cq.Message.InaccessibleMessage != nil:
		chat, msgID = cq.Message.InaccessibleMessage.Chat, cq.Message.InaccessibleMessage.MessageID
	default:
		a.answerCallback(ctx, cq.ID, "", false)
		return true // a button under an inline message: not ours
	}
	if cq.From.IsBot {
		return true
	}
	data := cq.Data
	if strings.HasPrefix(data, tokenPrefix) {
		full, err := a.store.Token(ctx, data)
		if err != nil {
			if !crm.IsNotFound(err) {
				a.log.Error("telegram: reading a button token", "err", err)
				return false
			}
			a.answerCallback(ctx, cq.ID, a.words(cq.From.LanguageCode).T("telegram.button_expired"), true)
			return true
		}
		data = full
	}
	private := isPrivate(chat)
	if private {
		a.answerCallback(ctx, cq.ID, "", false)
	} else {
		a.answerCallback(ctx, cq.ID, a.words(cq.From.LanguageCode).T("telegram.button_private"), false)
	}
	if ctx.Err() != nil {
		return false
	}
	m := &bot.Message{
		Platform: bot.Telegram, ChatID: strconv.FormatInt(chat.ID, 10), MessageID: strconv.Itoa(msgID),
		Identity: bot.Telegram + ":" + strconv.FormatInt(cq.From.ID, 10), DisplayName: displayName(&cq.From),
		Text: data, Button: true, Private: private, LangHint: cq.From.LanguageCode, ReceivedAt: time.Now(),
		InviteLink: a.inviteLink(),
	}
	w := &chatWriter{a: a, m: m, chat: chat.ID, user: cq.From.ID, group: !private, button: true}
	if private {
		w.editID = msgID
	}
	return a.serveChat(ctx, w, m)
}

// serveChat runs the handler and reports whether the work was complete.
func (a *Adapter) serveChat(ctx context.Context, w *chatWriter, m *bot.Message) bool {
	err := a.handler.ServeChat(ctx, w, m)
	if w.interrupted {
		return false
	}
	if err != nil {
		a.log.Error("telegram: handling a message", "identity", m.Identity, "err", err)
	}
	return true
}

// words returns the adapter's own words in lang, else the default language.
func (a *Adapter) words(lang string) i18n.Localizer {
	l := i18n.Lang(lang)
	if l == "" {
		l = a.cfg.Lang
	}
	if a.cat == nil {
		return i18n.Localizer{}
	}
	return a.cat.For(l)
}

// chatWriter sends the replies to one message. In a group it keeps one
// person's data out of the group: replies go to the sender's private chat,
// with a short note in the group, unless the sender asked to share.
type chatWriter struct {
	a      *Adapter
	m      *bot.Message
	chat   int64
	user   int64
	group  bool
	share  bool
	button bool
	// editID is the message whose button was pressed, edited in place by a
	// reply with Edit.
	editID int
	noted  bool
	// interrupted is set when shutdown stopped a send: the update is not
	// done and will come again.
	interrupted bool
}

// Reply sends r. Only an interruption is returned as an error: a refusal
// by Telegram is logged, and telling the handler would only make it try to
// send an error message the same way.
func (w *chatWriter) Reply(ctx context.Context, r bot.Reply) error {
	target := w.target(r)
	edit := 0
	if r.Edit && target == w.chat {
		edit = w.editID
	}
	err := w.a.deliver(ctx, target, r, edit)
	return w.settle(ctx, target, err)
}

// target is the chat a reply goes to: in a group, the sender's private
// chat unless they asked to share (and a button's answer always).
func (w *chatWriter) target(r bot.Reply) int64 {
	if w.group && (!w.share || r.Private || w.button) {
		return w.user
	}
	return w.chat
}

// settle finishes a send to target that ended with err: an interruption is
// returned (the update is not done); a reply that went to the sender's
// private chat is noted in the group; a refusal is logged.
func (w *chatWriter) settle(ctx context.Context, target int64, err error) error {
	if err != nil && ctx.Err() != nil {
		w.interrupted = true
		return err
	}
	lang := w.m.Lang
	if lang == "" {
		lang = w.m.LangHint
	}
	switch {
	case err == nil:
		if target != w.chat && !w.noted && !w.button {
			w.noted = true
			w.note(ctx, w.a.words(lang).T("telegram.answered_privately"))
		}
	case errors.Is(err, errBlocked) && target != w.chat:
		// The sender never opened a private chat with the bot: say how,
		// in the group, without any of their data.
		if !w.noted {
			w.noted = true
			w.note(ctx, w.a.words(lang).T("telegram.open_private", "link", "https://t.me/"+w.a.botName()))
		}
	default:
		w.a.log.Error("telegram: reply not delivered", "chat", target, "identity", w.m.Identity, "err", err)
	}
	return nil
}

// note sends a short line to the group.
func (w *chatWriter) note(ctx context.Context, text string) {
	err := w.a.deliver(ctx, w.chat, bot.Reply{Text: text}, 0)
	if err != nil && ctx.Err() != nil {
		w.interrupted = true
		return
	}
	if err != nil {
		w.a.log.Warn("telegram: group note not delivered", "chat", w.chat, "err", err)
	}
}

var _ bot.ReplyWriter = (*chatWriter)(nil)
