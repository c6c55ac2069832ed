package slack

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// acker acknowledges a Socket Mode envelope; *socketmode.Client is one.
type acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

// runSocket serves Socket Mode until ctx is done. The library keeps the
// WebSocket open and reconnects; every envelope is acknowledged as soon
// as it is read, and handled afterwards.
func (a *Adapter) runSocket(ctx context.Context) error {
	smc := socketmode.New(a.api, socketmode.OptionLog(slogWriter{a.log}))
	errc := make(chan error, 1)
	go func() { errc <- smc.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			select {
			case <-errc:
			case <-time.After(5 * time.Second):
			}
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case evt := <-smc.Events:
			a.onSocketEvent(ctx, smc, evt)
		}
	}
}

// onSocketEvent handles one event of the Socket Mode client: envelopes go
// through the same code as HTTP requests, then are acknowledged with what
// HTTP would have answered.
func (a *Adapter) onSocketEvent(ctx context.Context, ack acker, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		payload, err := a.onEnvelope(ctx, evt.Request)
		if errors.Is(err, errClosing) {
			// Not acknowledged: Slack delivers it again after the restart.
			return
		}
		if err != nil {
			a.log.Warn("slack: bad envelope", "type", evt.Request.Type, "err", err)
		}
		if payload != nil {
			err = ack.Ack(*evt.Request, payload)
		} else {
			err = ack.Ack(*evt.Request)
		}
		if err != nil {
			a.log.Warn("slack: cannot acknowledge an envelope", "err", err)
		}
	case socketmode.EventTypeErrorBadMessage:
		// An envelope the library could not parse (an event type nobody
		// subscribed to): acknowledge it so Slack does not resend it.
		bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
		if !ok {
			return
		}
		var req socketmode.Request
		if json.Unmarshal(bad.Message, &req) == nil && req.EnvelopeID != "" {
			_ = ack.Ack(req)
		}
	case socketmode.EventTypeConnected:
		a.log.Info("slack: Socket Mode connected")
	case socketmode.EventTypeConnectionError:
		if e, ok := evt.Data.(*slackapi.ConnectionErrorEvent); ok {
			a.log.Warn("slack: Socket Mode connection failed; retrying", "err", e.ErrorObj, "backoff", e.Backoff)
		}
	case socketmode.EventTypeInvalidAuth:
		a.log.Error("slack: SLACK_APP_TOKEN was refused")
	}
}

// onEnvelope handles a Socket Mode envelope by its type.
func (a *Adapter) onEnvelope(ctx context.Context, req *socketmode.Request) (any, error) {
	switch req.Type {
	case socketmode.RequestTypeSlashCommands:
		var cmd slackapi.SlashCommand
		if err := json.Unmarshal(req.Payload, &cmd); err != nil {
			return nil, err
		}
		return a.onCommand(ctx, cmd, req.RetryAttempt)
	case socketmode.RequestTypeEventsAPI:
		return a.onEvents(ctx, req.Payload, req.RetryAttempt)
	case socketmode.RequestTypeInteractive:
		return a.onInteraction(ctx, req.Payload)
	}
	return nil, nil
}

// slogWriter passes the Socket Mode library's log lines to slog, at debug
// level: the adapter logs what matters itself.
type slogWriter struct{ l *slog.Logger }

func (s slogWriter) Output(_ int, msg string) error {
	s.l.Debug("slack socketmode: " + strings.TrimSpace(msg))
	return nil
}
