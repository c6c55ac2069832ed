package email_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/email"
	"accountbot/internal/mailtest"

	"github.com/emersion/go-message/mail"
)

func TestSendUTF8WithReplyToAndMessageID(t *testing.T) {
	srv := mailtest.SMTP(t, "bot", "pw")
	snd, err := email.NewSender(srv.URL(), "crm@example.com")
	if err != nil {
		t.Fatal(err)
	}
	m := &crm.OutgoingMail{To: "ivan@client.bg", ToName: "Иван Петров", ReplyTo: "maria@firm.bg", ReplyName: "Мария",
		Subject: "Оферта за доставка", Text: "Здравейте, Иван!\n\nИзпращам офертата.\n\nМария"}
	if err := snd.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if m.MessageID == "" || !strings.HasSuffix(m.MessageID, "@example.com") {
		t.Fatalf("Message-ID %q", m.MessageID)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].From != "crm@example.com" || len(got[0].To) != 1 || got[0].To[0] != "ivan@client.bg" {
		t.Fatalf("envelope %+v", got)
	}
	mr, err := mail.CreateReader(strings.NewReader(string(got[0].Data)))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := mr.Header.Subject()
	if subj != "Оферта за доставка" {
		t.Errorf("subject %q", subj)
	}
	rt, _ := mr.Header.AddressList("Reply-To")
	if len(rt) != 1 || rt[0].Address != "maria@firm.bg" {
		t.Errorf("Reply-To %v", rt)
	}
	if id, _ := mr.Header.MessageID(); id != m.MessageID {
		t.Errorf("Message-ID header %q, reported %q", id, m.MessageID)
	}
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(p.Body)
	if !strings.Contains(string(body), "Здравейте, Иван!") {
		t.Errorf("body %q", body)
	}
}

func TestSendInvitationHasCalendarPart(t *testing.T) {
	srv := mailtest.SMTP(t, "", "")
	snd, err := email.NewSender(srv.URL(), "crm@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ics := "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
	if err := snd.Send(context.Background(), &crm.OutgoingMail{To: "a@b.bg", Subject: "Покана", Text: "x", Calendar: []byte(ics), Method: "REQUEST"}); err != nil {
		t.Fatal(err)
	}
	data := string(srv.Messages()[0].Data)
	for _, want := range []string{"text/calendar; method=REQUEST", "invite.ics"} {
		if !strings.Contains(data, want) {
			t.Errorf("message lacks %q:\n%s", want, data)
		}
	}
}

func TestSendFailuresAreErrors(t *testing.T) {
	srv := mailtest.SMTP(t, "", "")
	srv.Reject("nobody@client.bg")
	snd, _ := email.NewSender(srv.URL(), "crm@example.com")
	err := snd.Send(context.Background(), &crm.OutgoingMail{To: "nobody@client.bg", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "550") && !strings.Contains(err.Error(), "no such user") {
		t.Fatalf("refused recipient: %v", err)
	}
	down, _ := email.NewSender("smtp://127.0.0.1:1", "crm@example.com")
	if err := down.Send(context.Background(), &crm.OutgoingMail{To: "a@b.bg", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("a server that is down: no error")
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("a refused message was kept")
	}
}

func TestSenderURLForms(t *testing.T) {
	for _, tc := range []struct {
		url, from string
		ok        bool
	}{
		{"smtp://u:p@mail.example.com:587", "a@b.c", true},
		{"smtps://u:p@mail.example.com", "a@b.c", true},
		{"smtp://mail.example.com:25", "a@b.c", true},
		{"http://mail.example.com", "a@b.c", false},
		{"smtp://u:p@mail.example.com:587", "", false},
		{"smtp://u:p@mail.example.com:99999", "a@b.c", false},
	} {
		_, err := email.NewSender(tc.url, tc.from)
		if (err == nil) != tc.ok {
			t.Errorf("%s from %q: err %v", tc.url, tc.from, err)
		}
	}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"imap://u:p@mail.example.com:143/INBOX", true},
		{"imaps://u:p@mail.example.com/INBOX", true},
		{"pop3://u:p@mail.example.com", false},
	} {
		_, err := email.NewReader(tc.url, nil, nil, nil)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.url, err)
		}
	}
}

// memCursors keeps cursors in memory, as the store does on disk.
type memCursors struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *memCursors) Cursor(_ context.Context, name string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name], nil
}

func (c *memCursors) SetCursor(_ context.Context, name string, pos int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[name] = pos
	return nil
}

const clientMail = `From: Ivan Petrov <ivan@client.bg>
To: maria@firm.bg
Cc: log@firm.bg
Subject: =?UTF-8?B?0J7RhNC10YDRgtCw?=
Message-ID: <abc-1@client.bg>
Date: Wed, 25 Nov 2026 10:00:00 +0200
Content-Type: text/plain; charset=utf-8

Приемаме офертата.
`

func TestReaderReadsEachMessageOnce(t *testing.T) {
	for _, idle := range []bool{true, false} {
		srv := mailtest.IMAP(t, idle)
		srv.Deliver(t, clientMail)
		cur := &memCursors{m: map[string]int64{}}
		var mu sync.Mutex
		var got []*crm.InboundMail
		rd, err := email.NewReader(srv.URL(), cur, func(_ context.Context, m *crm.InboundMail) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m)
			return nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := rd.Once(ctx); err != nil {
			t.Fatal(err)
		}
		if err := rd.Once(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("idle=%v: %d messages handled, want 1", idle, len(got))
		}
		m := got[0]
		if m.Key != "mid:abc-1@client.bg" || m.From != "ivan@client.bg" || m.Subject != "Оферта" || !strings.Contains(m.Text, "Приемаме офертата.") {
			t.Fatalf("parsed %+v", m)
		}
		if len(m.To) != 1 || m.To[0] != "maria@firm.bg" || len(m.Cc) != 1 {
			t.Fatalf("addresses %v %v", m.To, m.Cc)
		}
		// A message arriving while Run waits is read (IDLE, or the next poll).
		rd.PollEvery = 50 * time.Millisecond
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { rd.Run(runCtx); close(done) }()
		srv.Deliver(t, strings.Replace(clientMail, "abc-1", "abc-2", 1))
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("idle=%v: the new message was not read", idle)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
	}
}

func TestParseHTMLAndAttachedForward(t *testing.T) {
	html := "From: maria@firm.bg\r\nTo: log@firm.bg\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p><blockquote>old text</blockquote>"
	m, err := email.Parse([]byte(html))
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Hello there" || m.Key != "" {
		t.Fatalf("html text %q key %q", m.Text, m.Key)
	}
	fwd := "From: maria@firm.bg\r\nTo: log@firm.bg\r\nSubject: Fwd: order\r\nMessage-ID: <f1@firm.bg>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\nFrom: Ivan <ivan@client.bg>\r\nTo: maria@firm.bg\r\nSubject: order\r\n\r\nTen boxes, please.\r\n--XX--\r\n"
	m, err = email.Parse([]byte(fwd))
	if err != nil {
		t.Fatal(err)
	}
	if m.ForwardedFrom != "ivan@client.bg" || !strings.Contains(m.Text, "Ten boxes") {
		t.Fatalf("forward %+v", m)
	}
}

func TestSendWithCredentialsToARelayWithoutAuth(t *testing.T) {
	srv := mailtest.SMTP(t, "", "")
	snd, err := email.NewSender(strings.Replace(srv.URL(), "smtp://", "smtp://user:pw@", 1), "crm@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := snd.Send(context.Background(), &crm.OutgoingMail{To: "a@b.bg", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if len(srv.Messages()) != 1 {
		t.Fatal("not delivered")
	}
}

func TestParseKeepsAttachments(t *testing.T) {
	raw := "From: ivan@client.bg\r\nTo: log@firm.bg\r\nSubject: invoice\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nSee the invoice.\r\n--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n"
	m, err := email.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 1 || m.Files[0].Name != "invoice.pdf" || m.Files[0].MIME != "application/pdf" || string(m.Files[0].Data) != "%PDF-1.4\n" {
		t.Fatalf("files %+v", m.Files)
	}
	if !strings.Contains(m.Text, "See the invoice.") {
		t.Fatalf("text %q", m.Text)
	}
}
