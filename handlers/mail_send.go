package handlers

import (
	"context"
	"errors"
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

// clientEmail is the client's first contact address, or "".
func clientEmail(c *crm.Client) string {
	if es := crm.Emails(c.Email); len(es) > 0 {
		return es[0]
	}
	return ""
}

// sendFailure tells plainly why a message did not go out.
func (s *Service) sendFailure(ctx context.Context, w bot.ReplyWriter, r *request, what string, err error) error {
	s.log.Warn("e-mail not sent", "what", what, "err", err)
	return w.Reply(ctx, bot.Reply{Text: r.T("mail.send_failed", "reason", core.Truncate(core.OneLine(err.Error()), 300))})
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
	to := clientEmail(c)
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

// meetingButtons are the buttons under a meeting: cancel, the plan, and
// the invitation when e-mail is configured and the client has an address.
func (s *Service) meetingButtons(r *request, m *crm.Meeting, c *crm.Client) []bot.Button {
	bs := []bot.Button{
		{Label: r.T("meeting.button.cancel"), Data: "/meeting cancel " + m.Ref()},
		{Label: r.T("button.plan"), Data: "/plan " + core.ClientRef(c)},
	}
	if s.mailer != nil && clientEmail(c) != "" && m.InvitedAt.IsZero() {
		bs = append([]bot.Button{{Label: r.T("mail.button.invite"), Data: "/meeting invite " + m.Ref()}}, bs...)
	}
	return bs
}

var errAlreadyInvited = errors.New("already invited")

// meetingInvite sends the client's contact an iCalendar invitation
// (METHOD:REQUEST) to meeting ref. The invitation is claimed on the
// meeting before sending; a failed send releases the claim.
func (s *Service) meetingInvite(ctx context.Context, w bot.ReplyWriter, r *request, ref string) error {
	if s.mailer == nil {
		return crm.Errorf(crm.EINVALID, "mail.not_configured")
	}
	m, c, err := s.visibleMeeting(ctx, r, ref)
	if err != nil {
		return err
	}
	if !m.CancelledAt.IsZero() {
		return w.Reply(ctx, bot.Reply{Text: r.T("meeting.already_cancelled", "id", m.Ref())})
	}
	to := clientEmail(c)
	if to == "" {
		return crm.Errorf(crm.EINVALID, "mail.no_client_email", "name", c.Name)
	}
	var invitedAt time.Time
	claimed, err := s.planningStore().UpdateMeeting(ctx, m.ID, func(x *crm.Meeting) error {
		if !x.InvitedAt.IsZero() {
			invitedAt = x.InvitedAt
			return errAlreadyInvited
		}
		x.InvitedTo, x.InvitedAt = to, r.Now
		return nil
	})
	if errors.Is(err, errAlreadyInvited) {
		return w.Reply(ctx, bot.Reply{Text: r.T("mail.already_invited", "id", m.Ref(), "date", r.FmtDate(invitedAt))})
	}
	if err != nil {
		return err
	}
	wctx := crm.WithoutDeliveryKey(ctx)
	if err := s.sendMeetingMail(ctx, r, claimed, c, "REQUEST"); err != nil {
		if _, uerr := s.planningStore().UpdateMeeting(wctx, m.ID, func(x *crm.Meeting) error { x.InvitedTo, x.InvitedAt = "", time.Time{}; return nil }); uerr != nil {
			s.log.Error("meeting: could not clear the invitation mark", "meeting", m.Ref(), "err", uerr)
		}
		return s.sendFailure(ctx, w, r, "invitation "+m.Ref(), err)
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("mail.invited", "id", m.Ref(), "to", to, "time", r.FmtTime(m.At)), Edit: r.Button})
}

// sendMeetingMail sends the invitation (REQUEST) or the cancellation
// (CANCEL) of m to the address it was invited at, with the person as the
// organizer and the time in UTC (calendar programs show it in each
// reader's zone).
func (s *Service) sendMeetingMail(ctx context.Context, r *request, m *crm.Meeting, c *crm.Client, method string) error {
	organizer := s.people(r, m.PersonID)
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

// people returns person id as the request knows them, or an empty person.
func (s *Service) people(r *request, id uint64) *crm.Person {
	if p := r.People[id]; p != nil {
		return p
	}
	return &crm.Person{ID: id}
}

// meetingCancelMail tells an invited client that m is called off
// (METHOD:CANCEL, the SEQUENCE one higher than the invitation's). It
// reports a line for the person, "" when nothing was to be sent.
func (s *Service) meetingCancelMail(ctx context.Context, r *request, m *crm.Meeting, c *crm.Client) string {
	if s.mailer == nil || m.InvitedTo == "" {
		return ""
	}
	next, err := s.planningStore().UpdateMeeting(crm.WithoutDeliveryKey(ctx), m.ID, func(x *crm.Meeting) error { x.Sequence++; return nil })
	if err != nil {
		s.log.Error("meeting: cancellation not sent", "meeting", m.Ref(), "err", err)
		return r.T("mail.send_failed", "reason", r.T("error.internal"))
	}
	if err := s.sendMeetingMail(ctx, r, next, c, "CANCEL"); err != nil {
		s.log.Warn("e-mail not sent", "what", "cancellation "+m.Ref(), "err", err)
		return r.T("mail.send_failed", "reason", core.Truncate(core.OneLine(err.Error()), 300))
	}
	return r.T("mail.cancel_sent", "to", m.InvitedTo)
}

// meetingUpdateMail sends an invited client the changed invitation (the
// caller bumped its SEQUENCE). It reports a line for the person, "" when
// nothing was to be sent.
func (s *Service) meetingUpdateMail(ctx context.Context, r *request, m *crm.Meeting, c *crm.Client) string {
	if s.mailer == nil || m.InvitedTo == "" {
		return ""
	}
	if err := s.sendMeetingMail(ctx, r, m, c, "REQUEST"); err != nil {
		s.log.Warn("e-mail not sent", "what", "changed invitation "+m.Ref(), "err", err)
		return r.T("mail.send_failed", "reason", core.Truncate(core.OneLine(err.Error()), 300))
	}
	return r.T("mail.update_sent", "to", m.InvitedTo)
}
