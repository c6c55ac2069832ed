package mail_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"

	ical "github.com/emersion/go-ical"
)

// fakeMailer records what the bot sends; fail makes the next sends fail.
type fakeMailer struct {
	mu   sync.Mutex
	sent []crm.OutgoingMail
	fail error
}

func (f *fakeMailer) From() string { return "crm@firm.bg" }

func (f *fakeMailer) Send(_ context.Context, m *crm.OutgoingMail) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	m.MessageID = "m" + strconv.Itoa(len(f.sent)+1) + "@firm.bg"
	f.sent = append(f.sent, *m)
	return nil
}

func (f *fakeMailer) all() []crm.OutgoingMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]crm.OutgoingMail(nil), f.sent...)
}

// newSendEnv is newMailEnv over a service that sends e-mail through the
// fake mailer it returns, with its feeds at https://crm.firm.bg.
func newSendEnv(t *testing.T) (*handlerstest.Env, *fakeMailer) {
	t.Helper()
	fm := &fakeMailer{}
	e := handlerstest.New(t, chattest.Options{}, handlers.WithMailer(fm), handlers.WithPublicURL("https://crm.firm.bg/"))
	mailFixture(e)
	return e, fm
}

// mailButton returns the data of the first button whose data starts with prefix.
func mailButton(t *testing.T, rec *bot.Recorder, prefix string) string {
	t.Helper()
	for _, b := range chattest.Buttons(rec) {
		if strings.HasPrefix(b.Data, prefix) {
			return b.Data
		}
	}
	t.Fatalf("no button %q in %q", prefix, rec.Text())
	return ""
}

// press presses the button data as who, under ctx (a delivery key).
func press(e *handlerstest.Env, ctx context.Context, who, data string) string {
	e.T.Helper()
	rec := &bot.Recorder{}
	if err := e.Svc.ServeChat(ctx, rec, chattest.Message(who, data, func(m *bot.Message) { m.Button = true })); err != nil {
		e.T.Fatal(err)
	}
	return rec.Text()
}

func TestFollowupSendByEmail(t *testing.T) {
	e, fm := newSendEnv(t)
	rec := e.Send("maria", "/followup Acme: потвърди срещата")
	data := mailButton(t, rec, "/followup email ")
	ctx := crm.WithDeliveryKey(context.Background(), "console:press-1")
	got := press(e, ctx, "maria", data)
	if !strings.Contains(got, "ivan@acme.bg") {
		t.Fatalf("reply %q", got)
	}
	sent := fm.all()
	if len(sent) != 1 {
		t.Fatalf("%d sent", len(sent))
	}
	m := sent[0]
	if m.To != "ivan@acme.bg" || m.ReplyTo != "maria@firm.bg" || m.ToName != "Иван Петров" || m.Text == "" || m.Subject == "" {
		t.Fatalf("mail %+v", m)
	}
	// The same press delivered again, and a second press: nothing more goes out.
	press(e, ctx, "maria", data)
	again := press(e, e.Ctx, "maria", data)
	if n := len(fm.all()); n != 1 {
		t.Fatalf("%d sent after pressing again", n)
	}
	if !strings.Contains(again, "2026") {
		t.Fatalf("second press: %q", again)
	}
	// Logged once, as #email.
	c := e.Client("Acme")
	convs, err := e.Store.Conversations(e.Ctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 || convs[0].Channels[0] != "email" || !strings.Contains(convs[0].Text, firstLine(m.Text)) {
		t.Fatalf("conversations %+v", convs)
	}
}

func TestFollowupSendFailureLogsNothing(t *testing.T) {
	e, fm := newSendEnv(t)
	rec := e.Send("maria", "/followup Acme")
	data := mailButton(t, rec, "/followup email ")
	fm.fail = errors.New("550 5.1.1 no such user")
	got := press(e, e.Ctx, "maria", data)
	if !strings.Contains(got, "550 5.1.1 no such user") || !strings.Contains(got, "Not sent") {
		t.Fatalf("reply %q", got)
	}
	c := e.Client("Acme")
	if convs, _ := e.Store.Conversations(e.Ctx, c.ID, 0); len(convs) != 0 {
		t.Fatalf("a failed send was logged: %+v", convs)
	}
	// The claim was released: once the server works, the same button sends.
	fm.fail = nil
	press(e, e.Ctx, "maria", data)
	if n := len(fm.all()); n != 1 {
		t.Fatalf("%d sent after the retry", n)
	}
}

func TestNoSendButtonWithoutMailerOrAddress(t *testing.T) {
	e := handlerstest.New(t, chattest.Options{})
	e.Team()
	e.Must("maria", "/client add Acme email=ivan@acme.bg")
	if hasButtonPrefix(e.Send("maria", "/followup Acme"), "/followup email") {
		t.Fatal("a send button without SMTP")
	}
	e2, _ := newSendEnv(t)
	e2.Must("maria", "/client add Beta")
	if hasButtonPrefix(e2.Send("maria", "/followup Beta"), "/followup email") {
		t.Fatal("a send button for a client without an address")
	}
}

// hasButtonPrefix reports whether a button's data starts with prefix.
func hasButtonPrefix(rec *bot.Recorder, prefix string) bool {
	for _, b := range chattest.Buttons(rec) {
		if strings.HasPrefix(b.Data, prefix) {
			return true
		}
	}
	return false
}

func firstLine(s string) string { return strings.SplitN(strings.TrimSpace(s), "\n", 2)[0] }

func TestMeetingInvitationAndCancel(t *testing.T) {
	e, fm := newSendEnv(t)
	rec := e.Send("maria", "/meeting Acme 2026-11-30 14:30: Оферта за 2027")
	data := mailButton(t, rec, "/meeting invite ")
	got := press(e, e.Ctx, "maria", data)
	if !strings.Contains(got, "ivan@acme.bg") {
		t.Fatalf("reply %q", got)
	}
	press(e, e.Ctx, "maria", data)
	sent := fm.all()
	if len(sent) != 1 || sent[0].Method != "REQUEST" {
		t.Fatalf("sent %+v", sent)
	}
	cal := decodeCal(t, sent[0].Calendar)
	if m, _ := cal.Props.Text(ical.PropMethod); m != "REQUEST" {
		t.Fatalf("METHOD %q", m)
	}
	ev := cal.Events()[0]
	uid, _ := ev.Props.Text(ical.PropUID)
	start, err := ev.DateTimeStart(time.UTC)
	if err != nil || !start.Equal(time.Date(2026, 11, 30, 14, 30, 0, 0, e.TZ)) {
		t.Fatalf("DTSTART %v %v", start, err)
	}
	if org := ev.Props.Get(ical.PropOrganizer); org == nil || !strings.EqualFold(org.Value, "mailto:maria@firm.bg") {
		t.Fatalf("ORGANIZER %+v", org)
	}
	if att := ev.Props.Get(ical.PropAttendee); att == nil || att.Value != "mailto:ivan@acme.bg" || att.Params.Get("CN") != "Иван Петров" {
		t.Fatalf("ATTENDEE %+v", att)
	}
	if sum, _ := ev.Props.Text(ical.PropSummary); sum != "Оферта за 2027" {
		t.Fatalf("SUMMARY %q", sum)
	}
	ref := strings.TrimPrefix(data, "/meeting invite ")
	e.Must("maria", "/meeting move "+ref+" 2026-12-01 09:00", "2026-12-01 09:00", "ivan@acme.bg")
	sent = fm.all()
	if len(sent) != 2 || sent[1].Method != "REQUEST" {
		t.Fatalf("changed invitation not sent: %+v", sent)
	}
	mv := decodeCal(t, sent[1].Calendar).Events()[0]
	mvUID, _ := mv.Props.Text(ical.PropUID)
	seqMoved, _ := mv.Props.Get(ical.PropSequence).Int()
	if at, _ := mv.DateTimeStart(time.UTC); !at.Equal(time.Date(2026, 12, 1, 9, 0, 0, 0, e.TZ)) || mvUID != uid || seqMoved != 1 {
		t.Fatalf("moved: DTSTART %v UID %q SEQUENCE %d", at, mvUID, seqMoved)
	}
	got = e.Must("maria", "/meeting cancel "+ref, "ivan@acme.bg")
	sent = fm.all()
	if len(sent) != 3 || sent[2].Method != "CANCEL" {
		t.Fatalf("cancel not sent: %q %+v", got, sent)
	}
	cc := decodeCal(t, sent[2].Calendar)
	cev := cc.Events()[0]
	cuid, _ := cev.Props.Text(ical.PropUID)
	seq0, _ := ev.Props.Get(ical.PropSequence).Int()
	seq1, _ := cev.Props.Get(ical.PropSequence).Int()
	if m, _ := cc.Props.Text(ical.PropMethod); m != "CANCEL" || cuid != uid || seq1 <= seqMoved || seqMoved <= seq0 {
		t.Fatalf("cancel METHOD %q UID %q/%q SEQUENCE %d→%d", m, uid, cuid, seq0, seq1)
	}
}
