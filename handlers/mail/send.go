package mail

import (
	"context"

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

// sendMeeting sends the invitation (REQUEST) or the cancellation
// (CANCEL) of m to the address it was invited at, with the person as the
// organizer and the time in UTC (calendar programs show it in each
// reader's zone): the planning family's core.Kit.SendMeeting, set when a
// mailer is.
// send sends m once the request's store has confirmed what it guessed
// (crm.Settle): nothing leaves on an unconfirmed guess.
func (s *service) send(ctx context.Context, m *crm.OutgoingMail) error {
	if err := crm.Settle(ctx); err != nil {
		return err
	}
	return s.mailer.Send(ctx, m)
}

func (s *service) sendMeeting(ctx context.Context, r *core.Request, m *crm.Meeting, c *crm.Client, method string) error {
	if err := crm.Settle(ctx); err != nil {
		return err // nothing leaves on a guess the store has not confirmed
	}
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
		loc = s.kit.Catalog.For(c.Lang)
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
