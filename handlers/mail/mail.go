// Package mail is the mail and calendar family: e-mail in and out and the
// private calendar feeds. In: the client mail the bot reads from a mailbox
// (Mail.LogMail: logged once as an #email conversation on the client it
// names, or kept for heads) and /mail, where heads attach or dismiss the
// messages that named no client. Out: the Mailer behind core.Kit.SendMail
// (the assistant family's follow-ups) and core.Kit.SendMeeting (the
// planning family's meeting invitations and cancellations, as iCalendar
// objects this package writes). The feeds: /calendar gives each person a
// private feed URL, and Mail.CalendarFeed, which the app serves over
// HTTP, writes the feed from the person's tasks and what every family adds
// (core.Registry.AddCalendar). Its words are in
// i18n/locales/{en,bg}/mail.toml; its data goes through Store. It
// registers itself with Register and meets other families only through
// the hooks of handlers/core.
package mail

import (
	"context"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// Store is the mail family's port: the mail decided and kept, the feed
// tokens, and the few reads and writes of others' records that logging
// mail and writing feeds need (19 methods, with the four of
// core.Directory that a feed's request reads the team through).
type Store interface {
	MailStore
	CalendarStore
	core.Directory
	// Person returns the person with id, or crm.ErrNotFound.
	Person(ctx context.Context, id uint64) (*crm.Person, error)
	// ClientsByOwner returns the clients of owners, owner by owner in the
	// order given and by name within an owner.
	ClientsByOwner(ctx context.Context, owners []uint64) ([]*crm.Client, error)
	// ClientNames returns the names of the clients with the given ids;
	// ids of clients that do not exist are left out (no error).
	ClientNames(ctx context.Context, ids []uint64) (map[uint64]string, error)
	// OpenTasks returns the open tasks of the assignees due before
	// before, assignee by assignee in the order given and soonest first
	// within one.
	OpenTasks(ctx context.Context, assignees []uint64, before time.Time) ([]*crm.Task, error)
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

// Config is how the family sends mail and links to the HTTP server.
type Config struct {
	// Mailer sends e-mail; nil when none is configured: then
	// core.Kit.SendMail and Kit.SendMeeting stay nil and no e-mail goes
	// out.
	Mailer Mailer
	// PublicURL is the base of links to the HTTP server (the feed URLs),
	// without a trailing slash.
	PublicURL string
}

// service answers the family's commands, reads its mail and writes its
// feeds.
type service struct {
	kit       *core.Kit
	store     Store
	mailer    Mailer
	publicURL string
	// calendars are the families' feed entries, read when a feed is
	// written (every family's, also those registered after this one).
	calendars *core.CalendarHooks
}

// Mail is the family as the service wires it in: the mail it reads
// (LogMail) and the feeds it serves over HTTP (CalendarFeed).
type Mail struct{ s *service }

// Register adds /mail and /calendar to the service behind reg (on the
// help page "mail", in that order), and with a mailer makes the kit send
// e-mail: Kit.SendMail and Kit.SendMeeting, which the families read when
// they send (not when they register). It returns what the service hands
// on: the mail it reads and the feed it serves.
func Register(reg core.Registry, st Store, cfg Config) Mail {
	s := &service{kit: reg.Kit(), store: st, mailer: cfg.Mailer, publicURL: cfg.PublicURL, calendars: reg.Calendars()}
	if s.mailer != nil {
		s.kit.SendMail, s.kit.SendMeeting = s.send, s.sendMeeting
	}
	defer reg.Family("mail")()
	reg.Add(&core.Spec{Name: "mail", MinRole: crm.RoleHead, Run: s.mailCmd})
	reg.Add(&core.Spec{Name: "calendar", MinRole: crm.RoleManager, Run: s.calendarCmd})
	return Mail{s}
}

// LogMail decides one message read from the logged mailbox: a message
// whose From, To or Cc holds a client's address is logged as an #email
// conversation on that client, credited to the person whose address sent
// or forwarded it (a forwarded message counts as from its original
// sender); any other is kept for heads (/mail unmatched). Each message is
// decided once, by its key, whatever reads it and however often.
func (m Mail) LogMail(ctx context.Context, in *crm.InboundMail) error { return m.s.logMail(ctx, in) }

// CalendarFeed returns the iCalendar feed of the token tok (the name in
// the feed URL without ".ics"): the owner's reminders and next steps,
// and what the families add (meetings, promises, claim deadlines), only
// what the owner may see. An unknown or replaced token, or a dismissed
// owner, is crm.ErrNotFound.
func (m Mail) CalendarFeed(ctx context.Context, tok string) ([]byte, error) {
	return m.s.calendarFeed(ctx, tok)
}

// mailCmd: "/mail unmatched", "/mail attach N NAME", "/mail dismiss N".
func (s *service) mailCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "mail.usage")
	}
	switch a := args[0]; {
	case r.Is(a, "mail.unmatched"):
		return s.unmatched(ctx, w, r)
	case r.Is(a, "mail.attach"):
		if len(args) < 2 {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		id, ok := core.ParseRef("E", args[1])
		if !ok {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		if len(args) == 2 {
			return s.attachAsk(ctx, w, r, id)
		}
		return s.attach(ctx, w, r, id, strings.Join(args[2:], " "))
	case r.Is(a, "mail.dismiss"):
		if len(args) != 2 {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		id, ok := core.ParseRef("E", args[1])
		if !ok {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		if err := s.store.DropUnmatchedMail(ctx, id); err != nil {
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
func (s *service) unmatched(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	ms, err := s.store.UnmatchedMails(ctx, maxUnmatchedList)
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
func (s *service) attachAsk(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	m, err := s.store.UnmatchedMail(ctx, id)
	if err != nil {
		return notFound(err, id)
	}
	ref := core.IDRef("E", m.ID)
	owner := m.AuthorID
	if owner == 0 {
		owner = r.Me.ID
	}
	cs, err := s.store.ClientsByOwner(ctx, []uint64{owner})
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
func (s *service) attach(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64, ref string) error {
	m, err := s.store.UnmatchedMail(ctx, id)
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
	if err := s.store.AttachUnmatchedMail(ctx, id, conv); err != nil {
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
