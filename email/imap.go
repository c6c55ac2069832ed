package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"accountbot/crm"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
)

const (
	// pollEvery is how often a server without IDLE is asked for new mail.
	pollEvery = 15 * time.Second
	// idleFor is how long one IDLE lasts before it is renewed (servers drop
	// an IDLE after 30 minutes).
	idleFor = 25 * time.Minute
	// maxRetry is the longest wait before reconnecting after a failure.
	maxRetry = 5 * time.Minute
	// maxFiles is how many attachments of one message are kept.
	maxFiles = 5
	// dialTimeout bounds connecting to the server.
	dialTimeout = 10 * time.Second
	// fetchBatch is how many messages one FETCH asks for.
	fetchBatch = 20
	// maxMessageBytes is the largest message read whole; a larger one is logged
	// by what its first 25 MiB hold, without attachments.
	maxMessageBytes = 25 << 20
)

// Cursors keeps the last read UID of a mailbox across restarts (the store
// does).
type Cursors interface {
	Cursor(ctx context.Context, name string) (int64, error)
	SetCursor(ctx context.Context, name string, pos int64) error
}

// Reader reads new messages of one IMAP mailbox and hands each to Handle.
type Reader struct {
	addr       string
	tls        bool
	user, pass string
	mailbox    string
	skipVerify bool
	// name identifies the mailbox in cursor names, without the password.
	name    string
	cursors Cursors
	handle  func(context.Context, *crm.InboundMail) error
	log     *slog.Logger
	// PollEvery overrides pollEvery (tests).
	PollEvery time.Duration
}

// NewReader reads an IMAP URL: imap://user:pass@host:port/INBOX (STARTTLS
// when offered; port 143) or imaps://user:pass@host:port/INBOX (port 993).
// handle is called once per new message; a message it fails on is read
// again on the next pass.
func NewReader(rawURL string, cursors Cursors, handle func(context.Context, *crm.InboundMail) error, log *slog.Logger) (*Reader, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("ACCOUNTBOT_IMAP_URL must look like imaps://user:pass@host:993/INBOX")
	}
	r := &Reader{cursors: cursors, handle: handle, log: log}
	port := u.Port()
	switch strings.ToLower(u.Scheme) {
	case "imap":
		if port == "" {
			port = "143"
		}
	case "imaps":
		r.tls = true
		if port == "" {
			port = "993"
		}
	default:
		return nil, fmt.Errorf("ACCOUNTBOT_IMAP_URL: the scheme must be imap or imaps, not %q", u.Scheme)
	}
	r.addr = u.Hostname() + ":" + port
	if strings.Contains(u.Hostname(), ":") {
		r.addr = "[" + u.Hostname() + "]:" + port
	}
	if u.User != nil {
		r.user = u.User.Username()
		r.pass, _ = u.User.Password()
	}
	r.mailbox = strings.Trim(u.Path, "/")
	if r.mailbox == "" {
		r.mailbox = "INBOX"
	}
	r.skipVerify = u.Query().Get("insecure") == "1" || u.Query().Get("insecure") == "true"
	h := sha256.Sum256([]byte(r.user + "@" + r.addr + "/" + r.mailbox))
	r.name = "imap/" + hex.EncodeToString(h[:8])
	if log == nil {
		r.log = slog.Default()
	}
	return r, nil
}

// Run reads the mailbox until ctx is done, reconnecting after failures.
func (r *Reader) Run(ctx context.Context) {
	wait := time.Second
	for ctx.Err() == nil {
		err := r.session(ctx)
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("mailbox: connection lost, reconnecting", "mailbox", r.mailbox, "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if wait *= 2; wait > maxRetry {
			wait = maxRetry
		}
	}
}

// Once connects, reads what is new and disconnects (tests, and a check
// that the configuration works).
func (r *Reader) Once(ctx context.Context) error {
	c, err := r.connect(ctx, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	validity, err := r.selectMailbox(c)
	if err != nil {
		return err
	}
	return r.readNew(ctx, c, validity)
}

func (r *Reader) connect(ctx context.Context, h *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		TLSConfig:             &tls.Config{ServerName: strings.Split(r.addr, ":")[0], InsecureSkipVerify: r.skipVerify, MinVersion: tls.VersionTLS12},
		UnilateralDataHandler: h,
		WordDecoder:           &mime.WordDecoder{CharsetReader: charset.Reader},
		Dialer:                &net.Dialer{Timeout: dialTimeout},
	}
	var c *imapclient.Client
	var err error
	if r.tls {
		c, err = imapclient.DialTLS(r.addr, opts)
	} else {
		c, err = imapclient.DialInsecure(r.addr, opts)
		if err == nil {
			if err = c.WaitGreeting(); err == nil && c.Caps().Has(imap.CapStartTLS) {
				// Offered: upgrade before the password goes over the wire.
				c.Close()
				c, err = imapclient.DialStartTLS(r.addr, opts)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if r.user != "" {
		if err := c.Login(r.user, r.pass).Wait(); err != nil {
			c.Close()
			return nil, fmt.Errorf("login refused: %w", err)
		}
	}
	go func() {
		<-ctx.Done()
		c.Close()
	}()
	return c, nil
}

func (r *Reader) selectMailbox(c *imapclient.Client) (uint32, error) {
	// Read-only: the bot never marks the people's mail as read.
	sel, err := c.Select(r.mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return 0, fmt.Errorf("cannot open the mailbox %q: %w", r.mailbox, err)
	}
	return sel.UIDValidity, nil
}

// session serves one connection: reads what is new, then waits for more
// with IDLE when the server offers it, or polls.
func (r *Reader) session(ctx context.Context) error {
	news := make(chan struct{}, 1)
	h := &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
		if d.NumMessages != nil {
			select {
			case news <- struct{}{}:
			default:
			}
		}
	}}
	c, err := r.connect(ctx, h)
	if err != nil {
		return err
	}
	defer c.Close()
	validity, err := r.selectMailbox(c)
	if err != nil {
		return err
	}
	r.log.Info("mailbox: reading", "mailbox", r.mailbox, "idle", c.Caps().Has(imap.CapIdle))
	poll := r.PollEvery
	if poll <= 0 {
		poll = pollEvery
	}
	for {
		if err := r.readNew(ctx, c, validity); err != nil {
			return err
		}
		if c.Caps().Has(imap.CapIdle) {
			idle, err := c.Idle()
			if err != nil {
				return err
			}
			select {
			case <-ctx.Done():
			case <-news:
			case <-c.Closed():
			case <-time.After(idleFor):
			}
			if err := idle.Close(); err != nil {
				return err
			}
			if err := idle.Wait(); err != nil {
				return err
			}
		} else {
			select {
			case <-ctx.Done():
			case <-news:
			case <-time.After(poll):
			}
			if err := c.Noop().Wait(); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// readNew hands every message above the saved UID to handle, in UID order,
// and saves the UID after each one handled.
func (r *Reader) readNew(ctx context.Context, c *imapclient.Client, validity uint32) error {
	cursor := r.name + "/" + strconv.FormatUint(uint64(validity), 10)
	last, err := r.cursors.Cursor(ctx, cursor)
	if err != nil {
		return err
	}
	for {
		// First the UIDs only, then the bodies a batch at a time, so that a
		// long backlog is never held in memory at once.
		var set imap.UIDSet
		set.AddRange(imap.UID(last+1), 0) // last+1:*
		ids, err := c.Fetch(set, &imap.FetchOptions{UID: true}).Collect()
		if err != nil {
			return err
		}
		var uids []imap.UID
		for _, m := range ids {
			// "N:*" always answers the last message, even when N is above it.
			if int64(m.UID) > last {
				uids = append(uids, m.UID)
			}
		}
		if len(uids) == 0 {
			return nil
		}
		slices.Sort(uids)
		if len(uids) > fetchBatch {
			uids = uids[:fetchBatch]
		}
		opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}
		fresh, err := c.Fetch(imap.UIDSetNum(uids...), opts).Collect()
		if err != nil {
			return err
		}
		sortByUID(fresh)
		for _, m := range fresh {
			var raw []byte
			if len(m.BodySection) > 0 {
				raw = m.BodySection[0].Bytes
			}
			in, err := Parse(raw)
			if err != nil {
				r.log.Warn("mailbox: a message could not be read; skipped", "uid", m.UID, "err", err)
			} else {
				if in.Key == "" {
					in.Key = fmt.Sprintf("uid:%s/%d/%d", r.name, validity, m.UID)
				}
				if err := r.handle(ctx, in); err != nil {
					return err
				}
			}
			last = int64(m.UID)
			if err := r.cursors.SetCursor(ctx, cursor, last); err != nil {
				return err
			}
		}
	}
}

func sortByUID(ms []*imapclient.FetchMessageBuffer) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].UID < ms[j-1].UID; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// Parse reads one RFC 5322 message: its addresses, subject, date,
// Message-ID and plain text (the text/plain part, or the HTML part with
// the markup dropped).
func Parse(raw []byte) (*crm.InboundMail, error) {
	whole := len(raw) <= maxMessageBytes
	if !whole {
		raw = raw[:maxMessageBytes]
	}
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && mr == nil {
		return nil, err
	}
	defer mr.Close()
	h := mr.Header
	in := &crm.InboundMail{}
	if id, err := h.MessageID(); err == nil && id != "" {
		in.MessageID = id
		in.Key = "mid:" + strings.ToLower(id)
	}
	in.Subject, _ = h.Subject()
	in.Date, _ = h.Date()
	if as, err := h.AddressList("From"); err == nil && len(as) > 0 {
		in.From = as[0].Address
	}
	in.To = addresses(h, "To")
	in.Cc = addresses(h, "Cc")
	var plain, htm string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if plain != "" || htm != "" {
				break
			}
			return nil, err
		}
		if ah, ok := p.Header.(*mail.AttachmentHeader); ok {
			if whole && len(in.Files) < maxFiles {
				name, _ := ah.Filename()
				ct, _, _ := ah.ContentType()
				if b, err := io.ReadAll(io.LimitReader(p.Body, maxMessageBytes)); err == nil && len(b) > 0 {
					in.Files = append(in.Files, crm.MailFile{Name: name, MIME: ct, Data: b})
				}
			}
			continue
		}
		ih, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			continue
		}
		ct, _, _ := ih.ContentType()
		b, _ := io.ReadAll(io.LimitReader(p.Body, maxMessageBytes))
		switch {
		case ct == "text/plain" && plain == "":
			plain = string(b)
		case ct == "text/html" && htm == "":
			htm = string(b)
		case ct == "message/rfc822" && plain == "":
			// An attached forward: its own text, and its sender.
			if fw, err := Parse(b); err == nil {
				in.ForwardedFrom = fw.From
				plain = fw.Text
			}
		}
	}
	if plain == "" && htm != "" {
		plain = htmlText(htm)
	}
	in.Text = strings.ReplaceAll(plain, "\r\n", "\n")
	return in, nil
}

func addresses(h mail.Header, field string) []string {
	as, err := h.AddressList(field)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Address)
	}
	return out
}

var (
	htmlBreak = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\s*/?>`)
	htmlDrop  = regexp.MustCompile(`(?is)<(style|script|head)[^>]*>.*?</\s*(style|script|head)\s*>`)
	htmlQuote = regexp.MustCompile(`(?is)<blockquote[^>]*>.*?</\s*blockquote\s*>`)
	htmlTag   = regexp.MustCompile(`(?s)<[^>]*>`)
	blankRun  = regexp.MustCompile(`\n{3,}`)
)

// htmlText turns an HTML body into plain text, without quoted history.
func htmlText(s string) string {
	s = htmlDrop.ReplaceAllString(s, "")
	s = htmlQuote.ReplaceAllString(s, "")
	s = htmlBreak.ReplaceAllString(s, "\n")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	return strings.TrimSpace(blankRun.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
