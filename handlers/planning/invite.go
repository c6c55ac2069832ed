package planning

import (
	"context"
	"errors"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// Invitations: a client with an e-mail address can be sent a meeting as
// an iCalendar invitation; a moved meeting sends the changed invitation
// and a cancelled one the cancellation. The mail family sends them
// (core.Kit.SendMeeting, nil when no e-mail is configured).

// meetingButtons are the buttons under a meeting: cancel, the plan, and
// the invitation when e-mail is configured and the client has an address.
func (s *service) meetingButtons(r *core.Request, m *crm.Meeting, c *crm.Client) []bot.Button {
	bs := []bot.Button{
		{Label: r.T("meeting.button.cancel"), Data: "/meeting cancel " + m.Ref()},
		{Label: r.T("button.plan"), Data: "/plan " + core.ClientRef(c)},
	}
	if s.kit.SendMeeting != nil && core.ClientEmail(c) != "" && m.InvitedAt.IsZero() {
		bs = append([]bot.Button{{Label: r.T("mail.button.invite"), Data: "/meeting invite " + m.Ref()}}, bs...)
	}
	return bs
}

var errAlreadyInvited = errors.New("already invited")

// meetingInvite sends the client's contact an iCalendar invitation
// (METHOD:REQUEST) to meeting ref. The invitation is claimed on the
// meeting before sending; a failed send releases the claim.
func (s *service) meetingInvite(ctx context.Context, w bot.ReplyWriter, r *core.Request, ref string) error {
	if s.kit.SendMeeting == nil {
		return crm.Errorf(crm.EINVALID, "mail.not_configured")
	}
	m, c, err := s.visibleMeeting(ctx, r, ref)
	if err != nil {
		return err
	}
	if !m.CancelledAt.IsZero() {
		return w.Reply(ctx, bot.Reply{Text: r.T("meeting.already_cancelled", "id", m.Ref())})
	}
	to := core.ClientEmail(c)
	if to == "" {
		return crm.Errorf(crm.EINVALID, "mail.no_client_email", "name", c.Name)
	}
	var invitedAt time.Time
	claimed, err := s.store.UpdateMeeting(ctx, m.ID, func(x *crm.Meeting) error {
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
	if err := s.kit.SendMeeting(ctx, r, claimed, c, "REQUEST"); err != nil {
		if _, uerr := s.store.UpdateMeeting(wctx, m.ID, func(x *crm.Meeting) error { x.InvitedTo, x.InvitedAt = "", time.Time{}; return nil }); uerr != nil {
			s.kit.Log.Error("meeting: could not clear the invitation mark", "meeting", m.Ref(), "err", uerr)
		}
		s.kit.Log.Warn("e-mail not sent", "what", "invitation "+m.Ref(), "err", err)
		return w.Reply(ctx, bot.Reply{Text: core.SendFailed(r, err)})
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("mail.invited", "id", m.Ref(), "to", to, "time", r.FmtTime(m.At)), Edit: r.Button})
}

// meetingCancelMail tells an invited client that m is called off
// (METHOD:CANCEL, the SEQUENCE one higher than the invitation's). It
// reports a line for the person, "" when nothing was to be sent.
func (s *service) meetingCancelMail(ctx context.Context, r *core.Request, m *crm.Meeting, c *crm.Client) string {
	if s.kit.SendMeeting == nil || m.InvitedTo == "" {
		return ""
	}
	next, err := s.store.UpdateMeeting(crm.WithoutDeliveryKey(ctx), m.ID, func(x *crm.Meeting) error { x.Sequence++; return nil })
	if err != nil {
		s.kit.Log.Error("meeting: cancellation not sent", "meeting", m.Ref(), "err", err)
		return r.T("mail.send_failed", "reason", r.T("error.internal"))
	}
	if err := s.kit.SendMeeting(ctx, r, next, c, "CANCEL"); err != nil {
		s.kit.Log.Warn("e-mail not sent", "what", "cancellation "+m.Ref(), "err", err)
		return core.SendFailed(r, err)
	}
	return r.T("mail.cancel_sent", "to", m.InvitedTo)
}

// meetingUpdateMail sends an invited client the changed invitation (the
// caller bumped its SEQUENCE). It reports a line for the person, "" when
// nothing was to be sent.
func (s *service) meetingUpdateMail(ctx context.Context, r *core.Request, m *crm.Meeting, c *crm.Client) string {
	if s.kit.SendMeeting == nil || m.InvitedTo == "" {
		return ""
	}
	if err := s.kit.SendMeeting(ctx, r, m, c, "REQUEST"); err != nil {
		s.kit.Log.Warn("e-mail not sent", "what", "changed invitation "+m.Ref(), "err", err)
		return core.SendFailed(r, err)
	}
	return r.T("mail.update_sent", "to", m.InvitedTo)
}
