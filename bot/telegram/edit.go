package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"accountbot/bot"
)

// SendEditable sends r as one message, which EditMessage may change
// later (a long import's progress), and returns "chat:message id". r is
// meant to be short: only what fits one Telegram message is sent.
func (w *chatWriter) SendEditable(ctx context.Context, r bot.Reply) (string, error) {
	target := w.target(r)
	parts := renderReply(r)
	if len(parts) == 0 {
		return "", errors.New("telegram: an editable message needs text")
	}
	mk, err := w.a.keyboard(ctx, r.Buttons)
	if err != nil {
		return "", err
	}
	id, err := w.a.sendText(ctx, target, parts[0], mk)
	if err := w.settle(ctx, target, err); err != nil {
		return "", err
	}
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(target, 10) + ":" + strconv.Itoa(id), nil
}

// EditMessage replaces the text and buttons of a message SendEditable
// sent (editMessageText).
func (w *chatWriter) EditMessage(ctx context.Context, ref string, r bot.Reply) error {
	c, m, ok := strings.Cut(ref, ":")
	chat, err1 := strconv.ParseInt(c, 10, 64)
	id, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || (chat != w.chat && chat != w.user) {
		return fmt.Errorf("telegram: %q is not a message of this chat", ref)
	}
	parts := renderReply(r)
	if len(parts) == 0 {
		return errors.New("telegram: an edited message needs text")
	}
	mk, err := w.a.keyboard(ctx, r.Buttons)
	if err != nil {
		return err
	}
	err = w.a.editText(ctx, chat, id, parts[0], mk)
	if err != nil && ctx.Err() != nil {
		w.interrupted = true
	}
	return err
}

var _ bot.MessageEditor = (*chatWriter)(nil)
