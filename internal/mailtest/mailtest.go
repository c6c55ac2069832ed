// Package mailtest runs in-process SMTP and IMAP servers on the loopback
// interface for tests (github.com/emersion/go-smtp's server and go-imap v2's
// imapmemserver), so that e-mail is tested without a network.
package mailtest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message an SMTP server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
}

// SMTPServer is a local SMTP server that keeps what it accepts.
type SMTPServer struct {
	addr string
	user string
	pass string
	mu   sync.Mutex
	msgs []Received
	// reject lists recipients refused with 550.
	reject map[string]bool
}

// SMTP starts an SMTP server that needs user and pass (PLAIN) when user is
// not "", and stops it when t ends.
func SMTP(t testing.TB, user, pass string) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPServer{addr: ln.Addr().String(), user: user, pass: pass, reject: map[string]bool{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the server's smtp:// URL with its credentials.
func (s *SMTPServer) URL() string {
	if s.user == "" {
		return "smtp://" + s.addr
	}
	return "smtp://" + s.user + ":" + s.pass + "@" + s.addr
}

// Reject makes the server refuse the recipient addr.
func (s *SMTPServer) Reject(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[strings.ToLower(addr)] = true
}

// Messages returns what the server accepted so far.
func (s *SMTPServer) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

type smtpSession struct {
	s    *SMTPServer
	auth bool
	cur  Received
}

func (x *smtpSession) AuthMechanisms() []string {
	if x.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.user || pass != x.s.pass {
			return errors.New("bad credentials")
		}
		x.auth = true
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.user != "" && !x.auth {
		return smtp.ErrAuthRequired
	}
	x.cur = Received{From: from}
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	refused := x.s.reject[strings.ToLower(to)]
	x.s.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	x.cur.To = append(x.cur.To, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.cur.Data = b
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.cur)
	x.s.mu.Unlock()
	return nil
}

func (x *smtpSession) Reset()        { x.cur = Received{} }
func (x *smtpSession) Logout() error { return nil }

// IMAPServer is a local IMAP server with one user and an INBOX.
type IMAPServer struct {
	addr, user, pass string
	u                *imapmemserver.User
}

// IMAP starts an IMAP server (IMAP4rev2, so with IDLE, when idle is set;
// IMAP4rev1 without IDLE otherwise) and stops it when t ends.
func IMAP(t testing.TB, idle bool) *IMAPServer {
	t.Helper()
	mem := imapmemserver.New()
	s := &IMAPServer{user: "bot", pass: "secret"}
	s.u = imapmemserver.NewUser(s.user, s.pass)
	if err := s.u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(s.u)
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	if idle {
		caps[imap.CapIMAP4rev2] = struct{}{}
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
		Caps:         caps,
		Logger:       nopLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the server's imap:// URL of INBOX with its credentials.
func (s *IMAPServer) URL() string { return "imap://" + s.user + ":" + s.pass + "@" + s.addr + "/INBOX" }

// Deliver puts a raw RFC 5322 message into INBOX.
func (s *IMAPServer) Deliver(t testing.TB, raw string) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	if _, err := s.u.Append("INBOX", bytes.NewReader([]byte(raw)), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}
