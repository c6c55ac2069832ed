package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"accountbot/bot"

	slackapi "github.com/slack-go/slack"
)

// typedCommand reports whether a message's text, without a leading
// mention of the bot, starts with "/".
func typedCommand(text string) bool {
	return strings.HasPrefix(strings.TrimSpace(leadingMention.ReplaceAllString(text, "")), "/")
}

// attachments turns the files shared in a message into attachments that
// are downloaded only when a handler opens them. A file the event only
// names by id (some workspaces send "file_access": "check_file_info") is
// looked up with files.info first, so that its name, type and size are
// known before anything is fetched.
func (a *Adapter) attachments(ctx context.Context, files []slackapi.File) []bot.Attachment {
	var out []bot.Attachment
	for _, f := range files {
		if f.ID != "" && (f.Name == "" || firstNonEmpty(f.URLPrivateDownload, f.URLPrivate) == "") {
			var info *slackapi.File
			err := a.retry(ctx, func() error {
				var err error
				info, _, _, err = a.api.GetFileInfoContext(ctx, f.ID, 0, 0)
				return err
			})
			if err != nil {
				a.log.Warn("slack: files.info failed; is the files:read scope granted?", "file", f.ID, "err", err)
			} else {
				f = *info
			}
		}
		name := firstNonEmpty(f.Name, f.Title, f.ID)
		out = append(out, bot.Attachment{
			Kind: fileKind(f.Mimetype), Name: name, MIME: f.Mimetype, Size: int64(f.Size),
			Open: func(ctx context.Context) ([]byte, error) { return a.download(ctx, f) },
		})
	}
	return out
}

// fileKind tells a photo and a recording (a Slack audio clip) from other
// files, by their type.
func fileKind(mime string) string {
	switch {
	case strings.HasPrefix(mime, "image/"):
		return bot.KindPhoto
	case strings.HasPrefix(mime, "audio/"):
		return bot.KindAudio
	}
	return bot.KindDocument
}

// download fetches a shared file from its url_private_download with the
// bot token (Authorization: Bearer; the files:read scope). A file larger
// than bot.MaxAttachmentBytes is refused before it is fetched, or as soon
// as the download passes the limit when Slack did not say its size.
func (a *Adapter) download(ctx context.Context, f slackapi.File) ([]byte, error) {
	if int64(f.Size) > bot.MaxAttachmentBytes {
		return nil, bot.ErrAttachmentTooLarge
	}
	if f.IsExternal {
		// A Google Drive or Dropbox link: not Slack's to serve, and the
		// bot token must not go there.
		return nil, fmt.Errorf("slack: %s is an external file", f.Name)
	}
	link := firstNonEmpty(f.URLPrivateDownload, f.URLPrivate)
	if link == "" {
		return nil, fmt.Errorf("slack: no download URL for file %s", f.ID)
	}
	buf := &limitBuffer{limit: bot.MaxAttachmentBytes}
	// GetFileContext sends the token only to Slack's https hosts or to
	// SLACK_API_URL's.
	err := a.retry(ctx, func() error {
		buf.Reset()
		return a.api.GetFileContext(ctx, link, buf)
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// limitBuffer is a buffer that refuses to grow past limit bytes.
type limitBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.limit {
		return 0, bot.ErrAttachmentTooLarge
	}
	return b.Buffer.Write(p)
}

// errNotEditable: a message the bot cannot change later (ephemeral, or
// sent through a response_url).
var errNotEditable = errors.New("slack: only messages in the DM with the bot can be edited")

// SendEditable posts r as one message that EditMessage may change later
// (a long import's progress) and returns "channel:ts". Only in the DM
// with the bot: ephemeral answers cannot be updated with chat.update, and
// the handler then goes without progress. r is meant to be short: only
// its first message is sent.
func (w *replier) SendEditable(ctx context.Context, r bot.Reply) (string, error) {
	if !w.o.im || w.o.channel == "" {
		return "", errNotEditable
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	msgs := render(ctx, r, w.a.buttonValue)
	if len(msgs) == 0 {
		return "", errors.New("slack: an editable message needs text")
	}
	w.replied = true
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(msgs[0].text, true), slackapi.MsgOptionBlocks(msgs[0].blocks...)}
	if w.workingTS != "" {
		// The "working…" already shown becomes the progress message.
		ch, ts := w.workingCh, w.workingTS
		w.workingCh, w.workingTS = "", ""
		err := w.a.send(ctx, ch, func() error {
			_, _, _, err := w.a.api.UpdateMessageContext(ctx, ch, ts, opts...)
			return err
		})
		if err == nil {
			return ch + ":" + ts, nil
		}
		w.a.log.Warn("slack: cannot replace the working message", "err", err)
	}
	if w.o.thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(w.o.thread))
	}
	ts, err := w.a.postMessage(ctx, w.o.channel, opts)
	if err != nil {
		return "", err
	}
	return w.o.channel + ":" + ts, nil
}

// EditMessage replaces a message SendEditable posted (chat.update).
func (w *replier) EditMessage(ctx context.Context, ref string, r bot.Reply) error {
	ch, ts, ok := strings.Cut(ref, ":")
	if !ok || ts == "" || ch != w.o.channel {
		return fmt.Errorf("slack: %q is not a message of this conversation", ref)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	msgs := render(ctx, r, w.a.buttonValue)
	if len(msgs) == 0 {
		return errors.New("slack: an edited message needs text")
	}
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(msgs[0].text, true), slackapi.MsgOptionBlocks(msgs[0].blocks...)}
	return w.a.send(ctx, ch, func() error {
		_, _, _, err := w.a.api.UpdateMessageContext(ctx, ch, ts, opts...)
		return err
	})
}

var _ bot.MessageEditor = (*replier)(nil)
