package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers"

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
	m.MessageID = "m" + itoaTest(len(f.sent)+1) + "@firm.bg"
	f.sent = append(f.sent, *m)
	return nil
}

func (f *fakeMailer) all() []crm.OutgoingMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]crm.OutgoingMail(nil), f.sent...)
}

func itoaTest(n int) string { return strconv.Itoa(n) }

func newMailEnv(t *testing.T) (*testEnv, *fakeMailer) {
	t.Helper()
	fm := &fakeMailer{}
	e := newEnv(t, handlers.WithMailer(fm), handlers.WithPublicURL("https://crm.firm.bg/"))
	e.team()
	e.must("console:maria", "/me email=maria@firm.bg", "maria@firm.bg")
	e.must("console:maria", `/client add Acme contact="Иван Петров" email=Ivan@Acme.bg lang=bg`, "Acme")
	return e, fm
}

// mailButton returns the data of the first button whose data starts with prefix.
func mailButton(t *testing.T, rec *bot.Recorder, prefix string) string {
	t.Helper()
	for _, r := range rec.Replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.Data, prefix) {
					return b.Data
				}
			}
		}
	}
	t.Fatalf("no button %q in %q", prefix, rec.Text())
	return ""
}

func (e *testEnv) press(identity, data string, ctx context.Context) string {
	e.t.Helper()
	rec := &bot.Recorder{}
	m := &bot.Message{Platform: "console", ChatID: identity, Identity: identity, Text: data, Private: true, Button: true}
	if err := e.svc.ServeChat(ctx, rec, m); err != nil {
		e.t.Fatal(err)
	}
	return rec.Text()
}

func TestFollowupSendByEmail(t *testing.T) {
	e, fm := newMailEnv(t)
	rec := e.send("console:maria", "/followup Acme: потвърди срещата")
	data := mailButton(t, rec, "/followup email ")
	ctx := crm.WithDeliveryKey(context.Background(), "console:press-1")
	got := e.press("console:maria", data, ctx)
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
	e.press("console:maria", data, ctx)
	again := e.press("console:maria", data, context.Background())
	if n := len(fm.all()); n != 1 {
		t.Fatalf("%d sent after pressing again", n)
	}
	if !strings.Contains(again, "2026") {
		t.Fatalf("second press: %q", again)
	}
	// Logged once, as #email.
	c := e.findClient("Acme")
	convs, err := e.st.Conversations(context.Background(), c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 || convs[0].Channels[0] != "email" || !strings.Contains(convs[0].Text, firstLine(m.Text)) {
		t.Fatalf("conversations %+v", convs)
	}
}

func firstLine(s string) string { return strings.SplitN(strings.TrimSpace(s), "\n", 2)[0] }

func (e *testEnv) findClient(name string) *crm.Client {
	e.t.Helper()
	cs, err := e.st.FindClients(context.Background(), name, 0)
	if err != nil || len(cs) == 0 {
		e.t.Fatalf("client %s: %v", name, err)
	}
	return cs[0]
}

func TestFollowupSendFailureLogsNothing(t *testing.T) {
	e, fm := newMailEnv(t)
	rec := e.send("console:maria", "/followup Acme")
	data := mailButton(t, rec, "/followup email ")
	fm.fail = errors.New("550 5.1.1 no such user")
	got := e.press("console:maria", data, context.Background())
	if !strings.Contains(got, "550 5.1.1 no such user") || !strings.Contains(got, "Not sent") {
		t.Fatalf("reply %q", got)
	}
	c := e.findClient("Acme")
	if convs, _ := e.st.Conversations(context.Background(), c.ID, 0); len(convs) != 0 {
		t.Fatalf("a failed send was logged: %+v", convs)
	}
	// The claim was released: once the server works, the same button sends.
	fm.fail = nil
	e.press("console:maria", data, context.Background())
	if n := len(fm.all()); n != 1 {
		t.Fatalf("%d sent after the retry", n)
	}
}

func TestNoSendButtonWithoutMailerOrAddress(t *testing.T) {
	e := newEnv(t)
	e.team()
	e.must("console:maria", "/client add Acme email=ivan@acme.bg")
	rec := e.send("console:maria", "/followup Acme")
	if strings.Contains(allData(rec), "/followup email") {
		t.Fatal("a send button without SMTP")
	}
	e2, _ := newMailEnv(t)
	e2.must("console:maria", "/client add Beta")
	if strings.Contains(allData(e2.send("console:maria", "/followup Beta")), "/followup email") {
		t.Fatal("a send button for a client without an address")
	}
}

func allData(rec *bot.Recorder) string {
	var b strings.Builder
	for _, r := range rec.Replies {
		for _, row := range r.Buttons {
			for _, x := range row {
				b.WriteString(x.Data + "\n")
			}
		}
	}
	return b.String()
}

func decodeCal(t *testing.T, b []byte) *ical.Calendar {
	t.Helper()
	for _, l := range bytes.SplitAfter(b, []byte("\r\n")) {
		if len(l) > 77 {
			t.Fatalf("line longer than 75 octets: %q", l)
		}
		if len(l) > 0 && !bytes.HasSuffix(l, []byte("\r\n")) {
			t.Fatalf("line without CRLF: %q", l)
		}
	}
	cal, err := ical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	for _, p := range []string{ical.PropProductID, ical.PropVersion} {
		if cal.Props.Get(p) == nil {
			t.Fatalf("no %s", p)
		}
	}
	for _, ev := range cal.Events() {
		if ev.Props.Get(ical.PropDateTimeStamp) == nil || ev.Props.Get(ical.PropUID) == nil {
			t.Fatalf("event without DTSTAMP or UID: %+v", ev.Props)
		}
	}
	return cal
}

func TestMeetingInvitationAndCancel(t *testing.T) {
	e, fm := newMailEnv(t)
	rec := e.send("console:maria", "/meeting Acme 2026-11-30 14:30: Оферта за 2027")
	data := mailButton(t, rec, "/meeting invite ")
	got := e.press("console:maria", data, context.Background())
	if !strings.Contains(got, "ivan@acme.bg") {
		t.Fatalf("reply %q", got)
	}
	e.press("console:maria", data, context.Background())
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
	if err != nil || !start.Equal(time.Date(2026, 11, 30, 14, 30, 0, 0, e.tz)) {
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
	e.must("console:maria", "/meeting move "+ref+" 2026-12-01 09:00", "2026-12-01 09:00", "ivan@acme.bg")
	sent = fm.all()
	if len(sent) != 2 || sent[1].Method != "REQUEST" {
		t.Fatalf("changed invitation not sent: %+v", sent)
	}
	mv := decodeCal(t, sent[1].Calendar).Events()[0]
	mvUID, _ := mv.Props.Text(ical.PropUID)
	seqMoved, _ := mv.Props.Get(ical.PropSequence).Int()
	if at, _ := mv.DateTimeStart(time.UTC); !at.Equal(time.Date(2026, 12, 1, 9, 0, 0, 0, e.tz)) || mvUID != uid || seqMoved != 1 {
		t.Fatalf("moved: DTSTART %v UID %q SEQUENCE %d", at, mvUID, seqMoved)
	}
	got = e.must("console:maria", "/meeting cancel "+ref, "ivan@acme.bg")
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

var feedURL = regexp.MustCompile(`https://crm\.firm\.bg/calendar/([A-Za-z0-9_-]+)\.ics`)

func TestCalendarFeed(t *testing.T) {
	e, _ := newMailEnv(t)
	ctx := context.Background()
	e.must("console:maria", "/meeting Acme 2026-11-30 14:30: Оферта", "M-")
	e.must("console:maria", "/remind Acme: да звънна за договора by 2026-12-02")
	e.must("console:maria", "/remind Acme: изпрати мостри by 2026-12-03 11:15", "11:15")
	e.must("console:maria", "/promise Acme: отстъпка 5% by 2026-12-10", "P-")
	e.must("console:maria", "/claim Acme: счупена доставка severity=high", "C-")
	e.must("console:ivan", "/client add Secret")
	e.must("console:ivan", "/meeting Secret 2026-11-30 16:00: тайна", "M-")
	m := feedURL.FindStringSubmatch(e.say("console:maria", "/calendar"))
	if m == nil {
		t.Fatal("no feed URL")
	}
	tok := m[1]
	if len(tok) < 40 {
		t.Fatalf("short token %q", tok)
	}
	if again := feedURL.FindStringSubmatch(e.say("console:maria", "/calendar")); again == nil || again[1] != tok {
		t.Fatal("the URL changed without a reset")
	}
	b, err := e.svc.CalendarFeed(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	cal := decodeCal(t, b)
	var summaries []string
	uids := map[string]bool{}
	allDay := 0
	for _, ev := range cal.Events() {
		s, _ := ev.Props.Text(ical.PropSummary)
		if strings.Contains(s, "изпрати мостри") {
			if at, err := ev.DateTimeStart(time.UTC); err != nil || !at.Equal(time.Date(2026, 12, 3, 11, 15, 0, 0, e.tz)) {
				t.Errorf("timed reminder starts %v %v", at, err)
			}
		}
		summaries = append(summaries, s)
		u, _ := ev.Props.Text(ical.PropUID)
		uids[u] = true
		if ev.Props.Get(ical.PropDateTimeStart).ValueType() == ical.ValueDate {
			allDay++
		}
	}
	joined := strings.Join(summaries, "\n")
	for _, want := range []string{"Acme: Оферта", "да звънна за договора", "изпрати мостри", "отстъпка 5%", "C-1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("feed lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(string(b), "тайна") || strings.Contains(string(b), "Secret") {
		t.Error("the feed shows another manager's meeting")
	}
	if allDay != 3 || len(uids) != len(summaries) {
		t.Errorf("%d all-day items (want 3), %d UIDs for %d events", allDay, len(uids), len(summaries))
	}
	b2, _ := e.svc.CalendarFeed(ctx, tok)
	if c2 := decodeCal(t, b2); len(c2.Events()) != len(summaries) {
		t.Fatal("the feed changed between two reads")
	} else {
		for _, ev := range c2.Events() {
			if u, _ := ev.Props.Text(ical.PropUID); !uids[u] {
				t.Fatalf("UID %q is not stable", u)
			}
		}
	}
	nm := feedURL.FindStringSubmatch(e.say("console:maria", "/calendar reset"))
	if nm == nil || nm[1] == tok {
		t.Fatal("reset made no new URL")
	}
	if _, err := e.svc.CalendarFeed(ctx, tok); !crm.IsNotFound(err) {
		t.Fatalf("the old token: %v", err)
	}
	if _, err := e.svc.CalendarFeed(ctx, nm[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CalendarFeed(ctx, strings.Repeat("x", 43)); !crm.IsNotFound(err) {
		t.Fatalf("a made-up token: %v", err)
	}
}
