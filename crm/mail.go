package crm

import (
	"net/mail"
	"strings"
	"time"
)

// OutgoingMail is one e-mail the bot sends for a person.
type OutgoingMail struct {
	// To is the recipient's address, ToName their display name.
	To, ToName string
	// ReplyTo is the person's own address ("" for none), ReplyName their name.
	ReplyTo, ReplyName string
	Subject            string
	Text               string
	// Calendar is an iCalendar object sent as an invitation (METHOD:REQUEST
	// or CANCEL in Method), or nil.
	Calendar []byte
	Method   string
	// MessageID is set by whoever sends it: the Message-ID the server got.
	MessageID string
}

// InboundMail is one message read from the logged mailbox.
type InboundMail struct {
	// Key identifies the message across readings: its Message-ID, or the
	// mailbox's UIDVALIDITY and UID when it has none.
	Key       string
	MessageID string
	From      string
	To, Cc    []string
	// ForwardedFrom is the original sender of a forwarded message ("" for
	// none): the forwarder is From.
	ForwardedFrom string
	Subject       string
	Text          string
	Date          time.Time
	// Files are the message's attachments, whole (none when the message
	// was too large to read whole).
	Files []MailFile
}

// MailFile is one attachment of a read message.
type MailFile struct {
	Name, MIME string
	Data       []byte
}

// UnmatchedMail is a message that names no client's address, kept for a
// head to attach to a client (or to leave).
type UnmatchedMail struct {
	ID      uint64    `json:"id"`
	Key     string    `json:"key"`
	From    string    `json:"from"`
	To      []string  `json:"to,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Text    string    `json:"text,omitempty"`
	Date    time.Time `json:"date"`
	// AuthorID is the person whose address sent or forwarded it, or 0.
	AuthorID uint64    `json:"author_id,omitempty"`
	At       time.Time `json:"at"`
}

// NormalizeEmail folds an address for lookup: the bare address, lower case.
// It returns "" for something that is no address.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	s = strings.ToLower(strings.Trim(s, "<> "))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " ,;") {
		return ""
	}
	return s
}

// Emails returns the normalised addresses in a client's e-mail field,
// which may hold several separated by commas, semicolons or spaces.
func Emails(field string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(field, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
		if e := NormalizeEmail(f); e != "" && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}
