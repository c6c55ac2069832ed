package mail

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"accountbot/crm"
	"accountbot/handlers/core"
)

// logMail is Mail.LogMail: the people's addresses first (theirs never
// name a client), then the clients the message names, each decided once.
func (s *service) logMail(ctx context.Context, m *crm.InboundMail) error {
	if m.Key == "" {
		return nil
	}
	if seen, err := s.store.MailSeen(ctx, m.Key); err != nil || seen {
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
	text := m.Text
	fwdFrom := crm.NormalizeEmail(m.ForwardedFrom)
	if fwdFrom == "" {
		if f, body, ok := splitForward(text); ok {
			fwdFrom, text = f, body
		}
	} else if _, body, ok := splitForward(text); ok {
		text = body
	}
	text = trimQuoted(text)
	from := crm.NormalizeEmail(m.From)
	author := byEmail[from]
	var addrs []string
	if fwdFrom != "" {
		// A forward is logged under its original sender; the forwarder is
		// who gets the credit.
		addrs = []string{fwdFrom}
	} else {
		addrs = append(append([]string{from}, m.To...), m.Cc...)
	}
	seen := map[uint64]bool{}
	var clients []*crm.Client
	for _, a := range addrs {
		a = crm.NormalizeEmail(a)
		if a == "" || byEmail[a] != nil {
			continue
		}
		cs, err := s.store.ClientsByEmail(ctx, a)
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
	now := s.kit.Clock.Now()
	if len(clients) == 0 {
		um := &crm.UnmatchedMail{Key: m.Key, From: m.From, To: append(append([]string(nil), m.To...), m.Cc...),
			Subject: core.Truncate(core.OneLine(m.Subject), 300), Text: core.Truncate(text, core.MaxTextRunes), Date: mailTime(m.Date, now), At: now}
		if author != nil {
			um.AuthorID = author.ID
		}
		kept, err := s.store.KeepUnmatchedMail(ctx, um)
		if kept {
			s.kit.Log.Info("e-mail names no client: kept for /mail unmatched", "mail", core.IDRef("E", um.ID))
		}
		return err
	}
	for i, c := range clients {
		by := c.OwnerID
		if author != nil {
			by = author.ID
		}
		key := m.Key
		if i > 0 {
			// The same message naming a second client is a second decision.
			key = fmt.Sprintf("%s#%d", m.Key, c.ID)
		}
		conv := &crm.Conversation{ClientID: c.ID, AuthorID: by, Channels: []string{"email"},
			Text: convText(core.OneLine(m.Subject), text), At: mailTime(m.Date, now)}
		logged, err := s.store.LogMail(ctx, key, conv)
		if err != nil {
			return err
		}
		if logged {
			s.kit.Log.Info("e-mail logged", "client", c.ID, "person", by)
			s.keepFiles(ctx, m, conv, by)
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

// keepFiles attaches the files of a logged message to its conversation,
// as a file sent in chat with a /log caption is: within the same size
// limit, listed on the card, erased with the client. The message is
// logged already: a file that cannot be kept is logged and skipped.
func (s *service) keepFiles(ctx context.Context, m *crm.InboundMail, conv *crm.Conversation, by uint64) {
	for _, f := range m.Files {
		if len(f.Data) > core.MaxAttachmentBytes {
			s.kit.Log.Info("e-mail attachment too large: not kept", "client", conv.ClientID, "size", len(f.Data))
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
			Name: core.Truncate(name, 200), MIME: f.MIME, Size: int64(len(f.Data)), By: by, At: conv.At}
		if err := s.store.SaveAttachment(crm.WithoutDeliveryKey(ctx), a, f.Data); err != nil {
			s.kit.Log.Warn("e-mail attachment not kept", "client", conv.ClientID, "err", err)
		}
	}
}
