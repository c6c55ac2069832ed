// Package email connects accountbot to mail servers: it sends messages over
// SMTP (github.com/wneessen/go-mail) and reads a mailbox over IMAP
// (github.com/emersion/go-imap/v2). It holds no business rules: what to
// send and what to log is decided by the handlers.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"accountbot/crm"

	gomail "github.com/wneessen/go-mail"
)

// sendTimeout bounds one delivery, dialling included.
const sendTimeout = 30 * time.Second

// Sender sends e-mail through one SMTP server.
type Sender struct {
	host       string
	port       int
	ssl        bool
	user, pass string
	from       string
	skipVerify bool
}

// NewSender reads an SMTP URL: smtp://user:pass@host:port (STARTTLS when
// the server offers it; port 587 by default) or smtps://user:pass@host:port
// (TLS from the start; port 465). from is the From address of every message.
func NewSender(rawURL, from string) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("ACCOUNTBOT_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
	}
	s := &Sender{host: u.Hostname(), from: from}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.ssl = 465, true
	default:
		return nil, fmt.Errorf("ACCOUNTBOT_SMTP_URL: the scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("ACCOUNTBOT_SMTP_URL: bad port %q", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	s.skipVerify = u.Query().Get("insecure") == "1" || u.Query().Get("insecure") == "true"
	if crm.NormalizeEmail(from) == "" {
		return nil, errors.New("ACCOUNTBOT_MAIL_FROM must be an e-mail address when ACCOUNTBOT_SMTP_URL is set")
	}
	return s, nil
}

// From is the From address.
func (s *Sender) From() string { return s.from }

// Send builds a MIME message (UTF-8 subject and text, a Message-ID, an
// iCalendar part when m.Calendar is set) and delivers it; it returns once
// the server accepted it, and sets m.MessageID.
func (s *Sender) Send(ctx context.Context, m *crm.OutgoingMail) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(sendTimeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: s.host, InsecureSkipVerify: s.skipVerify, MinVersion: tls.VersionTLS12})}
	if s.ssl {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	var auth []gomail.Option
	if s.user != "" {
		// PLAIN and LOGIN send the password only over TLS (or to
		// localhost): STARTTLS comes first when the server offers it.
		auth = append(auth, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
			gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	err = s.dialAndSend(ctx, msg, append(opts[:len(opts):len(opts)], auth...))
	if err != nil && s.user != "" && strings.Contains(err.Error(), "does not support SMTP AUTH") {
		// A relay that offers no AUTH (an internal relay, a test server)
		// takes mail without it; nothing was sent before this refusal.
		err = s.dialAndSend(ctx, msg, opts)
	}
	if err != nil {
		return plainError(err)
	}
	m.MessageID = strings.Trim(msg.GetMessageID(), "<>")
	return nil
}

func (s *Sender) dialAndSend(ctx context.Context, msg *gomail.Msg, opts []gomail.Option) error {
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// build makes the message of m.
func (s *Sender) build(m *crm.OutgoingMail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("the From address %q is not valid", s.from)
	}
	var err error
	if m.ToName != "" {
		err = msg.AddToFormat(m.ToName, m.To)
	} else {
		err = msg.To(m.To)
	}
	if err != nil {
		return nil, fmt.Errorf("the address %q is not valid", m.To)
	}
	if m.ReplyTo != "" {
		if m.ReplyName != "" {
			err = msg.ReplyToFormat(m.ReplyName, m.ReplyTo)
		} else {
			err = msg.ReplyTo(m.ReplyTo)
		}
		if err != nil {
			return nil, fmt.Errorf("the Reply-To address %q is not valid", m.ReplyTo)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(messageID(s.from))
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if len(m.Calendar) > 0 {
		method := m.Method
		if method == "" {
			method = "REQUEST"
		}
		ct := gomail.ContentType("text/calendar; method=" + method)
		// The calendar as an alternative of the text is what Outlook and
		// Gmail show as an invitation; the attachment serves the rest.
		msg.AddAlternativeString(ct, string(m.Calendar))
		if err := msg.AttachReader("invite.ics", strings.NewReader(string(m.Calendar)),
			gomail.WithFileContentType(gomail.ContentType("application/ics")), gomail.WithFileEncoding(gomail.EncodingB64)); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// messageID makes a unique Message-ID in the From address's domain.
func messageID(from string) string {
	domain := "accountbot.invalid"
	if a := crm.NormalizeEmail(from); a != "" {
		domain = a[strings.LastIndexByte(a, '@')+1:]
	}
	return fmt.Sprintf("%d.%s@%s", time.Now().UnixNano(), randomHex(8), domain)
}

// plainError shortens the library's error to what a person can act on.
func plainError(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return fmt.Errorf("%s", strings.TrimSpace(se.Error()))
	}
	return err
}
