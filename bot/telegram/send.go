package telegram

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"accountbot/bot"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// errBlocked is a 403: the person blocked the bot or never opened a chat
// with it.
var errBlocked = errors.New("telegram: the chat refuses messages from the bot")

// errPermanent marks a refusal that sending again cannot fix (400, 401,
// 404, a migrated group).
var errPermanent = errors.New("telegram: refused")

// pacer keeps to Telegram's limits: at most one message a second to a chat
// and thirty a second in all. Sends to one chat are serialised (queued in
// the order they come); the global limit hands out slots in order.
type pacer struct {
	perChat, global time.Duration

	mu    sync.Mutex
	chats map[int64]*chatPace
	next  time.Time
}

type chatPace struct {
	mu   sync.Mutex
	next time.Time
	refs int
}

func newPacer(perChat, global time.Duration) *pacer {
	return &pacer{perChat: perChat, global: global, chats: map[int64]*chatPace{}}
}

// acquire takes the chat's turn; release gives it back.
func (p *pacer) acquire(chat int64) (c *chatPace, release func()) {
	p.mu.Lock()
	if len(p.chats) > 4096 {
		now := time.Now()
		for id, c := range p.chats {
			if c.refs == 0 && c.next.Before(now) {
				delete(p.chats, id)
			}
		}
	}
	c = p.chats[chat]
	if c == nil {
		c = &chatPace{}
		p.chats[chat] = c
	}
	c.refs++
	p.mu.Unlock()
	c.mu.Lock()
	return c, func() {
		c.mu.Unlock()
		p.mu.Lock()
		c.refs--
		if c.refs == 0 && c.next.Before(time.Now()) {
			delete(p.chats, chat)
		}
		p.mu.Unlock()
	}
}

// wait waits for the chat's next slot and then for a global one. The
// caller holds the chat's turn.
func (p *pacer) wait(ctx context.Context, c *chatPace) error {
	if err := bot.Sleep(ctx, time.Until(c.next)); err != nil {
		return err
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.global)
	p.mu.Unlock()
	return bot.Sleep(ctx, time.Until(at))
}

// call runs one Bot API call with retries: on 429 it waits retry_after and
// sends again; network errors and 5xx are retried with exponential backoff
// until ctx ends (or maxTries, when above 0). A chat other than 0 paces the
// call as a message to that chat.
func (a *Adapter) call(ctx context.Context, chat int64, method string, maxTries int, fn func(context.Context) error) error {
	var c *chatPace
	if chat != 0 {
		var release func()
		c, release = a.pacer.acquire(chat)
		defer release()
	}
	backoff := a.backoffMin
	for attempt := 1; ; attempt++ {
		if c != nil {
			if err := a.pacer.wait(ctx, c); err != nil {
				return err
			}
		}
		start := time.Now()
		err := fn(ctx)
		if c != nil {
			c.next = start.Add(a.pacer.perChat)
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var tooMany *tgbot.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany):
			d := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			a.log.Warn("telegram: rate limited; sending again later", "method", method, "chat", chat, "retry_after", d)
			a.sends.SendRetried(bot.Telegram, "429")
			if c != nil {
				c.next = time.Now().Add(d)
			} else if err := bot.Sleep(ctx, d); err != nil {
				return err
			}
			continue
		case errors.Is(err, tgbot.ErrorForbidden):
			a.sends.SendFailed(bot.Telegram, method)
			return fmt.Errorf("%w: %v", errBlocked, redact(err, a.cfg.Token))
		case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorUnauthorized),
			errors.Is(err, tgbot.ErrorNotFound), tgbot.IsMigrateError(err):
			a.sends.SendFailed(bot.Telegram, method)
			return fmt.Errorf("%w: %s: %v", errPermanent, method, redact(err, a.cfg.Token))
		}
		if maxTries > 0 && attempt >= maxTries {
			a.sends.SendFailed(bot.Telegram, method)
			return redact(err, a.cfg.Token)
		}
		a.sends.SendRetried(bot.Telegram, "error")
		a.log.Warn("telegram: call failed; retrying", "method", method, "chat", chat, "attempt", attempt, "in", backoff, "err", redact(err, a.cfg.Token))
		if err := bot.Sleep(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, a.backoffMax)
	}
}

// deliver sends r to chat: its text split into messages of at most 4096
// characters, buttons as an inline keyboard under the last, then the image
// and the file. With editID it first tries to edit that message in place.
// A 403 marks the person unreachable.
func (a *Adapter) deliver(ctx context.Context, chat int64, r bot.Reply, editID int) error {
	err := a.deliverParts(ctx, chat, r, editID)
	if errors.Is(err, errBlocked) && chat > 0 {
		identity := bot.Telegram + ":" + strconv.FormatInt(chat, 10)
		a.log.Warn("telegram: the person blocked the bot; marked unreachable", "identity", identity)
		if merr := a.store.MarkUnreachable(context.WithoutCancel(ctx), identity); merr != nil {
			a.log.Error("telegram: marking unreachable", "identity", identity, "err", merr)
		}
	}
	return err
}

func (a *Adapter) deliverParts(ctx context.Context, chat int64, r bot.Reply, editID int) error {
	parts := renderReply(r)
	keyboard, err := a.keyboard(ctx, r.Buttons)
	if err != nil {
		return err
	}
	if r.Home != nil && len(r.Home.Keyboard) > 0 {
		// The home keyboard stays under the chat; a message carries one
		// keyboard, so it takes the inline buttons' place.
		keyboard, editID = homeKeyboard(r.Home), 0
		a.setChatCommands(ctx, chat, r.Home)
	}
	if r.Image != nil || r.File != nil {
		editID = 0 // a text message cannot become a photo
	}
	for i, text := range parts {
		var mk models.ReplyMarkup
		if i == len(parts)-1 && keyboard != nil {
			mk = keyboard
			keyboard = nil
		}
		if i == 0 && editID != 0 {
			err := a.editText(ctx, chat, editID, text, mk)
			if err == nil {
				continue
			}
			if !errors.Is(err, errCannotEdit) {
				return err
			}
		}
		if _, err := a.sendText(ctx, chat, text, mk); err != nil {
			return err
		}
	}
	if r.Image != nil {
		var mk models.ReplyMarkup
		if keyboard != nil {
			mk, keyboard = keyboard, nil
		}
		if err := a.sendPhoto(ctx, chat, r.Image, mk); err != nil {
			return err
		}
	}
	if r.File != nil {
		var mk models.ReplyMarkup
		if keyboard != nil {
			mk = keyboard
		}
		if err := a.sendDocument(ctx, chat, r.File, mk); err != nil {
			return err
		}
	}
	return nil
}

// errCannotEdit means the message cannot be edited (too old, deleted, not
// a text): the caller sends a new one.
var errCannotEdit = errors.New("telegram: message cannot be edited")

// sendText sends one message and returns its id.
func (a *Adapter) sendText(ctx context.Context, chat int64, html string, mk models.ReplyMarkup) (int, error) {
	noPreview := &models.LinkPreviewOptions{IsDisabled: tgbot.True()}
	id := 0
	err := a.call(ctx, chat, "sendMessage", 0, func(ctx context.Context) error {
		m, err := a.api.SendMessage(ctx, &tgbot.SendMessageParams{
			ChatID: chat, Text: html, ParseMode: models.ParseModeHTML, LinkPreviewOptions: noPreview, ReplyMarkup: mk,
		})
		if err == nil && m != nil {
			id = m.ID
		}
		return err
	})
	if isEntityError(err) {
		// Should not happen, as every text is escaped; rather than lose the
		// message, send it without formatting.
		a.log.Error("telegram: HTML refused; sending plain text", "err", err)
		plain := htmlToPlain(html)
		err = a.call(ctx, chat, "sendMessage", 0, func(ctx context.Context) error {
			m, err := a.api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chat, Text: plain, LinkPreviewOptions: noPreview, ReplyMarkup: mk})
			if err == nil && m != nil {
				id = m.ID
			}
			return err
		})
	}
	return id, err
}

func (a *Adapter) editText(ctx context.Context, chat int64, msgID int, html string, mk models.ReplyMarkup) error {
	err := a.call(ctx, chat, "editMessageText", 0, func(ctx context.Context) error {
		_, err := a.api.EditMessageText(ctx, &tgbot.EditMessageTextParams{
			ChatID: chat, MessageID: msgID, Text: html, ParseMode: models.ParseModeHTML,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()}, ReplyMarkup: mk,
		})
		return err
	})
	if err == nil || !errors.Is(err, errPermanent) {
		return err
	}
	if strings.Contains(err.Error(), "message is not modified") {
		return nil
	}
	return fmt.Errorf("%w: %v", errCannotEdit, err)
}

func (a *Adapter) sendPhoto(ctx context.Context, chat int64, img *bot.Image, mk models.ReplyMarkup) error {
	return a.upload(ctx, chat, "sendPhoto", img.Name, "image.png", img.PNG, func(ctx context.Context, file models.InputFile) error {
		_, err := a.api.SendPhoto(ctx, &tgbot.SendPhotoParams{
			ChatID: chat, Photo: file,
			Caption: escapeHTML(truncateRunes(img.Alt, 1000)), ParseMode: models.ParseModeHTML, ReplyMarkup: mk,
		})
		return err
	})
}

func (a *Adapter) sendDocument(ctx context.Context, chat int64, f *bot.File, mk models.ReplyMarkup) error {
	return a.upload(ctx, chat, "sendDocument", f.Name, "file", f.Data, func(ctx context.Context, file models.InputFile) error {
		_, err := a.api.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: chat, Document: file, ReplyMarkup: mk})
		return err
	})
}

// upload sends data to chat as the file name (or, without one, def) with
// the API method that send calls: each attempt reads data afresh.
func (a *Adapter) upload(ctx context.Context, chat int64, method, name, def string, data []byte, send func(context.Context, models.InputFile) error) error {
	if name == "" {
		name = def
	}
	return a.call(ctx, chat, method, 0, func(ctx context.Context) error {
		return send(ctx, &models.InputFileUpload{Filename: name, Data: bytes.NewReader(data)})
	})
}

// answerCallback stops the button's spinner at once; text, when set, shows
// as a short notice.
func (a *Adapter) answerCallback(ctx context.Context, id, text string, alert bool) {
	err := a.call(ctx, 0, "answerCallbackQuery", 3, func(ctx context.Context) error {
		_, err := a.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text, ShowAlert: alert})
		return err
	})
	if err != nil {
		a.log.Warn("telegram: answerCallbackQuery", "err", err)
	}
}

// maxCallbackData is Telegram's limit on a button's callback data, in bytes.
const maxCallbackData = 64

// tokenPrefix starts the callback data that stands for a longer command
// kept in the store. Commands start with "/", so no command looks like it.
const tokenPrefix = "~"

// homeKeyboard is the persistent reply keyboard of a person's home:
// pressing a button sends its label as a message.
func homeKeyboard(h *bot.Home) models.ReplyMarkup {
	var rows [][]models.KeyboardButton
	for _, row := range h.Keyboard {
		var out []models.KeyboardButton
		for _, b := range row {
			out = append(out, models.KeyboardButton{Text: b.Label})
		}
		rows = append(rows, out)
	}
	return &models.ReplyKeyboardMarkup{Keyboard: rows, IsPersistent: true, ResizeKeyboard: true}
}

// inlineKeyboard is Telegram's InlineKeyboardMarkup as the bot sends it:
// callback buttons and nothing else. The library's button type always
// writes "copy_text":{"text":""} (a struct field, which omitempty cannot
// drop), and Telegram has been reported to refuse such buttons with
// BUTTON_COPY_TEXT_INVALID; the library sends any ReplyMarkup as its JSON,
// so this type is all it takes.
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

// inlineButton is a button that sends its callback data when pressed.
type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// keyboard turns button rows into an inline keyboard; nil without buttons.
func (a *Adapter) keyboard(ctx context.Context, rows [][]bot.Button) (models.ReplyMarkup, error) {
	var kb [][]inlineButton
	for _, row := range rows {
		var out []inlineButton
		for _, b := range row {
			data, err := a.callbackData(ctx, b.Data)
			if err != nil {
				return nil, err
			}
			label := b.Label
			if strings.TrimSpace(label) == "" {
				label = b.Data
			}
			out = append(out, inlineButton{Text: label, CallbackData: data})
		}
		if len(out) > 0 {
			kb = append(kb, out)
		}
	}
	if len(kb) == 0 {
		return nil, nil
	}
	return &inlineKeyboard{InlineKeyboard: kb}, nil
}

// callbackData returns data itself when it fits Telegram's 64 bytes, and
// otherwise a short token under which the store keeps it. The token is a
// hash of the data, so the same button always gets the same token.
func (a *Adapter) callbackData(ctx context.Context, data string) (string, error) {
	if data != "" && len(data) <= maxCallbackData && !strings.HasPrefix(data, tokenPrefix) && utf8.ValidString(data) {
		return data, nil
	}
	sum := sha256.Sum256([]byte(data))
	tok := tokenPrefix + base64.RawURLEncoding.EncodeToString(sum[:18])
	if err := a.store.PutToken(context.WithoutCancel(ctx), tok, data, tokenTTL); err != nil {
		return "", err
	}
	return tok, nil
}

func isEntityError(err error) bool {
	return err != nil && errors.Is(err, errPermanent) && strings.Contains(err.Error(), "can't parse entities")
}
