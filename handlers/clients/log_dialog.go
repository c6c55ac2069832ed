package clients

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// The "Log a talk" button on a phone: "/log #12" (a client and nothing
// else) starts a short dialog instead of printing a usage line. The bot
// asks what was said, then the next step, one message each, and logs the
// talk as "/log #12: TEXT next: STEP" would. Slack keeps its form (the
// adapter opens it for the same command). The dialog's state is kept in
// the store, so that a restart or another replica carries it on; it ends
// after dialogTTL without an answer.

// dialogTTL is how long a dialog waits for the next answer.
const dialogTTL = 15 * time.Minute

// logDialog is the state of one person's dialog.
type logDialog struct {
	// Client is the client's reference ("#12"), Name its name for the
	// questions.
	Client string `json:"c"`
	Name   string `json:"n"`
	// Text is the talk, once told; empty while the bot asks for it.
	Text string `json:"t,omitempty"`
}

// noStep is what the "No next step" button sends: plain text, which the
// dialog reads as the answer.
const noStep = "-"

func dialogKey(identity string) string { return "dialog/" + identity }

// startLogDialog asks for the talk with client ref.
func (s *service) startLogDialog(ctx context.Context, w bot.ReplyWriter, r *core.Request, ref string) error {
	if r.Is(ref, "log.stop") {
		if err := s.endDialog(ctx, r.Identity); err != nil {
			return err
		}
		return w.Reply(ctx, bot.Reply{Text: r.T("log.dialog.cancelled"), Edit: r.Button})
	}
	c, _, err := r.ChangeableClient(ctx, ref)
	if err != nil {
		return err
	}
	if err := s.saveDialog(ctx, r.Identity, logDialog{Client: core.ClientRef(c), Name: c.Name}); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("log.dialog.ask_text", "name", c.Name),
		Buttons: [][]bot.Button{{{Label: r.T("log.dialog.cancel"), Data: "/log stop"}}}})
}

// dialogAnswer takes a plain message as the answer to the dialog's
// question; it reports false when the sender is in no dialog.
func (s *service) dialogAnswer(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (bool, error) {
	if m.Person == nil || m.Platform == bot.Slack {
		return false, nil
	}
	raw, err := s.store.Token(ctx, dialogKey(m.Identity))
	if err != nil || raw == "" {
		return false, nil
	}
	var d logDialog
	if json.Unmarshal([]byte(raw), &d) != nil || d.Client == "" {
		return false, nil
	}
	text := strings.TrimSpace(m.Text)
	r, err := core.NewRequest(ctx, s.store, s.kit.Catalog, m, s.kit.Clock.Now(), s.kit.TZ)
	if err != nil {
		return true, err
	}
	if d.Text == "" {
		if text == noStep {
			return true, nil
		}
		if len([]rune(text)) > core.MaxTextRunes {
			return true, crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
		}
		d.Text = text
		if err := s.saveDialog(ctx, m.Identity, d); err != nil {
			return true, err
		}
		return true, w.Reply(ctx, bot.Reply{Text: r.T("log.dialog.ask_next", "name", d.Name),
			Buttons: [][]bot.Button{{{Label: r.T("log.dialog.no_next"), Data: noStep}, {Label: r.T("log.dialog.cancel"), Data: "/log stop"}}}})
	}
	cmd := "/log " + d.Client + ": " + s.lex.cmdText(d.Text)
	if step := text; step != noStep && !r.Is(step, "list.log_no_next") {
		if _, _, err := cutDue(r, step); err != nil {
			// Ask again: the dialog stays at the next step.
			return true, err
		}
		cmd += " next: " + strings.ReplaceAll(step, "\n", " ")
	}
	logMsg := *m
	logMsg.Text = cmd
	if err := s.cfg.Route(ctx, w, &logMsg); err != nil {
		return true, err
	}
	return true, s.endDialog(ctx, m.Identity)
}

func (s *service) saveDialog(ctx context.Context, identity string, d logDialog) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.store.PutToken(ctx, dialogKey(identity), string(b), dialogTTL)
}

// endDialog forgets the dialog (an empty state that soon expires).
func (s *service) endDialog(ctx context.Context, identity string) error {
	return s.store.PutToken(ctx, dialogKey(identity), "", time.Minute)
}
