package handlers

import (
	"context"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// Mailer sends e-mail. Send returns once the server accepted the message
// (and sets m.MessageID), or with the reason it did not.
type Mailer interface {
	Send(ctx context.Context, m *crm.OutgoingMail) error
	// From is the sender's address (ACCOUNTBOT_MAIL_FROM).
	From() string
}

// WithMailer makes the bot send e-mail (follow-ups, invitations).
func WithMailer(m Mailer) Option { return func(s *Service) { s.mailer = m } }

// WithPublicURL sets the base URL of links to the HTTP server (calendar
// feeds).
func WithPublicURL(u string) Option {
	return func(s *Service) { s.publicURL = strings.TrimRight(u, "/") }
}

// sendFailure tells plainly why a message did not go out.
func (s *Service) sendFailure(ctx context.Context, w bot.ReplyWriter, r *request, what string, err error) error {
	s.log.Warn("e-mail not sent", "what", what, "err", err)
	return w.Reply(ctx, bot.Reply{Text: core.SendFailed(r.Request, err)})
}

// followupEmail sends draft id to the client's e-mail and logs it as an
// #email conversation once the server accepted it. The draft is claimed as
// sent in the store before sending, so that a second press (or the same
// press delivered again) never sends it twice; a failed send releases it.
func (s *Service) followupEmail(ctx context.Context, w bot.ReplyWriter, r *request, id uint64) error {
	if s.mailer == nil {
		return crm.Errorf(crm.EINVALID, "mail.not_configured")
	}
	d, err := s.ownDraft(ctx, r, id)
	if err != nil {
		return err
	}
	c, actor, err := r.ChangeableClient(ctx, "#"+itoa(d.ClientID))
	if err != nil {
		return err
	}
	to := core.ClientEmail(c)
	if to == "" {
		return crm.Errorf(crm.EINVALID, "mail.no_client_email", "name", c.Name)
	}
	ref := core.IDRef("F", id)
	var sentBefore time.Time
	if _, err := s.store.UpdateDraft(ctx, id, func(x *crm.Draft) error {
		if !x.SentAt.IsZero() {
			sentBefore = x.SentAt
			return errAlreadySent
		}
		x.SentAt, x.EmailedTo = r.Now, to
		return nil
	}); err != nil {
		if err == errAlreadySent {
			return w.Reply(ctx, bot.Reply{Text: r.T("followup.already_sent", "id", ref, "date", r.FmtDate(sentBefore))})
		}
		return err
	}
	// From here on the delivery is claimed: later writes must not claim it again.
	wctx := crm.WithoutDeliveryKey(ctx)
	release := func() {
		if _, err := s.store.UpdateDraft(wctx, id, func(x *crm.Draft) error { x.SentAt, x.EmailedTo = time.Time{}, ""; return nil }); err != nil {
			s.log.Error("follow-up: could not clear the sent mark", "draft", id, "err", err)
		}
	}
	subject := d.Subject
	if subject == "" {
		subject = r.T("mail.default_subject", "name", c.Name)
	}
	m := &crm.OutgoingMail{To: to, ToName: c.Contact, ReplyTo: crm.NormalizeEmail(r.Me.Email), ReplyName: r.Me.Name, Subject: subject, Text: d.Body}
	if err := s.mailer.Send(ctx, m); err != nil {
		release()
		return s.sendFailure(ctx, w, r, "follow-up "+ref, err)
	}
	d.SentAt, d.EmailedTo, d.MessageID = r.Now, to, m.MessageID
	if _, err := s.store.UpdateDraft(wctx, id, func(x *crm.Draft) error { x.MessageID = m.MessageID; return nil }); err != nil {
		s.log.Error("follow-up: sent, but its Message-ID was not kept", "draft", id, "err", err)
	}
	msg, buttons, err := s.logSentDraft(wctx, r, c, actor, d)
	if err != nil {
		// Sent, and the mark stays so that it is not sent again; the
		// person is told that the history lacks it.
		s.log.Error("follow-up: sent but not logged", "draft", id, "err", err)
		return w.Reply(ctx, bot.Reply{Text: r.T("mail.sent_not_logged", "id", ref, "to", to)})
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: buttons})
}

// sendMeetingMail sends the invitation (REQUEST) or the cancellation
// (CANCEL) of m to the address it was invited at, with the person as the
// organizer and the time in UTC (calendar programs show it in each
// reader's zone): the planning family's core.Kit.SendMeeting, set when a
// mailer is.
func (s *Service) sendMeetingMail(ctx context.Context, r *core.Request, m *crm.Meeting, c *crm.Client, method string) error {
	organizer := r.People[m.PersonID]
	if organizer == nil {
		organizer = &crm.Person{ID: m.PersonID}
	}
	orgEmail, orgName := crm.NormalizeEmail(organizer.Email), organizer.Name
	if orgEmail == "" {
		orgEmail = crm.NormalizeEmail(s.mailer.From())
	}
	summary := r.T("mail.invite_summary", "name", c.Name)
	if m.Topic != "" {
		summary = core.OneLine(m.Topic)
	}
	ics, err := meetingInvitation(method, m, orgEmail, orgName, m.InvitedTo, c.Contact, summary, r.Now)
	if err != nil {
		return err
	}
	// The invitation speaks the client's language.
	loc := r.Loc
	if c.Lang == "en" || c.Lang == "bg" {
		loc = s.cat.For(c.Lang)
	}
	when := r.FmtTime(m.At) + " (" + m.At.In(r.TZ).Format("MST -07:00") + ")"
	subjKey, textKey := "mail.invite_subject", "mail.invite_text"
	if method == "CANCEL" {
		subjKey, textKey = "mail.cancel_subject", "mail.cancel_text"
	}
	text := loc.T(textKey, "summary", summary, "time", when, "name", orgName)
	out := &crm.OutgoingMail{To: m.InvitedTo, ToName: c.Contact, ReplyTo: crm.NormalizeEmail(organizer.Email), ReplyName: orgName,
		Subject: loc.T(subjKey, "summary", summary, "time", when), Text: text, Calendar: ics, Method: method}
	return s.mailer.Send(ctx, out)
}
