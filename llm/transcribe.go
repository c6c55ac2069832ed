package llm

import (
	"bytes"
	"context"
	"errors"
	"path"
	"strings"
	"time"

	"accountbot/crm"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultTranscribeModel is the speech-to-text model asked for when the
// configuration names none (OPENAI_TRANSCRIBE_MODEL).
const DefaultTranscribeModel = "whisper-1"

// DefaultTranscribeDeadline bounds one transcription with all its
// attempts: a ten-minute voice note takes a while even on a fast server.
const DefaultTranscribeDeadline = 90 * time.Second

// Audio is a recording to transcribe.
type Audio struct {
	// Name is the file name; its extension tells the server the format
	// ("voice.ogg").
	Name string
	Data []byte
	// Lang is a hint of the spoken language ("bg", "en"), or "".
	Lang string
}

// Transcribe turns speech into text through the server's
// /audio/transcriptions, under the same deadline and retry rules as a
// completion (its own, longer deadline: TranscribeDeadline).
func (c *Client) Transcribe(ctx context.Context, a Audio) (string, error) {
	if err := crm.Settle(ctx); err != nil {
		return "", err
	}
	name := path.Base(a.Name)
	if name == "." || name == "/" || name == "" {
		name = "voice.ogg"
	}
	var text string
	deadline := c.cfg.TranscribeDeadline
	if deadline <= 0 {
		deadline = DefaultTranscribeDeadline
	}
	cc := *c
	cc.cfg.Deadline = deadline
	err := cc.retry(ctx, func(ctx context.Context, attempt int) error {
		resp, err := c.api.CreateTranscription(ctx, openai.AudioRequest{
			Model: c.TranscribeModel(), FilePath: name, Reader: bytes.NewReader(a.Data), Language: a.Lang,
		})
		if err != nil {
			return err
		}
		text = strings.TrimSpace(resp.Text)
		if text == "" {
			return &Error{Reason: ReasonBadReply, Attempts: attempt, Err: errors.New("empty transcript")}
		}
		return nil
	})
	return text, err
}

// TranscribeModel returns the speech-to-text model the client asks for.
func (c *Client) TranscribeModel() string {
	if m := strings.TrimSpace(c.cfg.TranscribeModel); m != "" {
		return m
	}
	return DefaultTranscribeModel
}
