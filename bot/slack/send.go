package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"accountbot/bot"

	slackapi "github.com/slack-go/slack"
)

// maxRateRetries bounds how often one call waits for Slack's rate limit
// before giving up.
const maxRateRetries = 30

// pacer keeps messages to one channel at least every apart (Slack allows
// about one message per second per channel) and in order.
type pacer struct {
	every time.Duration
	mu    sync.Mutex
	slots map[string]*paceSlot
}

// paceSlot is one channel's turn: sem is held while a message to the
// channel is sent; next is the earliest time of the next one.
type paceSlot struct {
	sem  chan struct{}
	next time.Time
}

func newPacer(every time.Duration) *pacer {
	return &pacer{every: every, slots: map[string]*paceSlot{}}
}

func (p *pacer) slot(ch string) *paceSlot {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.slots[ch]
	if s == nil {
		if len(p.slots) > 10000 {
			p.sweep()
		}
		s = &paceSlot{sem: make(chan struct{}, 1)}
		p.slots[ch] = s
	}
	return s
}

// sweep forgets channels that are idle and past their wait, so the map
// stays small.
func (p *pacer) sweep() {
	now := time.Now()
	for ch, s := range p.slots {
		select {
		case s.sem <- struct{}{}:
			if now.After(s.next) {
				delete(p.slots, ch)
			}
			<-s.sem
		default:
		}
	}
}

// send calls fn, which sends one message to channel ch, in the channel's
// turn, and again after Slack's Retry-After when Slack answers 429. A
// message is only sent again when Slack said it did not take it, so
// nothing is doubled.
func (a *Adapter) send(ctx context.Context, ch string, fn func() error) error {
	s := a.pace.slot(ch)
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.sem }()
	for attempt := 0; ; attempt++ {
		if err := bot.Sleep(ctx, time.Until(s.next)); err != nil {
			return err
		}
		err := fn()
		s.next = time.Now().Add(a.pace.every)
		if d, ok := retryAfter(err); ok && attempt < maxRateRetries {
			a.log.Info("slack: rate limited; waiting", "channel", ch, "retry_after", d)
			a.sends.SendRetried(bot.Slack, "429")
			s.next = time.Now().Add(d)
			continue
		}
		if err != nil && ctx.Err() == nil {
			a.sends.SendFailed(bot.Slack, "post")
		}
		return err
	}
}

// retry calls fn (a Web API call that posts nothing) again after Slack's
// Retry-After while Slack answers 429.
func (a *Adapter) retry(ctx context.Context, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		d, ok := retryAfter(err)
		if !ok || attempt >= maxRateRetries {
			if err != nil && ctx.Err() == nil {
				a.sends.SendFailed(bot.Slack, "call")
			}
			return err
		}
		a.log.Info("slack: rate limited; waiting", "retry_after", d)
		a.sends.SendRetried(bot.Slack, "429")
		if err := bot.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// retryAfter reports whether err is Slack's "too many requests" and how
// long to wait.
func retryAfter(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, time.Second), true
	}
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return time.Second, true
	}
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "ratelimited" {
		return time.Second, true
	}
	return 0, false
}

// postMessage posts with chat.postMessage and returns the message's ts.
func (a *Adapter) postMessage(ctx context.Context, ch string, opts []slackapi.MsgOption) (string, error) {
	var ts string
	err := a.send(ctx, ch, func() error {
		var err error
		_, ts, err = a.api.PostMessageContext(ctx, ch, opts...)
		return err
	})
	return ts, err
}

// dmChannel returns the id of the direct messages of user with the bot.
func (a *Adapter) dmChannel(ctx context.Context, user string) (string, error) {
	if v, ok := a.dms.Load(user); ok {
		return v.(string), nil
	}
	var ch *slackapi.Channel
	err := a.retry(ctx, func() error {
		var err error
		ch, _, _, err = a.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{user}})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("slack: cannot open the DM with %s: %w", user, err)
	}
	if ch == nil || ch.ID == "" {
		return "", fmt.Errorf("slack: no DM channel for %s", user)
	}
	a.dms.Store(user, ch.ID)
	return ch.ID, nil
}

// uploadFile shares data as a file in channel ch with the files upload v2
// flow: files.getUploadURLExternal, the upload, then
// files.completeUploadExternal.
func (a *Adapter) uploadFile(ctx context.Context, ch, thread, name, alt string, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	var up *slackapi.GetUploadURLExternalResponse
	err := a.retry(ctx, func() error {
		var err error
		up, err = a.api.GetUploadURLExternalContext(ctx, slackapi.GetUploadURLExternalParameters{
			FileName: name, FileSize: len(data), AltTxt: alt,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("slack: files.getUploadURLExternal: %w", err)
	}
	err = a.retry(ctx, func() error {
		return a.api.UploadToURL(ctx, slackapi.UploadToURLParameters{
			UploadURL: up.UploadURL, Reader: bytes.NewReader(data), Filename: name,
		})
	})
	if err != nil {
		return fmt.Errorf("slack: uploading %s: %w", name, err)
	}
	return a.send(ctx, ch, func() error {
		_, err := a.api.CompleteUploadExternalContext(ctx, slackapi.CompleteUploadExternalParameters{
			Files: []slackapi.FileSummary{{ID: up.FileID, Title: name}}, Channel: ch, ThreadTimestamp: thread,
		})
		if err != nil {
			return fmt.Errorf("slack: files.completeUploadExternal: %w", err)
		}
		return nil
	})
}
