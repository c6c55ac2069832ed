package slack

import (
	"context"
	"errors"
	"sync"
	"time"

	"accountbot/bot"

	slackapi "github.com/slack-go/slack"
)

// maxResponseURLUses is how many messages Slack takes through one
// response_url (five within 30 minutes).
const maxResponseURLUses = 5

// replier writes the replies to one message where they belong: privately
// to the sender unless they asked to share, in place when a pressed
// button's message can be updated.
type replier struct {
	a    *Adapter
	o    origin
	lang string

	mu       sync.Mutex
	replied  bool
	finished bool
	edited   bool
	urlUses  int
	urlDead  bool
	// working is the "working…" message posted with chat.postMessage,
	// which the first reply replaces.
	workingCh, workingTS string
}

func (a *Adapter) newReplier(o origin, lang string) *replier {
	return &replier{a: a, o: o, lang: lang}
}

// Reply sends r: the text part as Block Kit messages, then the image and
// the file.
func (w *replier) Reply(ctx context.Context, r bot.Reply) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.replied = true
	public := w.o.shared && !r.Private
	var errs []error
	msgs := render(ctx, r, w.a.buttonValue)
	for i, m := range msgs {
		if i == 0 && r.Edit && w.canEdit() {
			err := w.edit(ctx, m)
			if err == nil {
				w.edited = true
				continue
			}
			w.a.log.Warn("slack: cannot update the message in place; sending a new one", "err", err)
		}
		errs = append(errs, w.post(ctx, m, public))
	}
	if r.Image != nil {
		errs = append(errs, w.upload(ctx, r.Image.Name, r.Image.Alt, r.Image.PNG, public))
	}
	if r.File != nil {
		errs = append(errs, w.upload(ctx, r.File.Name, "", r.File.Data, public))
	}
	return errors.Join(errs...)
}

// canEdit reports whether the message whose button was pressed may be
// replaced: it must be the sender's own (ephemeral, or in the DM with the
// bot), never a message the whole channel sees.
func (w *replier) canEdit() bool {
	return w.o.pressedTS != "" && (w.o.pressedEphemeral || w.o.im) && !w.edited
}

// edit replaces the pressed message with m.
func (w *replier) edit(ctx context.Context, m message) error {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(m.text, true), slackapi.MsgOptionBlocks(m.blocks...)}
	if w.o.responseURL != "" && !w.urlDead {
		return w.a.send(ctx, w.o.channel, func() error {
			_, _, _, err := w.a.api.SendMessageContext(ctx, w.o.channel, append(opts, slackapi.MsgOptionReplaceOriginal(w.o.responseURL))...)
			return err
		})
	}
	return w.a.send(ctx, w.o.channel, func() error {
		_, _, _, err := w.a.api.UpdateMessageContext(ctx, w.o.channel, w.o.pressedTS, opts...)
		return err
	})
}

// post sends m as a new message: to the channel when public, else to the
// sender only (the DM with the bot, the response_url as an ephemeral
// message, an ephemeral message in the channel, or at last the DM).
func (w *replier) post(ctx context.Context, m message, public bool) error {
	base := []slackapi.MsgOption{slackapi.MsgOptionText(m.text, true), slackapi.MsgOptionBlocks(m.blocks...)}
	opts := base
	if w.o.thread != "" {
		opts = append(opts[:len(opts):len(opts)], slackapi.MsgOptionTS(w.o.thread))
	}
	if w.workingTS != "" && !public {
		ch, ts := w.workingCh, w.workingTS
		w.workingCh, w.workingTS = "", ""
		err := w.a.send(ctx, ch, func() error {
			_, _, _, err := w.a.api.UpdateMessageContext(ctx, ch, ts, base...)
			return err
		})
		if err == nil {
			return nil
		}
		w.a.log.Warn("slack: cannot replace the working message", "err", err)
	}
	switch {
	case public:
		if w.useResponseURL() && w.viaResponseURL(ctx, opts, slackapi.ResponseTypeInChannel) == nil {
			return nil
		}
		_, err := w.a.postMessage(ctx, w.o.channel, opts)
		return err
	case w.o.im:
		_, err := w.a.postMessage(ctx, w.o.channel, opts)
		return err
	case w.useResponseURL():
		if w.viaResponseURL(ctx, opts, slackapi.ResponseTypeEphemeral) == nil {
			return nil
		}
	case w.o.channel != "":
		err := w.a.send(ctx, w.o.channel, func() error {
			_, err := w.a.api.PostEphemeralContext(ctx, w.o.channel, w.o.user, opts...)
			return err
		})
		if err == nil {
			return nil
		}
		w.a.log.Warn("slack: cannot answer in the channel; answering in the DM", "err", err)
	}
	return w.toDM(ctx, base)
}

func (w *replier) useResponseURL() bool {
	return w.o.responseURL != "" && !w.urlDead && w.urlUses < maxResponseURLUses
}

// viaResponseURL posts through the response_url; a URL that fails (expired,
// used up) is not tried again for this message.
func (w *replier) viaResponseURL(ctx context.Context, opts []slackapi.MsgOption, kind string) error {
	w.urlUses++
	err := w.a.send(ctx, w.o.channel, func() error {
		_, _, _, err := w.a.api.SendMessageContext(ctx, w.o.channel, append(opts, slackapi.MsgOptionResponseURL(w.o.responseURL, kind))...)
		return err
	})
	if err != nil {
		w.urlDead = true
		w.a.log.Warn("slack: the response_url failed; answering another way", "err", err)
	}
	return err
}

// toDM posts in the direct messages of the sender with the bot (opts
// carry no thread: a thread of another channel does not exist there).
func (w *replier) toDM(ctx context.Context, opts []slackapi.MsgOption) error {
	ch, err := w.a.dmChannel(ctx, w.o.user)
	if err != nil {
		return err
	}
	_, err = w.a.postMessage(ctx, ch, opts)
	return err
}

// upload sends a file with the files upload v2 flow: to the channel when
// public or in the DM, else to the sender's DM with a short note where they
// are.
func (w *replier) upload(ctx context.Context, name, alt string, data []byte, public bool) error {
	ch := w.o.channel
	thread := w.o.thread
	toDM := !public && !w.o.im
	if toDM || ch == "" {
		dm, err := w.a.dmChannel(ctx, w.o.user)
		if err != nil {
			return err
		}
		ch, thread = dm, ""
	}
	err := w.a.uploadFile(ctx, ch, thread, name, alt, data)
	if err != nil && public && !w.o.im {
		// The bot may not be a member of the channel: the DM still works.
		dm, derr := w.a.dmChannel(ctx, w.o.user)
		if derr != nil {
			return err
		}
		w.a.log.Warn("slack: cannot upload to the channel; sending to the DM", "err", err)
		ch, toDM = dm, true
		err = w.a.uploadFile(ctx, dm, "", name, alt, data)
	}
	if err == nil && toDM && w.o.channel != ch {
		loc := w.a.cat.For(w.lang)
		note := loc.T("slack.file_sent_dm", "name", name)
		msgs := render(ctx, bot.Reply{Text: note}, w.a.buttonValue)
		if len(msgs) > 0 {
			_ = w.post(ctx, msgs[0], false)
		}
	}
	return err
}

// startWorking shows "working…" to the sender if no reply came within d;
// the returned function stops the timer.
func (w *replier) startWorking(ctx context.Context, d time.Duration) func() {
	t := time.AfterFunc(d, func() { w.working(ctx) })
	return func() { t.Stop() }
}

func (w *replier) working(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.replied || w.finished {
		return
	}
	loc := w.a.cat.For(w.lang)
	text := loc.T("slack.working")
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, true)}
	if w.o.thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(w.o.thread))
	}
	switch {
	case w.o.im:
		ts, err := w.a.postMessage(ctx, w.o.channel, opts)
		if err == nil {
			w.workingCh, w.workingTS = w.o.channel, ts
		}
	case w.useResponseURL():
		_ = w.viaResponseURL(ctx, opts, slackapi.ResponseTypeEphemeral)
	case w.o.channel != "":
		_ = w.a.send(ctx, w.o.channel, func() error {
			_, err := w.a.api.PostEphemeralContext(ctx, w.o.channel, w.o.user, opts...)
			return err
		})
	}
}

// finish ends the message: a "working…" that no reply replaced is removed.
func (w *replier) finish(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.finished = true
	if w.workingTS != "" {
		ch, ts := w.workingCh, w.workingTS
		w.workingCh, w.workingTS = "", ""
		_ = w.a.send(ctx, ch, func() error {
			_, _, err := w.a.api.DeleteMessageContext(ctx, ch, ts)
			return err
		})
	}
}

var _ bot.ReplyWriter = (*replier)(nil)
