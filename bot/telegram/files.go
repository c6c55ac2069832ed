package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"accountbot/bot"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// downloadTries is how often a file download is tried before the person
// is told it could not be fetched.
const downloadTries = 3

// documentAttachment turns a document sent to the bot into an attachment
// that is downloaded only when a handler opens it.
func (a *Adapter) documentAttachment(doc *models.Document) bot.Attachment {
	name := doc.FileName
	if name == "" {
		name = "file"
	}
	id, size := doc.FileID, doc.FileSize
	return bot.Attachment{
		Name: name, MIME: doc.MimeType, Size: size,
		Open: func(ctx context.Context) ([]byte, error) { return a.download(ctx, id, size) },
	}
}

// download fetches a file: getFile gives its path, then the file comes
// from <api base>/file/bot<token>/<path>. A file larger than
// bot.MaxAttachmentBytes is refused before any byte of it is read.
func (a *Adapter) download(ctx context.Context, fileID string, size int64) ([]byte, error) {
	if size > bot.MaxAttachmentBytes {
		return nil, bot.ErrAttachmentTooLarge
	}
	var f *models.File
	err := a.call(ctx, 0, "getFile", downloadTries, func(ctx context.Context) (err error) {
		f, err = a.api.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
		return err
	})
	switch {
	case err != nil && strings.Contains(err.Error(), "file is too big"):
		// The Bot API serves files up to 20 MB.
		return nil, bot.ErrAttachmentTooLarge
	case err != nil:
		return nil, err
	case f.FileSize > bot.MaxAttachmentBytes:
		return nil, bot.ErrAttachmentTooLarge
	case f.FilePath == "":
		return nil, errors.New("telegram: getFile gave no file path")
	}
	link := a.api.FileDownloadLink(f)
	var data []byte
	backoff := a.backoffMin
	for attempt := 1; ; attempt++ {
		var retry bool
		data, retry, err = a.fetch(ctx, link)
		if err == nil || !retry || attempt >= downloadTries || ctx.Err() != nil {
			break
		}
		a.log.Warn("telegram: file download failed; retrying", "attempt", attempt, "err", err)
		if err := bot.Sleep(ctx, backoff); err != nil {
			return nil, err
		}
		backoff = min(2*backoff, a.backoffMax)
	}
	// The link carries the bot token: keep it out of every error.
	return data, redact(err, a.cfg.Token)
}

// fetch GETs link, reading at most one byte more than the limit. It
// reports whether a failure may pass when tried again.
func (a *Adapter) fetch(ctx context.Context, link string) (data []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := a.httpClient.Do(req)
	if err != nil {
		return nil, true, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("telegram: file download: %s", resp.Status)
	}
	if resp.ContentLength > bot.MaxAttachmentBytes {
		return nil, false, bot.ErrAttachmentTooLarge
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, bot.MaxAttachmentBytes+1))
	if err != nil {
		return nil, true, err
	}
	if len(data) > bot.MaxAttachmentBytes {
		return nil, false, bot.ErrAttachmentTooLarge
	}
	return data, false, nil
}

// inviteLink is the deep link that opens the bot and sends "/start CODE",
// with %s for the code; "" before getMe told the bot's username.
func (a *Adapter) inviteLink() string {
	name := a.botName()
	if name == "" {
		return ""
	}
	return "https://t.me/" + name + "?start=%s"
}
