// Package mail is the mail family: the client mail the bot reads from a
// mailbox (Inbox.LogMail: logged once as an #email conversation on the
// client it names, or kept for heads) and /mail, where heads attach or
// dismiss the messages that named no client. Its words are in
// i18n/locales/{en,bg}/mail.toml; its data goes through Store. It
// registers itself with Register and meets other families only through
// the hooks of handlers/core. Sending mail (follow-ups, meeting
// invitations) belongs to the records that are sent, and the calendar
// feed, which gathers every family's entries, to the service.
package mail

import (
	"context"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// Store is the mail family's port: the mail decided and kept, and the few
// reads and writes of clients, people and files that logging mail needs
// (11 methods).
type Store interface {
	MailStore
	// ClientsByOwner returns the clients of owners, owner by owner in the
	// order given and by name within an owner.
	ClientsByOwner(ctx context.Context, owners []uint64) ([]*crm.Client, error)
	// People returns everyone, dismissed people included, by id. The
	// people may be shared with other callers: they must not be modified.
	People(ctx context.Context) ([]*crm.Person, error)
	// SaveAttachment stores the bytes and the record, giving a its id;
	// with a.ClientID 0 the file waits, listed nowhere, until
	// FileAttachment.
	SaveAttachment(ctx context.Context, a *crm.Attachment, data []byte) error
}

// MailStore keeps what reading client mail needs: the client index by
// e-mail, the claims of read messages (a message is decided once, across
// replicas reading the same mailbox) and unmatched mail. It follows the
// rules every port shares (handlers/service.go).
type MailStore interface {
	// ClientsByEmail returns the clients whose e-mail field holds addr (in
	// any case), from the index (no client is scanned).
	ClientsByEmail(ctx context.Context, addr string) ([]*crm.Client, error)
	// LogMail logs conv as the message key unless that message was
	// decided before (logged, or kept as unmatched), in one transaction;
	// logged reports whether this call wrote it.
	LogMail(ctx context.Context, key string, conv *crm.Conversation) (logged bool, err error)
	// MailSeen reports whether the message key was decided before.
	MailSeen(ctx context.Context, key string) (bool, error)
	// KeepUnmatchedMail keeps m, a message that names no client, for the
	// heads unless its message was decided before; kept reports whether
	// this call stored it.
	KeepUnmatchedMail(ctx context.Context, m *crm.UnmatchedMail) (kept bool, err error)
	// UnmatchedMails returns up to limit unmatched messages, newest first.
	UnmatchedMails(ctx context.Context, limit int) ([]*crm.UnmatchedMail, error)
	// UnmatchedMail returns the unmatched message id, or crm.ErrNotFound.
	UnmatchedMail(ctx context.Context, id uint64) (*crm.UnmatchedMail, error)
	// AttachUnmatchedMail logs conv for the unmatched message id and drops
	// it from the list, in one transaction; a message attached already is
	// crm.ErrNotFound.
	AttachUnmatchedMail(ctx context.Context, id uint64, conv *crm.Conversation) error
	// DropUnmatchedMail forgets the unmatched message id; its claim stays,
	// so it is not read again.
	DropUnmatchedMail(ctx context.Context, id uint64) error
}

// maxUnmatchedList is how many unmatched messages /mail unmatched shows.
const maxUnmatchedList = 20

// Inbox answers /mail and decides the messages read from the mailbox.
type Inbox struct {
	kit   *core.Kit
	store Store
}

// Register adds /mail to the service behind reg and returns the inbox
// the service hands the messages it reads (handlers.Service.LogMail).
func Register(reg core.Registry, st Store) *Inbox {
	in := &Inbox{kit: reg.Kit(), store: st}
	defer reg.Family("mail")()
	reg.Add(&core.Spec{Name: "mail", MinRole: crm.RoleHead, Run: in.mailCmd})
	return in
}

// mailCmd: "/mail unmatched", "/mail attach N NAME", "/mail dismiss N".
func (in *Inbox) mailCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "mail.usage")
	}
	switch a := args[0]; {
	case r.Is(a, "mail.unmatched"):
		return in.unmatched(ctx, w, r)
	case r.Is(a, "mail.attach"):
		if len(args) < 2 {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		id, ok := core.ParseRef("E", args[1])
		if !ok {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		if len(args) == 2 {
			return in.attachAsk(ctx, w, r, id)
		}
		return in.attach(ctx, w, r, id, strings.Join(args[2:], " "))
	case r.Is(a, "mail.dismiss"):
		if len(args) != 2 {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		id, ok := core.ParseRef("E", args[1])
		if !ok {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		if err := in.store.DropUnmatchedMail(ctx, id); err != nil {
			return notFound(err, id)
		}
		return w.Reply(ctx, bot.Reply{Text: r.T("mail.dismissed", "id", core.IDRef("E", id)), Edit: r.Button})
	}
	return crm.Errorf(crm.EINVALID, "mail.usage")
}

// notFound says which message is gone when err is crm.ErrNotFound, and
// returns any other error as it is.
func notFound(err error, id uint64) error {
	if crm.IsNotFound(err) {
		return crm.Errorf(crm.ENOTFOUND, "mail.not_found", "id", core.IDRef("E", id))
	}
	return err
}

// unmatched lists the messages that named no client, newest first, each
// with buttons to attach or dismiss it.
func (in *Inbox) unmatched(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	ms, err := in.store.UnmatchedMails(ctx, maxUnmatchedList)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("mail.unmatched_none")})
	}
	var lines []string
	var buttons [][]bot.Button
	for _, m := range ms {
		ref := core.IDRef("E", m.ID)
		subj := m.Subject
		if subj == "" {
			subj = r.T("mail.no_subject")
		}
		lines = append(lines, "• "+ref+" · "+r.FmtDate(m.Date)+" · "+m.From+" → "+strings.Join(m.To, ", ")+"\n  "+core.Truncate(subj, 120))
		buttons = append(buttons, []bot.Button{
			{Label: r.T("mail.button.attach", "id", ref), Data: "/mail attach " + ref},
			{Label: r.T("mail.button.dismiss", "id", ref), Data: "/mail dismiss " + ref},
		})
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("mail.unmatched_title", "count", len(ms)), Text: strings.Join(lines, "\n"), Buttons: buttons})
}

// attachAsk offers the clients to attach a message to: the sender's own,
// by last touch, as buttons; any other can be typed.
func (in *Inbox) attachAsk(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	m, err := in.store.UnmatchedMail(ctx, id)
	if err != nil {
		return notFound(err, id)
	}
	ref := core.IDRef("E", m.ID)
	owner := m.AuthorID
	if owner == 0 {
		owner = r.Me.ID
	}
	cs, err := in.store.ClientsByOwner(ctx, []uint64{owner})
	if err != nil {
		return err
	}
	var buttons [][]bot.Button
	for i, c := range cs {
		if i == 8 {
			break
		}
		buttons = append(buttons, []bot.Button{{Label: c.Name, Data: "/mail attach " + ref + " " + core.ClientRef(c)}})
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("mail.attach_which", "id", ref, "subject", m.Subject), Buttons: buttons})
}

// attach logs the unmatched message id on the client ref names, credited
// to whoever sent it from the company (else the sender of the command).
func (in *Inbox) attach(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64, ref string) error {
	m, err := in.store.UnmatchedMail(ctx, id)
	if err != nil {
		return notFound(err, id)
	}
	c, actor, err := r.ChangeableClient(ctx, ref)
	if err != nil {
		return err
	}
	author := actor.PersonID
	if m.AuthorID != 0 {
		author = m.AuthorID
	}
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: author, Channels: []string{"email"}, Text: convText(m.Subject, m.Text), At: mailTime(m.Date, r.Now)}
	if err := in.store.AttachUnmatchedMail(ctx, id, conv); err != nil {
		return notFound(err, id)
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("mail.attached", "id", core.IDRef("E", id), "name", c.Name), Edit: r.Button})
}

// mailTime is when a message was written, or now when its date is missing
// or in the future.
func mailTime(d, now time.Time) time.Time {
	if d.IsZero() || d.After(now) {
		return now
	}
	return d
}

// convText is what a logged message keeps: its subject and its text.
func convText(subject, text string) string {
	out := strings.TrimSpace(subject)
	if t := strings.TrimSpace(text); t != "" {
		if out != "" {
			out += "\n\n"
		}
		out += t
	}
	return core.Truncate(out, core.MaxTextRunes)
}
