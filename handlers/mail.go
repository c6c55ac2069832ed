package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// MailStore keeps what e-mail and the calendar feed need: the client index
// by e-mail, the claims of read messages (a message is decided once, across
// replicas reading the same mailbox), unmatched mail and feed tokens.
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
	// CalendarToken returns the person's feed token, storing fresh as it
	// when the person has none or reset asks for a new one (the old one
	// stops working in the same transaction).
	CalendarToken(ctx context.Context, person uint64, reset bool, fresh string) (string, error)
	// CalendarOwner returns the person whose current token is tok; an
	// unknown or replaced token is crm.ErrNotFound.
	CalendarOwner(ctx context.Context, tok string) (uint64, error)
}

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

// maxUnmatchedList is how many unmatched messages /mail unmatched shows.
const maxUnmatchedList = 20

func (s *Service) registerMail() {
	defer s.inFamily("mail")()
	s.add(&spec{name: "mail", minRole: crm.RoleHead, run: s.mailCmd})
	s.add(&spec{name: "calendar", minRole: crm.RoleManager, run: s.calendarCmd})
}

func (s *Service) mailStore() MailStore { return s.store }

// mailCmd: "/mail unmatched", "/mail attach N NAME", "/mail dismiss N".
func (s *Service) mailCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "mail.usage")
	}
	switch a := args[0]; {
	case r.Is(a, "mail.unmatched"):
		return s.mailUnmatched(ctx, w, r)
	case r.Is(a, "mail.attach"):
		if len(args) < 2 {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		id, ok := core.ParseRef("E", args[1])
		if !ok {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		if len(args) == 2 {
			return s.mailAttachAsk(ctx, w, r, id)
		}
		return s.mailAttach(ctx, w, r, id, strings.Join(args[2:], " "))
	case r.Is(a, "mail.dismiss"):
		if len(args) != 2 {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		id, ok := core.ParseRef("E", args[1])
		if !ok {
			return crm.Errorf(crm.EINVALID, "mail.usage")
		}
		if err := s.mailStore().DropUnmatchedMail(ctx, id); err != nil {
			if crm.IsNotFound(err) {
				return crm.Errorf(crm.ENOTFOUND, "mail.not_found", "id", core.IDRef("E", id))
			}
			return err
		}
		return w.Reply(ctx, bot.Reply{Text: r.T("mail.dismissed", "id", core.IDRef("E", id)), Edit: r.Button})
	}
	return crm.Errorf(crm.EINVALID, "mail.usage")
}

func (s *Service) mailUnmatched(ctx context.Context, w bot.ReplyWriter, r *request) error {
	ms, err := s.mailStore().UnmatchedMails(ctx, maxUnmatchedList)
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

// mailAttachAsk offers the clients to attach a message to: the sender's
// own, by last touch, as buttons; any other can be typed.
func (s *Service) mailAttachAsk(ctx context.Context, w bot.ReplyWriter, r *request, id uint64) error {
	m, err := s.mailStore().UnmatchedMail(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return crm.Errorf(crm.ENOTFOUND, "mail.not_found", "id", core.IDRef("E", id))
		}
		return err
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

func (s *Service) mailAttach(ctx context.Context, w bot.ReplyWriter, r *request, id uint64, ref string) error {
	m, err := s.mailStore().UnmatchedMail(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return crm.Errorf(crm.ENOTFOUND, "mail.not_found", "id", core.IDRef("E", id))
		}
		return err
	}
	c, actor, err := r.ChangeableClient(ctx, ref)
	if err != nil {
		return err
	}
	author := actor.PersonID
	if m.AuthorID != 0 {
		author = m.AuthorID
	}
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: author, Channels: []string{"email"}, Text: mailConvText(m.Subject, m.Text), At: mailTime(m.Date, r.Now)}
	if err := s.mailStore().AttachUnmatchedMail(ctx, id, conv); err != nil {
		if crm.IsNotFound(err) {
			return crm.Errorf(crm.ENOTFOUND, "mail.not_found", "id", core.IDRef("E", id))
		}
		return err
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

// mailConvText is what a logged message keeps: its subject and its text.
func mailConvText(subject, text string) string {
	out := strings.TrimSpace(subject)
	if t := strings.TrimSpace(text); t != "" {
		if out != "" {
			out += "\n\n"
		}
		out += t
	}
	return trimRunes(out, core.MaxTextRunes)
}

// LogMail decides one message read from the logged mailbox: a message
// whose From, To or Cc holds a client's address is logged as an #email
// conversation on that client, credited to the person whose address sent
// or forwarded it (a forwarded message counts as from its original
// sender); any other is kept for heads (/mail unmatched). Each message is
// decided once, by its key, whatever reads it and however often.
func (s *Service) LogMail(ctx context.Context, in *crm.InboundMail) error {
	if in.Key == "" {
		return nil
	}
	ms := s.mailStore()
	if seen, err := ms.MailSeen(ctx, in.Key); err != nil || seen {
		return err
	}
	people, err := s.store.People(ctx)
	if err != nil {
		return err
	}
	byEmail := map[string]*crm.Person{}
	for _, p := range people {
		if e := crm.NormalizeEmail(p.Email); e != "" && p.Active() {
			byEmail[e] = p
		}
	}
	text := in.Text
	fwdFrom := crm.NormalizeEmail(in.ForwardedFrom)
	if fwdFrom == "" {
		if f, body, ok := splitForward(text); ok {
			fwdFrom, text = f, body
		}
	} else if _, body, ok := splitForward(text); ok {
		text = body
	}
	text = trimQuoted(text)
	from := crm.NormalizeEmail(in.From)
	author := byEmail[from]
	var addrs []string
	if fwdFrom != "" {
		// A forward is logged under its original sender; the forwarder is
		// who gets the credit.
		addrs = []string{fwdFrom}
	} else {
		addrs = append(append([]string{from}, in.To...), in.Cc...)
	}
	seen := map[uint64]bool{}
	var clients []*crm.Client
	for _, a := range addrs {
		a = crm.NormalizeEmail(a)
		if a == "" || byEmail[a] != nil {
			continue
		}
		cs, err := ms.ClientsByEmail(ctx, a)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if !seen[c.ID] {
				seen[c.ID] = true
				clients = append(clients, c)
			}
		}
	}
	now := s.clock.Now()
	if len(clients) == 0 {
		um := &crm.UnmatchedMail{Key: in.Key, From: in.From, To: append(append([]string(nil), in.To...), in.Cc...),
			Subject: trimRunes(oneLine(in.Subject), 300), Text: trimRunes(text, core.MaxTextRunes), Date: mailTime(in.Date, now), At: now}
		if author != nil {
			um.AuthorID = author.ID
		}
		kept, err := ms.KeepUnmatchedMail(ctx, um)
		if kept {
			s.log.Info("e-mail names no client: kept for /mail unmatched", "mail", core.IDRef("E", um.ID))
		}
		return err
	}
	for i, c := range clients {
		by := c.OwnerID
		if author != nil {
			by = author.ID
		}
		key := in.Key
		if i > 0 {
			// The same message naming a second client is a second decision.
			key = fmt.Sprintf("%s#%d", in.Key, c.ID)
		}
		conv := &crm.Conversation{ClientID: c.ID, AuthorID: by, Channels: []string{"email"},
			Text: mailConvText(oneLine(in.Subject), text), At: mailTime(in.Date, now)}
		logged, err := ms.LogMail(ctx, key, conv)
		if err != nil {
			return err
		}
		if logged {
			s.log.Info("e-mail logged", "client", c.ID, "person", by)
			s.keepMailFiles(ctx, in, conv, by)
		}
	}
	return nil
}

var (
	forwardMarker = regexp.MustCompile(`(?im)^\s*(-{2,}\s*(forwarded message|original message|препратено съобщение|пренасочено съобщение|оригинално съобщение)\s*-{2,}|begin forwarded message:)\s*$`)
	headerFrom    = regexp.MustCompile(`(?im)^\s*\*?(from|от)\*?:\s*(.+)$`)
	// quoteIntro is the line a mail program puts above quoted history.
	quoteIntro = regexp.MustCompile(`(?i)^\s*(on .{4,200} wrote:|на .{4,200} (написа|писа):|-{2,}\s*(original message|оригинално съобщение)\s*-{2,}|_{10,})\s*$`)
	outlookHdr = regexp.MustCompile(`(?i)^\s*\*?(from|от):\*?\s+\S`)
)

// splitForward finds a forwarded message in text: the original sender's
// address and the forwarded text (headers left out).
func splitForward(text string) (string, string, bool) {
	loc := forwardMarker.FindStringIndex(text)
	if loc == nil {
		return "", "", false
	}
	rest := text[loc[1]:]
	lines := strings.Split(rest, "\n")
	from := ""
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			if from != "" || i > 8 {
				break
			}
			continue
		}
		if m := headerFrom.FindStringSubmatch(l); m != nil && from == "" {
			from = crm.NormalizeEmail(strings.Trim(m[2], "* "))
			if from == "" {
				if a := strings.LastIndex(m[2], "<"); a >= 0 {
					from = crm.NormalizeEmail(m[2][a:])
				}
			}
		}
	}
	if from == "" {
		return "", "", false
	}
	body := ""
	if i < len(lines) {
		body = strings.Join(lines[i:], "\n")
	}
	return from, strings.TrimSpace(body), true
}

// trimQuoted drops quoted history ("> " lines and everything below an
// "On … wrote:" line) and the signature (below a "-- " line).
func trimQuoted(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l == "-- " || l == "--" || quoteIntro.MatchString(l) {
			break
		}
		if outlookHdr.MatchString(l) && len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
			break
		}
		if strings.HasPrefix(strings.TrimSpace(l), ">") {
			continue
		}
		out = append(out, strings.TrimRight(l, " \t"))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// keepMailFiles attaches the files of a logged message to its
// conversation, as a file sent in chat with a /log caption is: within the
// same size limit, listed on the card, erased with the client. The message
// is logged already: a file that cannot be kept is logged and skipped.
func (s *Service) keepMailFiles(ctx context.Context, in *crm.InboundMail, conv *crm.Conversation, by uint64) {
	for _, f := range in.Files {
		if len(f.Data) > maxAttachmentBytes {
			s.log.Info("e-mail attachment too large: not kept", "client", conv.ClientID, "size", len(f.Data))
			continue
		}
		kind := "document"
		if strings.HasPrefix(f.MIME, "image/") {
			kind = "photo"
		}
		name := f.Name
		if name == "" {
			name = "attachment"
		}
		a := &crm.Attachment{ClientID: conv.ClientID, RecordKind: crm.AttachedToConversation, RecordID: conv.ID, Kind: kind,
			Name: trimRunes(name, 200), MIME: f.MIME, Size: int64(len(f.Data)), By: by, At: conv.At}
		if err := s.store.SaveAttachment(crm.WithoutDeliveryKey(ctx), a, f.Data); err != nil {
			s.log.Warn("e-mail attachment not kept", "client", conv.ClientID, "err", err)
		}
	}
}
